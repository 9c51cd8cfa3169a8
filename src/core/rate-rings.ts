// The full rate histories (rings of historyLength [tx, rx] pairs) of flows that kept moving
// past their first SHORT_HISTORY intervals (short-histories.ts holds the young ones), in
// pages of RING_PAGE rings: a Float64Array of its own per flow was an object and an
// off-heap block to allocate, track and reach, every tick, for every moving flow (a
// replay's tick spent more in writing two doubles than in the rest of its visit). Owned by
// the flow store (flow-store.ts), which gives a flow's ring back when the flow leaves.

/** Rings per page: 64 rings of 60 samples are 60 KiB. */
const RING_PAGE_BITS = 6;
const RING_PAGE = 1 << RING_PAGE_BITS;
const RING_MASK = RING_PAGE - 1;

export class RateRings {
  readonly pages: Float64Array[] = [];
  private free: number[] = [];
  private used = 0;

  /** `stride`: doubles per ring (2 x historyLength). */
  constructor(readonly stride: number) {}

  /** A ring of zeros. */
  take(): number {
    const reused = this.free.pop();
    if (reused !== undefined) {
      const o = this.offset(reused);
      this.pages[reused >> RING_PAGE_BITS].fill(0, o, o + this.stride);
      return reused;
    }
    if (this.used === this.pages.length * RING_PAGE) this.pages.push(new Float64Array(RING_PAGE * this.stride));
    return this.used++;
  }

  release(ring: number): void {
    this.free.push(ring);
  }

  /** The page holding `ring`, at offset(ring). */
  page(ring: number): Float64Array {
    return this.pages[ring >> RING_PAGE_BITS];
  }

  offset(ring: number): number {
    return (ring & RING_MASK) * this.stride;
  }

  /** The ring's samples (a view onto its page: read it before the ring is given back). */
  view(ring: number): Float64Array {
    const o = this.offset(ring);
    return this.page(ring).subarray(o, o + this.stride);
  }
}
