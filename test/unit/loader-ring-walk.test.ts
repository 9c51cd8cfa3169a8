// The ring buffer record walk (src/loader/ring-walk.ts) over synthetic rings: headers with
// the BUSY and DISCARD bits, lengths rounded up to 8, a record across the ring's end (the
// data area is mapped once, so the walk joins its two parts), the byte budget, and a
// handler error. The same walk runs on the kernel's ring in test/live/loader-ring.test.ts.
import { describe, expect, it } from 'vitest';
import { RINGBUF_BUSY_BIT, RINGBUF_DISCARD_BIT, viewing, walkRing as walkAt, type RecordHandler, type RingView } from '../../src/loader/ring-walk';

const walkRing = (r: RingView, cons: number, prod: number, max: number, h: RecordHandler) => walkAt(r, cons, prod, max, viewing(h));

const SIZE = 64;

/** A synthetic ring of SIZE bytes, as mapped. */
function ring(): RingView & { put(pos: number, len: number, payload: number[], flags?: number): number } {
  const ab = new ArrayBuffer(SIZE);
  const data = Buffer.from(ab);
  const view = { data, words: new Uint32Array(ab), mask: SIZE - 1, scratch: { buf: Buffer.alloc(4) } };
  const write = (pos: number, bytes: number[]) => {
    for (let i = 0; i < bytes.length; i++) data[(pos + i) & (SIZE - 1)] = bytes[i];
  };
  return {
    ...view,
    /** Writes a record at `pos`; returns the next record's position. */
    put(pos, len, payload, flags = 0) {
      const hdr = Buffer.alloc(8);
      hdr.writeUInt32LE((len | flags) >>> 0, 0);
      write(pos, [...hdr]);
      write(pos + 8, payload);
      return pos + ((len + 8 + 7) & ~7);
    },
  };
}

describe('walkRing', () => {
  it('hands out committed records, rounded to 8, and stops at the producer position', () => {
    const r = ring();
    let p = r.put(0, 3, [1, 2, 3]);
    p = r.put(p, 8, [4, 5, 6, 7, 8, 9, 10, 11]);
    const got: number[][] = [];
    const res = walkRing(r, 0, p, SIZE, (d) => got.push([...d]));
    expect(got).toEqual([[1, 2, 3], [4, 5, 6, 7, 8, 9, 10, 11]]);
    expect(res).toMatchObject({ pos: 32, records: 2, hasError: false });
  });

  it('skips discarded records and stops at a busy one', () => {
    const r = ring();
    let p = r.put(0, 4, [1, 1, 1, 1], RINGBUF_DISCARD_BIT);
    p = r.put(p, 4, [2, 2, 2, 2]);
    const busyAt = p;
    p = r.put(p, 4, [3, 3, 3, 3], RINGBUF_BUSY_BIT);
    const got: number[][] = [];
    const res = walkRing(r, 0, p, SIZE, (d) => got.push([...d]));
    expect(got).toEqual([[2, 2, 2, 2]]);
    expect(res.pos).toBe(busyAt); // the busy record is where the next walk starts
    r.put(busyAt, 4, [3, 3, 3, 3]); // committed now
    expect(walkRing(r, res.pos, p, SIZE, (d) => got.push([...d])).pos).toBe(p);
    expect(got).toEqual([[2, 2, 2, 2], [3, 3, 3, 3]]);
  });

  it('reads a record that wraps around the end of the ring whole (scratch grown), at positions past 2^32', () => {
    const r = ring();
    const base = 2 ** 32 + 5 * SIZE; // positions only grow; the walk masks them
    const start = base + SIZE - 8; // header in the last 8 bytes, data after the end
    const payload = Array.from({ length: 20 }, (_, i) => i + 100);
    const end = r.put(start, 20, payload);
    const got: number[][] = [];
    const res = walkRing(r, start, end, SIZE, (d) => got.push([...d]));
    expect(got).toEqual([payload]);
    expect(res.pos).toBe(end);
    expect(end - start).toBe(32);
    // Data that starts at the ring's start after a header in its last 8 bytes: no copy.
    const hdrLast = base + 2 * SIZE - 8;
    const after = r.put(hdrLast, 8, [7, 7, 7, 7, 7, 7, 7, 7]);
    const views: Buffer[] = [];
    walkRing(r, hdrLast, after, SIZE, (d) => views.push(d));
    expect([...views[0]]).toEqual([7, 7, 7, 7, 7, 7, 7, 7]);
    expect(views[0].buffer).toBe(r.data.buffer);
  });

  it('a record that wraps in the middle of its data is joined from both ends', () => {
    const r = ring();
    const start = SIZE - 16; // header at SIZE-16, 8 data bytes before the end, 12 after
    const payload = Array.from({ length: 20 }, (_, i) => i + 1);
    const end = r.put(start, 20, payload);
    const got: number[][] = [];
    walkRing(r, start, end, SIZE, (d) => got.push([...d]));
    expect(got).toEqual([payload]);
  });

  it('takes at most maxBytes of ring per walk', () => {
    const r = ring();
    let p = 0;
    for (let i = 0; i < 4; i++) p = r.put(p, 8, [i, 0, 0, 0, 0, 0, 0, 0]);
    const got: number[] = [];
    const res = walkRing(r, 0, p, 32, (d) => got.push(d[0]));
    expect(got).toEqual([0, 1]);
    expect(walkRing(r, res.pos, p, 32, (d) => got.push(d[0])).pos).toBe(p);
    expect(got).toEqual([0, 1, 2, 3]);
  });

  it('a handler error ends the walk past that record and is returned', () => {
    const r = ring();
    const afterFirst = r.put(0, 4, [1, 0, 0, 0]);
    const afterSecond = r.put(afterFirst, 4, [2, 0, 0, 0]);
    const p = r.put(afterSecond, 4, [3, 0, 0, 0]);
    const boom = new Error('bad record');
    const res = walkRing(r, 0, p, SIZE, (d) => {
      if (d[0] === 2) throw boom;
    });
    expect(res).toMatchObject({ pos: afterSecond, records: 1, hasError: true, error: boom });
  });
});
