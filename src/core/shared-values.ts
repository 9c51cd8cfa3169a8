// Values many flows have in common (addresses, owners), each kept once and named by a
// small whole number (its code), counted by the flows that use it: the flow store keeps a
// flow's code in its int row (4 bytes, outside V8's heap) instead of a reference (8 bytes
// in a row of a JS array, which the garbage collector visits at every full GC). A value
// goes when its last flow does, and its code is reused.

export class SharedValues<T> {
  /** The value of each code (undefined: a free code). */
  readonly values: Array<T | undefined> = [];
  /** Flows using each code. */
  private counts = new Int32Array(16);
  private readonly codes = new Map<T, number>();
  private readonly free: number[] = [];
  /** The codes handed out last: consecutive flows mostly have the same local address and
   * often the same peer (or the same owner), and comparing with a known value is cheaper
   * than hashing it. Both stay the last two distinct values (a hit on recent1 swaps
   * them), so a churning client's and server's owners, which alternate, both hit. */
  private recent0 = -1;
  private recent1 = -1;

  /** `adopt`: what is kept of a value seen for the first time (keep, for strings that may
   * be slices of a larger one). */
  constructor(private readonly adopt: ((v: T) => T) | null = null) {}

  /** The value's code, one more flow using it. */
  take(v: T): number {
    const values = this.values;
    let c = this.recent0;
    if (c < 0 || values[c] !== v) {
      const last = c;
      c = this.recent1;
      if (c < 0 || values[c] !== v) c = this.codes.get(v) ?? this.add(v);
      this.recent1 = last;
      this.recent0 = c;
    }
    this.counts[c]++;
    return c;
  }

  /** One flow fewer uses the code's value: the last one lets it go. */
  drop(c: number): void {
    if (--this.counts[c] !== 0) return;
    this.codes.delete(this.values[c] as T);
    this.values[c] = undefined;
    this.free.push(c);
  }

  /** Codes in use (tests). */
  get size(): number {
    return this.codes.size;
  }

  private add(given: T): number {
    const v = this.adopt === null ? given : this.adopt(given);
    let c = this.free.pop();
    if (c === undefined) {
      c = this.values.length;
      this.values.push(v);
      if (c === this.counts.length) {
        const counts = new Int32Array(2 * c);
        counts.set(this.counts);
        this.counts = counts;
      }
    } else this.values[c] = v;
    this.codes.set(v, c);
    return c;
  }
}
