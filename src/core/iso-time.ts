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
