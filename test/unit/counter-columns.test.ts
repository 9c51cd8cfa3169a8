// Format version 4: counter snapshots packed as columns. The blob is untrusted input.
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyBatch, createCoreState } from '../../src/core/reducer';
import { toJsonFlow } from '../../src/core/flow-json';
import type { AppEvent, CountersEvent } from '../../src/events/types';
import { openRecording } from '../../src/record/reader';
import { MAX_PACKED_ENTRIES, columnsToCounters, countersToColumns, decodeCounterColumns, encodeCounterColumns } from '../../src/record/counter-columns';
import { readAll, tempDir, writeRecording } from '../replay/recording-helpers';

type Entry = CountersEvent['flows'][number];
const entry = (flowId: number, v: Partial<Entry> = {}): Entry => ({ flowId, bytesSent: 0, bytesReceived: 0, packetsSent: 0, packetsReceived: 0, retransmits: 0, srttUs: 0, ...v });
const roundTrip = (flows: Entry[]) => {
  const c = decodeCounterColumns(encodeCounterColumns(countersToColumns(flows)));
  if (typeof c === 'string') throw new Error(c);
  return columnsToCounters(c);
};
const widths = (flows: Entry[]) => [...encodeCounterColumns(countersToColumns(flows)).subarray(1, 8)];

describe('counter columns', () => {
  it('round-trips every value exactly, null included, each column in the narrowest width that holds it', () => {
    const flows = [
      entry(7, { bytesSent: 2 ** 53 - 1, bytesReceived: 254, packetsSent: null, packetsReceived: 65_534, retransmits: null, srttUs: 1.5 }),
      entry(70_000, { bytesSent: 0, bytesReceived: 0xff, packetsSent: 2 ** 32 - 2, packetsReceived: null, retransmits: null, srttUs: -1 }),
    ];
    expect(roundTrip(flows)).toEqual(flows);
    // flowId u32, bytesSent f64, bytesReceived u16 (255 is u8's null), packets u32 / u16, retransmits u8 (all null), srtt f64
    expect(widths(flows)).toEqual([4, 8, 2, 4, 2, 1, 8]);
  });

  it('round-trips an empty snapshot (its time still moves the replay clock)', () => {
    expect(roundTrip([])).toEqual([]);
  });

  it('round-trips random snapshots', () => {
    const value = fc.oneof(fc.constant(null), fc.nat(300), fc.nat(70_000), fc.nat(2 ** 33), fc.maxSafeNat(), fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0)));
    fc.assert(
      fc.property(fc.array(fc.record({ flowId: fc.nat(2 ** 40), bytesSent: fc.maxSafeNat(), bytesReceived: fc.nat(2 ** 32), packetsSent: value, packetsReceived: value, retransmits: value, srttUs: value }), { maxLength: 40 }), (flows) => {
        expect(roundTrip(flows)).toEqual(flows);
      }),
    );
  });

  it('decodes small snapshots (read byte by byte) and large ones (through views), at any alignment, to the same values', () => {
    const value = fc.oneof(fc.constant(null), fc.nat(300), fc.nat(70_000), fc.nat(2 ** 33), fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0)));
    const flow = fc.record({ flowId: fc.nat(2 ** 32), bytesSent: fc.maxSafeNat(), bytesReceived: fc.nat(2 ** 32), packetsSent: value, packetsReceived: value, retransmits: value, srttUs: value });
    fc.assert(
      fc.property(fc.array(flow, { minLength: 60, maxLength: 70 }), fc.nat(7), (flows, shift) => {
        const blob = encodeCounterColumns(countersToColumns(flows));
        const at = new Uint8Array(blob.length + shift);
        at.set(blob, shift);
        const c = decodeCounterColumns(at.subarray(shift));
        if (typeof c === 'string') throw new Error(c);
        expect(columnsToCounters(c)).toEqual(flows);
      }),
      { numRuns: 50 },
    );
  });

  it('refuses a malformed blob with what is wrong, never reading past it or allocating for a forged count', () => {
    const good = encodeCounterColumns(countersToColumns([entry(1), entry(2)]));
    const bad = (change: (b: Buffer) => void) => {
      const b = Buffer.from(good);
      change(b);
      return decodeCounterColumns(b);
    };
    expect(decodeCounterColumns(good.subarray(0, 10))).toMatch(/shorter than their header/);
    expect(bad((b) => (b[0] = 2))).toMatch(/unknown layout 2/);
    expect(bad((b) => (b[3] = 3))).toMatch(/column of width 3/);
    expect(bad((b) => b.writeUInt32LE(MAX_PACKED_ENTRIES + 1, 8))).toMatch(/entries \(at most/);
    expect(bad((b) => b.writeUInt32LE(9, 8))).toMatch(/9 entries need/);
    expect(decodeCounterColumns(Buffer.concat([good, Buffer.alloc(8)]))).toMatch(/entries need/);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (junk) => {
        const r = decodeCounterColumns(junk);
        if (typeof r !== 'string') expect(r.flowId.length).toBe(r.length);
      }),
    );
  });

  it('the reducer applies a snapshot as columns exactly as it applies it as objects (the v4 fixture)', async () => {
    const dir = join(import.meta.dirname, '..', 'fixtures', 'recordings');
    const src = await openRecording(join(dir, 'v4.ssrec'));
    const replayed: AppEvent[][] = [];
    for await (const b of src.batches()) replayed.push(b);
    await src.close();
    expect(replayed.flat().filter((e) => e.type === 'counter-columns')).toHaveLength(5);
    const written: AppEvent[][] = JSON.parse(readFileSync(join(dir, 'v4.events.json'), 'utf8'));
    const flows = (batches: AppEvent[][]) => {
      const state = createCoreState();
      for (const b of batches) applyBatch(state, b);
      return [...state.flows.values()].map((f) => toJsonFlow(state, f, 0));
    };
    expect(flows(replayed)).toEqual(flows(written));
    expect(flows(written).some((f) => f.bytes_sent === 2 ** 40 + 3 && f.packets_sent === null)).toBe(true);
  });

  it('a recording stores counters as packed columns and splits a snapshot above the cap', async () => {
    const path = join(tempDir(), 'big.ssrec');
    const flows = Array.from({ length: MAX_PACKED_ENTRIES + 5 }, (_, i) => entry(i + 1, { bytesSent: i }));
    writeRecording(path, [[{ type: 'counters', ts: 1, flows }]]);
    const r = await readAll(path);
    expect(r.damage).toBeNull();
    const got = r.batches.flat();
    expect(got.map((e) => e.type === 'counters' && e.flows.length)).toEqual([MAX_PACKED_ENTRIES, 5]);
    expect(got.flatMap((e) => (e.type === 'counters' ? e.flows : []))).toEqual(flows);
  });
});
