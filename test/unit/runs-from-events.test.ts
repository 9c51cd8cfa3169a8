// runsFromEvents: decoded flow events back into kernel-records runs (how
// scripts/record-fixture.mjs stores the committed recordings). The reader's expansion of
// what it makes must be the batch itself; whatever would not come back exactly stays a
// plain event.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_RUN_BYTES, walkKernelRecords, type KernelRecordsEvent, type RecordedEvent } from '../../src/events/kernel-records';
import { REC } from '../../src/events/layout';
import type { AppEvent, FlowCloseEvent, FlowCounters, FlowOpenEvent, Owner } from '../../src/events/types';
import type { StoredEvent } from '../../src/record/check-events';
import { expandStored } from '../../src/record/check-events';
import { runsFromEvents } from '../../src/record/runs-from-events';
import { storedEvents } from '../replay/stored-frames';
import { syntheticBatches } from '../replay/synthetic';

const owner: Owner = { pid: 4242, tid: 4243, ppid: 1, uid: 1000, gid: 100, comm: 'nginx', cgroupId: 2 ** 40 + 7, netns: 4026531840 };
const tcpCounters: FlowCounters = { bytesSent: 2 ** 33 + 5, bytesReceived: 77, packetsSent: 3, packetsReceived: 4, retransmits: 1, srttUs: 250 };
const udpCounters: FlowCounters = { bytesSent: 100, bytesReceived: 200, packetsSent: 1, packetsReceived: 2, retransmits: null, srttUs: null };

function open(flowId: number, over: Partial<FlowOpenEvent> = {}): FlowOpenEvent {
  return {
    type: 'flow-open', ts: 5e9 + flowId, flowId, cookie: 900 + flowId, proto: 'tcp', family: 4, laddr: '127.0.0.1', lport: 40000 + flowId,
    raddr: '10.1.2.3', rport: 443, direction: 'outbound', owner, state: 'ESTABLISHED', connectLatencyUs: 120, seenAtStart: false, ...over,
  };
}
const close = (flowId: number, counters = tcpCounters): FlowCloseEvent => ({ type: 'flow-close', ts: 9e9 + flowId, flowId, counters });
const tick = (ts: number): AppEvent => ({ type: 'tick', ts, wallMs: 1e12 + ts / 1e6, lost: 0, evicted: 0 });

const isRun = (e: StoredEvent): e is KernelRecordsEvent => e.type === 'kernel-records';
function recordTypes(r: KernelRecordsEvent): number[] {
  const types: number[] = [];
  walkKernelRecords(r.bytes, (type) => types.push(type));
  return types;
}
/** What a reader makes of the stored batch. */
function expanded(stored: RecordedEvent[]): AppEvent[] {
  const out = expandStored(stored);
  if (!Array.isArray(out)) throw new Error(out.what);
  return out;
}

describe('runsFromEvents', () => {
  it('expands back to the very batch, on synthetic capture', () => {
    for (const batch of syntheticBatches({ seconds: 5, steadyFlows: 20, churnPerSec: 30, seed: 3 })) {
      const stored = runsFromEvents(batch);
      expect(expanded(stored)).toEqual(batch);
    }
    // Most flow events travel in runs (the synthetic generator also makes events no
    // kernel record gives, e.g. a connect latency on an inbound flow: those stay events).
    const all = syntheticBatches({ seconds: 5, steadyFlows: 20, churnPerSec: 30, seed: 3 }).flatMap(runsFromEvents);
    const isFlow = (e: RecordedEvent) => e.type === 'flow-open' || e.type === 'flow-close' || e.type === 'flow-state' || e.type === 'connect-fail';
    const inRuns = expanded(all.filter(isRun)).length;
    const loose = all.filter(isFlow).length;
    expect(inRuns).toBeGreaterThan(4 * loose);
  });

  it('makes a FLOW_BRIEF only of a TCP open directly followed by its close', () => {
    const udpOpen = open(3, { proto: 'udp', state: 'open', connectLatencyUs: null });
    const batch: AppEvent[] = [
      open(1), close(1), // adjacent: one brief
      open(2), { type: 'flow-state', ts: 6e9, flowId: 2, state: 'FIN_WAIT1' }, close(2), // a state between: three records
      udpOpen, close(3, udpCounters), // UDP: an open record, the close stays an event
    ];
    const stored = runsFromEvents(batch);
    expect(expanded(stored)).toEqual(batch);
    expect(stored.length).toBe(2);
    expect(recordTypes(stored[0] as KernelRecordsEvent)).toEqual([REC.FLOW_BRIEF, REC.FLOW_OPEN, REC.FLOW_STATE, REC.FLOW_CLOSE, REC.FLOW_OPEN]);
    expect(stored[1]).toBe(batch[6]);
  });

  it('keeps an event its record would change as a plain event, cutting the run there', () => {
    const longComm = open(2, { owner: { ...owner, comm: 'a-name-over-15-chars' } }); // the kernel keeps 15 bytes
    const oddAddr = open(3, { laddr: '127.000.0.1' }); // decodes as 127.0.0.1
    const batch: AppEvent[] = [open(1), longComm, open(4), oddAddr, tick(7e9), open(5)];
    const stored = runsFromEvents(batch);
    expect(expanded(stored)).toEqual(batch);
    expect(stored.map((e) => (isRun(e) ? recordTypes(e).length : e))).toEqual([1, longComm, 1, oddAddr, batch[4], 1]);
  });

  it('cuts runs at the collector size cap', () => {
    const batch = Array.from({ length: 1000 }, (_, i) => open(i + 1));
    const stored = runsFromEvents(batch);
    expect(stored.length).toBeGreaterThan(1);
    for (const r of stored) expect(isRun(r) && r.bytes.length < MAX_RUN_BYTES + 200).toBe(true);
    expect(expanded(stored)).toEqual(batch);
  });

  it('the committed recordings store their flow events in runs', () => {
    for (const name of ['demo', 'churn']) {
      const stored = storedEvents(join(import.meta.dirname, '../../recordings', `${name}.ssrec`));
      const loose = stored.filter((e) => e.type === 'flow-open' || e.type === 'flow-state' || e.type === 'connect-fail' || (e.type === 'flow-close' && e.counters.retransmits !== null));
      expect(stored.some(isRun), name).toBe(true);
      expect(loose, name).toEqual([]);
    }
  });
});
