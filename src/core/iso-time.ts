// Wall-clock ms as ISO 8601 text, as Date.prototype.toISOString writes it, without a Date
// per call: every JSON line has one or two times, flows come in time order, and the text
// up to the second is the same for thousands of them (a Date and its formatting were a
// fifth of `live --format jsonl`'s CPU under connection churn).

/** Beyond this (year 2286) and below 0, Date formats every call (still exact). */
const MAX_CACHED_MS = 1e13;

let cachedSecond = NaN;
/** "YYYY-MM-DDTHH:MM:SS." of cachedSecond. */
let cachedPrefix = '';

/** `new Date(ms).toISOString()` for a whole number of ms (throws as it does otherwise). */
export function isoTime(ms: number): string {
  if (!(ms >= 0 && ms < MAX_CACHED_MS) || !Number.isInteger(ms)) return new Date(ms).toISOString();
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond) {
    cachedPrefix = new Date(second * 1000).toISOString().slice(0, 20);
    cachedSecond = second;
  }
  const milli = ms - second * 1000;
  return cachedPrefix + (milli < 10 ? '00' : milli < 100 ? '0' : '') + milli + 'Z';
}

let bytesSecond = NaN;
/** "YYYY-MM-DDTHH:MM:SS." of bytesSecond, as ASCII bytes. */
const bytesPrefix = new Uint8Array(20);

/** isoTime(ms) written as ASCII into `b` at `at`, with no string made for it (a JSON line
 * has two times: their strings, and reading them back a character at a time, were a tenth
 * of `live --format jsonl`'s main thread under churn). Returns where it ends. */
export function isoTimeAt(b: Uint8Array, at: number, ms: number): number {
  if (!(ms >= 0 && ms < MAX_CACHED_MS) || !Number.isInteger(ms)) {
    const s = new Date(ms).toISOString();
    for (let i = 0; i < s.length; i++) b[at++] = s.charCodeAt(i);
    return at;
  }
  const second = Math.floor(ms / 1000);
  if (second !== bytesSecond) {
    const s = new Date(second * 1000).toISOString();
    for (let i = 0; i < 20; i++) bytesPrefix[i] = s.charCodeAt(i);
    bytesSecond = second;
  }
  for (let i = 0; i < 20; i++) b[at++] = bytesPrefix[i];
  return millisZAt(b, at, ms - second * 1000);
}

/** "mmmZ", the end of an ISO time after its second's "YYYY-MM-DDTHH:MM:SS." (milli: 0-999,
 * a small integer, so the call makes no heap number). */
export function millisZAt(b: Uint8Array, at: number, milli: number): number {
  const hundreds = Math.floor(milli / 100);
  const tens = Math.floor(milli / 10) - hundreds * 10;
  b[at++] = 0x30 + hundreds;
  b[at++] = 0x30 + tens;
  b[at++] = 0x30 + (milli - hundreds * 100 - tens * 10);
  b[at++] = 0x5a; // Z
  return at;
}
