// The order of a drain over the main ring and its spill (src/loader/ring-pair.ts), over
// rings whose records can be held mid-write: a real BPF ring holds one only while its
// producer is preempted, which test/live/capture-spill.test.ts meets by chance under load.
import { describe, expect, it } from 'vitest';
import { RingPair, type PairedRing } from '../../src/loader/ring-pair';
import type { WalkResult } from '../../src/loader/ring-walk';

/** A ring of numbered 8-byte records; `busy` ones stop the walk, as BUSY headers do. */
class HeldRing implements PairedRing {
  private recs: { id: number; busy: boolean }[] = [];
  private cons = 0;
  constructor(private readonly tellsPositions = true) {}
  write(id: number, busy = false): void {
    this.recs.push({ id, busy });
  }
  commit(id: number): void {
    this.recs.find((r) => r.id === id)!.busy = false;
  }
  drain(onRecord: (buf: Buffer, offset: number, length: number) => void, upTo = Infinity): WalkResult {
    let records = 0;
    while (this.cons < this.recs.length && this.cons * 8 < upTo && !this.recs[this.cons].busy) {
      const buf = Buffer.alloc(8);
      buf.writeUInt32LE(this.recs[this.cons++].id, 0);
      try {
        onRecord(buf, 0, 8);
      } catch (error) {
        return { pos: this.cons * 8, records, error, hasError: true }; // as walkRing does
      }
      records++;
    }
    return { pos: this.cons * 8, records, error: null, hasError: false };
  }
  pending(): number | null {
    return this.tellsPositions ? (this.recs.length - this.cons) * 8 : null;
  }
  produced(): number | null {
    return this.tellsPositions ? this.recs.length * 8 : null;
  }
  get consumed(): number | null {
    return this.tellsPositions ? this.cons * 8 : null;
  }
}

function pairOf(main: HeldRing, spill: HeldRing, spillBytes = 1 << 20) {
  const read: number[] = [];
  const resumes = { n: 0 };
  const pair = new RingPair(main, spill, spillBytes, () => resumes.n++);
  const drain = () => pair.drain((buf, offset) => read.push(buf.readUInt32LE(offset)));
  return { pair, read, resumes, drain };
}

describe('a drain over the main ring and its spill', () => {
  it('reads the main ring, resumes, then reads the spill', () => {
    const main = new HeldRing();
    const spill = new HeldRing();
    [1, 2].forEach((id) => main.write(id));
    [3, 4].forEach((id) => spill.write(id));
    const { read, resumes, drain, pair } = pairOf(main, spill);
    expect(drain()).toBe(4);
    expect(read).toEqual([1, 2, 3, 4]);
    expect(resumes.n).toBe(1);
    expect(pair.records).toBe(4);
    // An empty spill needs no resume (a syscall).
    main.write(5);
    drain();
    expect(resumes.n).toBe(1);
  });

  it('a main ring record still being written holds the spill back until it is read', () => {
    const main = new HeldRing();
    const spill = new HeldRing();
    main.write(1);
    main.write(2, true); // reserved before the ring filled, its producer preempted
    main.write(3);
    [4, 5].forEach((id) => spill.write(id));
    const { read, resumes, drain, pair } = pairOf(main, spill);
    drain();
    expect(read).toEqual([1]);
    expect(resumes.n).toBe(0);
    expect(pair.spillWaits).toBe(1);
    drain(); // still held
    expect(read).toEqual([1]);
    main.commit(2);
    spill.write(6);
    drain();
    expect(read).toEqual([1, 2, 3, 4, 5, 6]);
    expect(resumes.n).toBe(1);
    expect(pair.spillWaits).toBe(2);
  });

  it('a spill more than half full is read anyway: a record out of order, none lost', () => {
    const main = new HeldRing();
    const spill = new HeldRing();
    main.write(1, true);
    [2, 3, 4].forEach((id) => spill.write(id));
    const { read, resumes, drain } = pairOf(main, spill, 32); // 24 of 32 bytes used
    drain();
    expect(read).toEqual([2, 3, 4]);
    expect(resumes.n).toBe(1);
    main.commit(1);
    drain();
    expect(read).toEqual([2, 3, 4, 1]);
  });

  it('a spill record reserved before the resume and still being written is read before the main ring at the next drain', () => {
    const main = new HeldRing();
    const spill = new HeldRing();
    spill.write(1);
    spill.write(2, true); // its program saw the spill mode just before the resume
    const { read, drain } = pairOf(main, spill);
    drain();
    expect(read).toEqual([1]);
    spill.commit(2);
    main.write(3); // written to the main ring after the resume
    drain();
    expect(read).toEqual([1, 2, 3]);
  });

  it('rings that cannot tell their positions (libbpf) resume and read the spill at every drain', () => {
    const main = new HeldRing(false);
    const spill = new HeldRing(false);
    main.write(1);
    spill.write(2);
    const { read, resumes, drain } = pairOf(main, spill);
    drain();
    drain();
    expect(read).toEqual([1, 2]);
    expect(resumes.n).toBe(2);
  });

  it('a handler error is rethrown after its record, which counts as read', () => {
    const main = new HeldRing();
    [1, 2].forEach((id) => main.write(id));
    const pair = new RingPair(main, null, 0, () => {});
    const seen: number[] = [];
    const failing = (buf: Buffer, offset: number) => {
      seen.push(buf.readUInt32LE(offset));
      throw new Error('bad record');
    };
    expect(() => pair.drain(failing)).toThrow('bad record');
    expect(seen).toEqual([1]);
  });
});
