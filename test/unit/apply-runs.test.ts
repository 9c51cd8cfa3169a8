// applyRecordedBatch: kernel-records runs folded into the reducer in place (how `sockscope
// live` applies its flow records) must leave the state that the expanded events leave.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyKernelRecords, applyRecordedBatch } from '../../src/core/apply-runs';
import { toJsonFlow } from '../../src/core/flow-json';
import { applyBatch, createCoreState } from '../../src/core/reducer';
import type { CoreState } from '../../src/core/state';
import { decodeCounterColumns } from '../../src/record/counter-columns';
import { expandStored, type StoredEvent } from '../../src/record/check-events';
import { KERNEL_RECORDS_LAYOUT, type RecordedEvent } from '../../src/events/kernel-records';
import type { AppEvent } from '../../src/events/types';
import { runsFromEvents } from '../../src/record/runs-from-events';
import { storedEvents } from '../replay/stored-frames';
import { syntheticBatches } from '../replay/synthetic';

const options = { lingerNs: Infinity, maxFlows: Number.MAX_SAFE_INTEGER, historyLength: 60 };

/** What a test can compare of a state: every flow's JSON and lifecycle, the totals. */
function summary(s: CoreState) {
  return {
    flows: [...s.flows.values()].map((f) => ({ ...toJsonFlow(s, f), flowId: f.flowId, lifecycle: f.lifecycle, history: f.history })),
    totals: s.totals,
    failures: s.failures,
    processes: [...s.processes],
  };
}

/** Stored events with packed counters unpacked and runs kept, as the live source yields them. */
function withRuns(stored: StoredEvent[]): RecordedEvent[] {
  return stored.map((e) => {
    if (e.type !== 'packed-counters') return e;
    const columns = decodeCounterColumns(e.bytes);
    if (typeof columns === 'string') throw new Error(columns);
    return { type: 'counter-columns', ts: e.ts, columns } as AppEvent;
  });
}

describe('applyRecordedBatch', () => {
  // brief.ssrec's runs are FLOW_BRIEF records (applyBrief); churn's and demo's are not
  for (const name of ['churn.ssrec', 'demo.ssrec', 'brief.ssrec']) {
    it(`leaves the state of the expanded events: ${name}`, () => {
      const stored = storedEvents(join(__dirname, '../../recordings', name));
      const expanded = expandStored(stored);
      if (!Array.isArray(expanded)) throw new Error(expanded.what);
      const runs = withRuns(stored);
      expect(runs.some((e) => e.type === 'kernel-records')).toBe(true);
      const a = createCoreState(options);
      applyBatch(a, expanded);
      const b = createCoreState(options);
      applyRecordedBatch(b, runs);
      expect(b.flows.size).toBeGreaterThan(0);
      expect(summary(b)).toEqual(summary(a));
    });
  }

  it('leaves the state of the events on synthetic capture (TCP, UDP, IPv6, state changes, failures)', () => {
    const a = createCoreState(options);
    const b = createCoreState(options);
    for (const batch of syntheticBatches({ seconds: 8, steadyFlows: 30, churnPerSec: 40, seed: 11 })) {
      applyBatch(a, batch);
      applyRecordedBatch(b, runsFromEvents(batch));
    }
    expect(summary(b)).toEqual(summary(a));
  });

  it('refuses a run that does not add up, or of another layout', () => {
    const s = createCoreState(options);
    const bad = Buffer.alloc(12);
    bad.writeUInt32LE(200, 0);
    expect(() => applyKernelRecords(s, { type: 'kernel-records', layout: KERNEL_RECORDS_LAYOUT, bytes: bad })).toThrow(/overruns/);
    expect(() => applyKernelRecords(s, { type: 'kernel-records', layout: 99, bytes: Buffer.alloc(0) })).toThrow(/layout 99/);
  });
});
