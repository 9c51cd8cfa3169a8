// A flow's lifecycle (its TCP state changes), stored compactly in the flow store by the
// reducer and read back by flowLifecycle() for the detail view.
import { keep } from './intern';
import type { Flow } from './state';

/** Lifecycle entries kept per flow (open, states, close: a TCP flow has about 6). */
export const MAX_LIFECYCLE = 32;

/** Lifecycle entries are stored flat, [ts, word, ts, word, ...], with each word (a TCP
 * state name) as its index in LIFECYCLE_WORDS: an array of doubles, one allocation per
 * flow instead of an array plus an object (and a boxed ts) per entry. The table holds the
 * first MAX_LIFECYCLE_WORDS distinct words (the TCP state names, in practice); any word
 * beyond it is stored as the string itself. */
export const LIFECYCLE_WORDS: string[] = [];
const lifecycleCodes = new Map<string, number>();
const MAX_LIFECYCLE_WORDS = 1024;

/** A direct-mapped memo in front of lifecycleCodes, indexed by a word's length and last
 * character: comparing with one known word is cheaper than hashing each event's fresh copy
 * of a state name (the TCP state names fall in distinct slots but for LISTEN/CLOSING). */
const RECENT_SLOTS = 64;
const recentWords: string[] = new Array<string>(RECENT_SLOTS).fill('');
const recentCodes: number[] = new Array<number>(RECENT_SLOTS).fill(0);

export function lifecycleCode(what: string): number | string {
  const n = what.length;
  const slot = n === 0 ? 0 : (n * 7 + what.charCodeAt(n - 1)) & (RECENT_SLOTS - 1);
  if (recentWords[slot] === what && n > 0) return recentCodes[slot];
  let code = lifecycleCodes.get(what);
  if (code === undefined) {
    if (LIFECYCLE_WORDS.length >= MAX_LIFECYCLE_WORDS) return keep(what);
    code = LIFECYCLE_WORDS.push(keep(what)) - 1;
    lifecycleCodes.set(LIFECYCLE_WORDS[code], code);
  }
  recentWords[slot] = LIFECYCLE_WORDS[code];
  recentCodes[slot] = code;
  return code;
}

/** The shared copy of a state name (or another word of a small vocabulary): each event
 * carries its own copy, and a flow should not keep it. */
export function word<T extends string>(w: T): T {
  const code = lifecycleCode(w);
  return (typeof code === 'number' ? LIFECYCLE_WORDS[code] : code) as T;
}

/** `l` with a state change appended (its word as lifecycleCode gave it). */
export function appendLifecycle(l: Array<number | string> | null, ts: number, code: number | string): Array<number | string> | null {
  // Exact-size arrays (push would grow one by 16 spare slots); literals for the common
  // first two entries (concat, a generic builtin, was slower than the rest of the event).
  if (l === null) return [ts, code];
  if (l.length === 2) return [l[0], l[1], ts, code];
  if (l.length < 2 * (MAX_LIFECYCLE - 1)) return l.concat(ts, code);
  return l;
}

/** The flow's lifecycle events, oldest first: how it was first seen, then its state
 * changes and its close. */
export function flowLifecycle(flow: Flow): Array<{ ts: number; what: string }> {
  const out = [{ ts: flow.startTs, what: flow.openedAs }];
  const l = flow.lifecycle;
  if (l !== null) {
    for (let i = 0; i + 1 < l.length; i += 2) {
      const w = l[i + 1];
      out.push({ ts: l[i] as number, what: typeof w === 'number' ? LIFECYCLE_WORDS[w] : w });
    }
  }
  if (flow.endTs !== null) out.push({ ts: flow.endTs, what: 'closed' });
  return out;
}
