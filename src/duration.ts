import { UsageError } from './errors';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses `500ms`, `10s`, `5m`, `1h` (CONTRACT.md) into milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (!m) throw new UsageError(`${flag} takes a duration like 500ms, 10s, 5m or 1h, not '${text}'`);
  const ms = Number(m[1]) * UNITS[m[2]];
  if (!(ms > 0)) throw new UsageError(`${flag} must be greater than zero`);
  return ms;
}
