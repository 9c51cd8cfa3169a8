// withRuns: batches as `record` writes them, for tests and the v2 format fixture. The
// event -> record encoder itself is src/record/flow-record-encoder.ts (re-exported here).
import type { AppEvent, FlowCloseEvent } from '../../src/events/types';
import type { RecordedEvent } from '../../src/events/kernel-records';
import { briefRecord, closeRecord, failRecord, openRecord, run, stateRecord } from '../../src/record/flow-record-encoder';

export { briefRecord, closeRecord, failRecord, openRecord, run, stateRecord };

/**
 * A batch as `record` writes it: consecutive flow events become runs (a TCP open
 * followed later in the batch by its close, with no state change between, becomes one
 * FLOW_BRIEF, as the kernel sends it), everything else stays an event. UDP closes stay
 * events (they come from the maps).
 */
export function withRuns(batch: AppEvent[]): RecordedEvent[] {
  const out: RecordedEvent[] = [];
  let records: Buffer[] = [];
  const closedLater = new Map<number, FlowCloseEvent>();
  const stateChanged = new Set<number>();
  for (const e of batch) {
    if (e.type === 'flow-close') closedLater.set(e.flowId, e);
    if (e.type === 'flow-state') stateChanged.add(e.flowId);
  }
  const briefed = new Set<number>();
  const flush = () => {
    if (records.length > 0) out.push(run(records));
    records = [];
  };
  for (const e of batch) {
    if (e.type === 'flow-open' && e.proto === 'tcp' && closedLater.has(e.flowId) && !stateChanged.has(e.flowId)) {
      records.push(briefRecord(e, closedLater.get(e.flowId)!));
      briefed.add(e.flowId);
    } else if (e.type === 'flow-open') records.push(openRecord(e));
    else if (e.type === 'connect-fail') records.push(failRecord(e));
    else if (e.type === 'flow-state') records.push(stateRecord(e));
    else if (e.type === 'flow-close' && briefed.has(e.flowId)) continue;
    else if (e.type === 'flow-close' && e.counters.retransmits !== null) records.push(closeRecord(e)); // TCP
    else {
      flush();
      out.push(e);
    }
  }
  flush();
  return out;
}
