// JSON text of single values, exactly as JSON.stringify writes them, for lines built by
// hand (flow-json-line.ts): JSON.stringify of a small object per line, and the object,
// cost more than the rest of a `live --format jsonl` line under connection churn.

/** A string as JSON.stringify(s) writes it. Printable ASCII other than `"` and `\` (every
 * address, state name and time in practice) is written as it is; anything else goes
 * through JSON.stringify (escapes, lone surrogates). */
export function jsonString(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return JSON.stringify(s);
  }
  return `"${s}"`;
}

export function jsonStringOrNull(s: string | null): string {
  return s === null ? 'null' : jsonString(s);
}

/** A number (or null) as JSON.stringify writes it: NaN and the infinities are null. */
export function jsonNumber(n: number | null): string {
  return n === null || !Number.isFinite(n) ? 'null' : `${n}`;
}
