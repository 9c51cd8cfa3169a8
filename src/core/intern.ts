// Interning of the strings the reducer's state keeps (keep()).

/** The strings the state keeps for long (addresses, names, paths, command lines) are
 * shared: 100,000 flows to 127.0.0.1 hold one "127.0.0.1", not 100,000 copies. Long ones
 * are also copied once: strings from the recording decoder can be slices of a whole
 * chunk's string block (msgpackr's bundleStrings, src/record/codec.ts), and V8 keeps the
 * block alive as long as one slice (13 chars or longer) lives, so a long replay holds its
 * flows and processes, not the chunks they came from. */
const interned = new Map<string, string>();
const MAX_INTERNED = 100_000;
/** The strings kept last, direct-mapped by length and two characters: consecutive flows
 * mostly have the same local address and often the same peer, and comparing with a known
 * string is cheaper than hashing a fresh one (one slot, the last string kept, missed the
 * local address whenever the peer came in between). */
const RECENT_SLOTS = 256;
const recent: string[] = new Array<string>(RECENT_SLOTS).fill('');

export function keep<T extends string | null>(s: T): T {
  if (s === null) return s;
  const n = s.length;
  const slot = n === 0 ? 0 : (n * 7 + s.charCodeAt(n - 1) * 3 + s.charCodeAt(n >> 1)) & (RECENT_SLOTS - 1);
  const r = recent[slot];
  if (r === s) return r as T;
  let k = interned.get(s);
  if (k === undefined) {
    if (interned.size >= MAX_INTERNED) interned.clear();
    k = n < 13 ? s : Buffer.from(s, 'utf8').toString('utf8'); // a fresh flat string
    interned.set(k, k);
  }
  recent[slot] = k;
  return k as T;
}
