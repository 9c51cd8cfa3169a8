// libbpf prints to stderr by default, which would tear through the TUI. We route its log
// into a bounded in-memory buffer instead: quiet in normal operation, and when a phase
// fails the typed error can quote the one line that explains why.
import { LIBBPF_DEBUG, LIBBPF_WARN, libbpf, type Ptr } from './libbpf';

export interface LogLine {
  level: number;
  text: string;
}

const MAX_LINES = 400;
const lines: LogLine[] = [];
let partial = '';
let installed = false;

/** Installs the capturing print callback once per process. */
export function captureLibbpfLog(): void {
  if (installed) return;
  const { formatPrint, setPrint } = libbpf();
  setPrint((level: number, fmt: Ptr, args: Ptr) => {
    if (level >= LIBBPF_DEBUG && !process.env.SOCKSCOPE_LIBBPF_DEBUG) return 0;
    const text = formatPrint(fmt, args);
    if (text !== '') appendLog(level, text);
    return 0;
  });
  installed = true;
}

/** Splits a printed chunk into lines (libbpf sometimes prints one line in several calls). */
export function appendLog(level: number, chunk: string): void {
  const parts = (partial + chunk).split('\n');
  partial = parts.pop() ?? '';
  for (const text of parts) {
    if (text.trim() === '') continue;
    lines.push({ level, text: text.trimEnd() });
    if (process.env.SOCKSCOPE_LIBBPF_DEBUG) process.stderr.write(`${text}\n`);
  }
  if (lines.length > MAX_LINES) lines.splice(0, lines.length - MAX_LINES);
}

/** A mark to pass to `logSince` so a phase sees only its own lines. */
export function logMark(): number {
  flushPartial();
  return lines.length === MAX_LINES ? -1 : lines.length;
}

export function logSince(mark: number): LogLine[] {
  flushPartial();
  return mark < 0 ? lines.slice() : lines.slice(mark);
}

export function clearLog(): void {
  lines.length = 0;
  partial = '';
}

function flushPartial(): void {
  if (partial.trim() !== '') lines.push({ level: LIBBPF_WARN, text: partial.trimEnd() });
  partial = '';
}

/**
 * Picks the line that best explains a failure. libbpf reports an error from the most
 * specific cause outwards ("failed to find kernel BTF type ID of 'x'", then "failed to
 * prepare load attributes", then "failed to load object"), so the first error-ish line
 * wins; a verifier rejection is the last verifier line before the statistics.
 */
export function explainingLine(log: LogLine[]): string | null {
  const texts = log.map((l) => l.text.replace(/^libbpf: /, ''));
  const begin = texts.findIndex((t) => t.includes('-- BEGIN PROG LOAD LOG --'));
  // A long verifier log may have pushed its BEGIN out of the kept lines: its END still marks it.
  let end = texts.findIndex((t, i) => i > begin && t.includes('-- END PROG LOAD LOG --'));
  if (begin >= 0 || end >= 0) {
    if (end < 0) end = texts.length;
    for (let i = end - 1; i > begin; i--) {
      const t = texts[i];
      if (/^(processed \d+ insns|verification time|stack depth|mark_precise)/.test(t)) continue;
      return `verifier: ${t}`;
    }
  }
  const warn = log.filter((l) => l.level === LIBBPF_WARN).map((l) => l.text.replace(/^libbpf: /, ''));
  const pick = warn.find((t) => /failed|error|invalid|not found|unknown|unsupported|can't|cannot/i.test(t));
  return pick ?? warn[0] ?? null;
}
