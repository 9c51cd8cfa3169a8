// Decoded flow events -> kernel-records runs, for recordings re-encoded or filtered after
// the fact (scripts/record-fixture.mjs): stored as runs, as `record` stores them, their
// flow events take fewer bytes and replay faster than as msgpack objects. Exact by
// construction: an event goes into a run only if the record it encodes to decodes back
// to an event deep-equal to it, and the reader's expansion of the result is the batch
// itself, in the same order (a FLOW_BRIEF, as the kernel sends it, only for a TCP open
// directly followed by its close, which is where the reader puts the close of a brief).
import { isDeepStrictEqual } from 'node:util';
import type { AppEvent } from '../events/types';
import { decodeFlowRecordAt } from '../events/decode';
import { KernelRecordRun, type RecordedEvent } from '../events/kernel-records';
import { briefRecord, closeRecord, failRecord, openRecord, stateRecord } from './flow-record-encoder';

/** The record of a lone flow event, or null for an event no flow record carries. */
function recordOf(e: AppEvent): Buffer | null {
  switch (e.type) {
    case 'flow-open':
      return openRecord(e);
    case 'connect-fail':
      return failRecord(e);
    case 'flow-state':
      return stateRecord(e);
    case 'flow-close':
      return closeRecord(e);
    default:
      return null;
  }
}

/** Whether `rec` decodes to exactly `events`. */
function decodesTo(rec: Buffer, events: readonly AppEvent[]): boolean {
  const out: AppEvent[] = [];
  return decodeFlowRecordAt(rec, 0, rec.length, out) && isDeepStrictEqual(out, events);
}

/** The batch with its flow events gathered into kernel-records runs (cut by every other
 * event and at the collector's size cap); expandStored() of the result equals the batch. */
export function runsFromEvents(batch: readonly AppEvent[]): RecordedEvent[] {
  const out: RecordedEvent[] = [];
  const collector = new KernelRecordRun();
  const cut = () => {
    const r = collector.take();
    if (r) out.push(r);
  };
  const add = (rec: Buffer) => {
    if (collector.append(rec, rec.readUInt32LE(0))) cut();
  };
  for (let i = 0; i < batch.length; i++) {
    const e = batch[i];
    const next = batch[i + 1];
    if (e.type === 'flow-open' && e.proto === 'tcp' && next?.type === 'flow-close' && next.flowId === e.flowId) {
      const brief = briefRecord(e, next);
      if (decodesTo(brief, [e, next])) {
        add(brief);
        i++;
        continue;
      }
    }
    const rec = recordOf(e);
    if (rec && decodesTo(rec, [e])) add(rec);
    else {
      cut();
      out.push(e);
    }
  }
  cut();
  return out;
}
