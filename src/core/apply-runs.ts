// Batches that may hold kernel-records runs (src/events/kernel-records.ts), folded into the
// reducer's state without an event object per flow record. `sockscope live` gets its flow
// records this way (src/live/source.ts, openLiveRunsSource): under connection churn each
// connection is two FLOW_BRIEF records, and decoding each into an open and a close event
// (three objects, two array slots, a pass of the enricher over every event) was work that
// only led to the reducer's typed-array rows. Each record's events are decoded into the
// same few objects (decodeFlowRecordWith) and applied at once: applyEvent keeps no event,
// only the owner and the strings it interns. The state is the one applyBatch gives for the
// expanded events (test/unit/apply-runs.test.ts).
import { decodeFlowRecordWith, flowRecordScratch, le32 } from '../events/decode';
import { expandKernelRecords, KERNEL_RECORDS_LAYOUT, runBytes, type KernelRecordsEvent, type RecordedEvent } from '../events/kernel-records';
import type { AppEvent, FlowCloseEvent, FlowOpenEvent } from '../events/types';
import { applyBrief, applyEvent } from './reducer';
import type { CoreState } from './state';

const scratch = flowRecordScratch();

/** applyBatch for batches with runs: a run's records are applied in place, in order. */
export function applyRecordedBatch(state: CoreState, events: readonly RecordedEvent[]): void {
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    if (e.type === 'kernel-records') applyKernelRecords(state, e);
    else applyEvent(state, e);
  }
}

/** The run's events applied as expandKernelRecords gives them. Live runs are whole flow
 * records (the collector takes no other); anything else in a run is an error, thrown as
 * expandKernelRecords words it, with the records before it applied. */
export function applyKernelRecords(state: CoreState, ev: KernelRecordsEvent): void {
  if (ev.layout !== KERNEL_RECORDS_LAYOUT) throw new Error(expandKernelRecords(ev) as string);
  const b = runBytes(ev);
  const apply = (e: AppEvent) => applyEvent(state, e);
  // A FLOW_BRIEF (most records under churn) is applied in one call (reducer.ts applyBrief).
  const brief = (open: FlowOpenEvent, close: FlowCloseEvent) => applyBrief(state, open, close);
  let pos = 0;
  while (pos < b.length) {
    const len = pos + 4 <= b.length ? le32(b, pos) : -1;
    if (len < 4 || pos + 4 + len > b.length || !decodeFlowRecordWith(b, pos + 4, len, scratch, apply, brief)) {
      const err = expandKernelRecords(ev);
      throw new Error(typeof err === 'string' ? err : `kernel records run unreadable at byte ${pos}`);
    }
    pos += 4 + len;
  }
}
