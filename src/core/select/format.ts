// Human units for the table and the detail view. Binary prefixes (KiB, MiB) because
// byte counters are what the kernel gives us; rates are bytes per second.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** 0 -> "0 B", 1536 -> "1.5 KiB", 10 * 2**20 -> "10 MiB". Short: at most 3 significant
 * figures so columns stay narrow. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '-';
  let i = 0;
  let v = n;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  if (i === 0) return `${Math.round(v)} B`;
  const digits = v >= 100 ? 0 : v >= 10 ? 1 : 2;
  return `${trimZeros(v.toFixed(digits))} ${UNITS[i]}`;
}

export function formatRate(bytesPerSec: number): string {
  if (!Number.isFinite(bytesPerSec) || bytesPerSec < 0) return '-';
  if (bytesPerSec === 0) return '0';
  return `${formatBytes(bytesPerSec)}/s`;
}

/** Microseconds to a short latency: 850 -> "850us", 12_345 -> "12.3ms", 2_500_000 -> "2.5s". */
export function formatMicros(us: number | null): string {
  if (us === null || !Number.isFinite(us)) return '-';
  if (us < 1000) return `${Math.round(us)}us`;
  if (us < 1_000_000) return `${trimZeros((us / 1000).toFixed(us < 10_000 ? 2 : 1))}ms`;
  return `${trimZeros((us / 1_000_000).toFixed(1))}s`;
}

export function formatCount(n: number | null): string {
  if (n === null || !Number.isFinite(n)) return '-';
  if (n < 10_000) return String(Math.round(n));
  if (n < 10_000_000) return `${trimZeros((n / 1000).toFixed(n < 100_000 ? 1 : 0))}k`;
  return `${trimZeros((n / 1_000_000).toFixed(0))}M`;
}

/** Per-second value with one decimal below 10: "0.5/s", "12/s". */
export function formatPerSec(n: number): string {
  if (!Number.isFinite(n)) return '-';
  return `${n < 10 ? trimZeros(n.toFixed(1)) : formatCount(n)}/s`;
}

/** "10.0.0.1:443", "[::1]:53"; port 0 (unknown) is left out. */
export function formatEndpoint(addr: string, port: number, family: 4 | 6): string {
  const host = family === 6 && addr.includes(':') ? `[${addr}]` : addr;
  return port ? `${host}:${port}` : host;
}

/** TCP state names arrive as the kernel spells them (TCP_ESTABLISHED or ESTABLISHED). */
export function formatState(state: string): string {
  return state.replace(/^TCP_/i, '').toUpperCase();
}

/** The table's STATE cell: ESTABLISHED is `ESTAB`, as `ss` writes it; the rest fit. */
export function shortState(state: string): string {
  return state === 'ESTABLISHED' ? 'ESTAB' : state;
}

/** Monotonic ns relative to a reference, as "+12.345s". */
export function formatOffset(ts: number, ref: number): string {
  return `+${((ts - ref) / 1e9).toFixed(3)}s`;
}

/** Wall clock ms -> "HH:MM:SS" in UTC (recordings move between machines and zones). */
export function formatClock(wallMs: number | null): string {
  if (wallMs === null || !Number.isFinite(wallMs)) return '--:--:--';
  return new Date(wallMs).toISOString().slice(11, 19);
}

/** Cuts text to `width` cells with an ellipsis; pads to the width when `pad` is set. */
export function fit(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  if (width <= 0) return '';
  let t = text;
  if (t.length > width) t = width === 1 ? '…' : `${t.slice(0, width - 1)}…`;
  return align === 'right' ? t.padStart(width) : t.padEnd(width);
}

const BARS = '▁▂▃▄▅▆▇█';

/** A one-line sparkline of the last `width` values, scaled to their maximum. */
export function sparkline(values: readonly number[], width: number): string {
  const v = values.slice(-width);
  const max = Math.max(0, ...v);
  let out = '';
  for (const x of v) out += max > 0 ? BARS[Math.min(BARS.length - 1, Math.floor((x / max) * (BARS.length - 1)))] : BARS[0];
  return out;
}

function trimZeros(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}
