// The table's columns as data: title, the sort key shown in the header (bottom's
// `PID(i)` idiom), width, how to read the sort value and how to print it. Sorting belongs
// to the column, so adding a column adds its sort for free.
import type { TableRow } from './rows';
import { formatBytes, formatCount, formatMicros, shortState } from './format';

export type ColumnId =
  | 'flows' | 'pid' | 'process' | 'user' | 'container' | 'proto' | 'local' | 'remote' | 'state'
  | 'txRate' | 'rxRate' | 'tx' | 'rx' | 'retr' | 'rtt' | 'connect';

export interface Column {
  id: ColumnId;
  title: string;
  /** The key that sorts by this column; shown in the header as `TITLE(k)`. */
  sortKey: string;
  /** Width it wants, and the least it accepts before being dropped. */
  width: number;
  minWidth: number;
  align: 'left' | 'right';
  /** Lower is more important: at a narrow width the highest numbers go first. */
  priority: number;
  /** Numbers sort largest first by default, names A to Z. */
  numeric: boolean;
  value(row: TableRow): number | string | null;
  format(row: TableRow): string;
  /** Shown only when rows are grouped (the flow count). */
  groupedOnly?: boolean;
}

const str = (v: string) => v;
const num = (v: number | null) => (v === null ? '-' : String(v));

export const COLUMNS: readonly Column[] = [
  col('flows', 'FLOWS', 'f', 8, 6, 'right', 0, true, (r) => r.flows, (r) => formatCount(r.flows), true),
  col('pid', 'PID', 'i', 7, 6, 'right', 1, true, (r) => r.pid, (r) => num(r.pid)),
  col('process', 'PROCESS', 'n', 15, 10, 'left', 1, false, (r) => r.process, (r) => str(r.process)),
  col('user', 'USER', 'u', 9, 7, 'left', 3, false, (r) => r.user, (r) => r.user),
  col('container', 'CONTAINER', 'c', 13, 12, 'left', 2, false, (r) => r.container, (r) => r.container),
  col('proto', 'PROTO', 'o', 8, 8, 'left', 3, false, (r) => r.proto, (r) => protoLabel(r)),
  col('local', 'LOCAL', 'l', 21, 15, 'left', 4, false, (r) => r.local, (r) => r.local),
  col('remote', 'REMOTE', 'r', 21, 15, 'left', 1, false, (r) => r.remote, (r) => r.remote),
  col('state', 'STATE', 's', 10, 9, 'left', 2, false, (r) => r.state, (r) => shortState(r.state)),
  // Rates: the header says `/s`, so cells show the amount per second only ("1.5 MiB").
  col('txRate', 'TX/s', 't', 8, 8, 'right', 1, true, (r) => r.txRate, (r) => formatRateCell(r.txRate)),
  col('rxRate', 'RX/s', 'x', 8, 8, 'right', 1, true, (r) => r.rxRate, (r) => formatRateCell(r.rxRate)),
  col('tx', 'TX', 'T', 8, 8, 'right', 5, true, (r) => r.tx, (r) => formatBytes(r.tx)),
  col('rx', 'RX', 'X', 8, 8, 'right', 5, true, (r) => r.rx, (r) => formatBytes(r.rx)),
  col('retr', 'RETR', 'e', 7, 7, 'right', 4, true, (r) => r.retr, (r) => formatCount(r.retr)),
  col('rtt', 'RTT', 'd', 7, 7, 'right', 4, true, (r) => r.rttUs, (r) => formatMicros(r.rttUs)),
  col('connect', 'CONNECT', 'w', 11, 11, 'right', 6, true, (r) => r.connectUs, (r) => formatMicros(r.connectUs)),
];

export const COLUMN_BY_ID: ReadonlyMap<ColumnId, Column> = new Map(COLUMNS.map((c) => [c.id, c]));
export const COLUMN_BY_SORT_KEY: ReadonlyMap<string, Column> = new Map(COLUMNS.map((c) => [c.sortKey, c]));

/** `PID(i)`: the header text, which a column must be wide enough to show. */
export function headerText(c: Column): string {
  return `${c.title}(${c.sortKey})`;
}

/** `tcp`, `udp`, or `tcp6`/`udp6` for an IPv6 flow (as ss and netstat write them). */
export function protoLabel(r: TableRow): string {
  return (r as { family?: number }).family === 6 ? `${r.proto}6` : r.proto;
}

/** A rate cell: "0", "850 B", "1.5 MiB" (per second, as the header says). */
export function formatRateCell(bytesPerSec: number): string {
  if (!Number.isFinite(bytesPerSec) || bytesPerSec < 0) return '-';
  return bytesPerSec === 0 ? '0' : formatBytes(bytesPerSec);
}

export interface LaidOutColumn {
  column: Column;
  width: number;
}

/** Chooses the columns that fit `totalWidth` (one space between columns): drops the least
 * important first, then hands spare width to PROCESS and REMOTE. */
export function layoutColumns(totalWidth: number, grouped: boolean): LaidOutColumn[] {
  let chosen = COLUMNS.filter((c) => grouped || !c.groupedOnly);
  const need = (cols: readonly Column[], w: (c: Column) => number) =>
    cols.reduce((s, c) => s + w(c), 0) + Math.max(0, cols.length - 1);
  const headerMin = (c: Column) => Math.max(c.minWidth, headerText(c).length);
  // Group rows rarely share a local endpoint: LOCAL goes first there.
  const prio = (c: Column) => (grouped && c.id === 'local' ? 99 : c.priority);
  // Drop by priority until the minimum widths fit (the later column first on a tie).
  while (chosen.length > 1 && need(chosen, headerMin) > totalWidth) {
    const worst = chosen.reduce((a, b) => (prio(b) >= prio(a) ? b : a));
    chosen = chosen.filter((c) => c !== worst);
  }
  const widths = new Map(chosen.map((c) => [c.id, headerMin(c)]));
  // Grow each column toward the width it wants, in priority order, then flex the rest.
  let spare = totalWidth - need(chosen, headerMin);
  for (const c of [...chosen].sort((a, b) => a.priority - b.priority)) {
    const add = Math.min(spare, Math.max(0, c.width - widths.get(c.id)!));
    widths.set(c.id, widths.get(c.id)! + add);
    spare -= add;
  }
  const flex = chosen.filter((c) => c.id === 'process' || c.id === 'remote');
  for (let i = 0; spare > 0 && flex.length > 0; i++, spare--) {
    const c = flex[i % flex.length];
    if (widths.get(c.id)! >= 40) break;
    widths.set(c.id, widths.get(c.id)! + 1);
  }
  return chosen.map((c) => ({ column: c, width: widths.get(c.id)! }));
}

function col(
  id: ColumnId, title: string, sortKey: string, width: number, minWidth: number,
  align: 'left' | 'right', priority: number, numeric: boolean,
  value: Column['value'], format: Column['format'], groupedOnly = false,
): Column {
  return { id, title, sortKey, width, minWidth, align, priority, numeric, value, format, groupedOnly };
}
