// A host-wide recording cut down to the flows owned in one network namespace, and the
// facts about their owners (scripts/record-fixture.mjs: the committed recordings hold
// their scenario and nothing else of the host). Works on the stored events
// (RecordingSource.storedBatches): a kernel-records run keeps the records of kept flows
// byte for byte, as the kernel wrote them (FLOW_BRIEF stays FLOW_BRIEF), and loses the
// others'; ordinary flow events are kept or dropped by the same flows.
import type { AppEvent } from '../events/types';
import { le32 } from '../events/decode';
import { KERNEL_RECORDS_LAYOUT, type KernelRecordsEvent, type RecordedEvent } from '../events/kernel-records';
import { FLOW_RECORD, OWNER, REC, STATE_RECORD } from '../events/layout';
import { expandStored, type StoredEvent } from './check-events';
import { columnsToCounters, decodeCounterColumns } from './counter-columns';

export interface NetnsFilterResult {
  batches: RecordedEvent[][];
  /** Flows kept (opened in the namespace). */
  flows: number;
}

/** The batches with what belongs to flows owned in `netns` (by inode) and every tick,
 * user and group fact. Counter snapshots come out as `counters` events of the kept flows. */
export function filterToNetns(stored: readonly (readonly StoredEvent[])[], netns: number): NetnsFilterResult {
  const expanded = stored.map((b, i) => {
    const e = expandStored(b as StoredEvent[]);
    if (!Array.isArray(e)) throw new Error(`batch ${i}, event #${e.index}: ${e.what}`);
    return e;
  });
  const flows = new Set<number>();
  const pids = new Set<number>();
  const cgroups = new Set<number>();
  const noteOwner = (o: { pid: number; ppid: number; cgroupId: number }) => {
    pids.add(o.pid);
    pids.add(o.ppid);
    cgroups.add(o.cgroupId);
  };
  for (const b of expanded) {
    for (const e of b) {
      if ((e.type === 'flow-open' || e.type === 'connect-fail') && e.owner.netns === netns) {
        if (e.type === 'flow-open') flows.add(e.flowId);
        noteOwner(e.owner);
      } else if (e.type === 'flow-owner' && flows.has(e.flowId)) noteOwner(e.owner);
    }
  }
  const containers = new Set<string>();
  for (const b of expanded) for (const e of b) if (e.type === 'cgroup' && cgroups.has(e.cgroupId) && e.container) containers.add(e.container.id);

  const keep = (e: AppEvent): boolean => {
    switch (e.type) {
      case 'flow-open':
      case 'flow-state':
      case 'flow-owner':
      case 'flow-close':
        return flows.has(e.flowId);
      case 'connect-fail':
        return e.owner.netns === netns;
      case 'proc-exec':
      case 'proc-fork':
      case 'proc-exit':
      case 'process':
        return pids.has(e.pid);
      case 'cgroup':
        return cgroups.has(e.cgroupId);
      case 'container-name':
        return containers.has(e.id);
      case 'tick':
      case 'user':
      case 'group':
        return true;
      default:
        return false; // counters are handled by the caller; nothing else is the scenario's
    }
  };
  const batches = stored.map((b) => {
    const out: RecordedEvent[] = [];
    for (const e of b) {
      if (e.type === 'kernel-records') {
        const run = keptRecords(e, flows, netns);
        if (run) out.push(run);
      } else if (e.type === 'packed-counters' || e.type === 'counters' || e.type === 'counter-columns') {
        const all = e.type === 'counters' ? e.flows : columnsToCounters(e.type === 'counter-columns' ? e.columns : columnsOf(e.bytes));
        const f = all.filter((c) => flows.has(c.flowId));
        if (f.length) out.push({ type: 'counters', ts: e.ts, flows: f });
      } else if (keep(e)) out.push(e);
    }
    return out;
  });
  return { batches, flows: flows.size };
}

function columnsOf(bytes: Uint8Array) {
  const c = decodeCounterColumns(bytes);
  if (typeof c === 'string') throw new Error(c);
  return c;
}

const FLOW_ID = FLOW_RECORD.members.flow_id.offset;
const NETNS = FLOW_RECORD.members.owner.offset + OWNER.members.netns.offset;

/** The run with only the records of kept flows (and connect failures in the namespace),
 * each copied as it is; null when none is left. */
function keptRecords(ev: KernelRecordsEvent, flows: ReadonlySet<number>, netns: number): KernelRecordsEvent | null {
  if (ev.layout !== KERNEL_RECORDS_LAYOUT) throw new Error(`kernel records of layout ${ev.layout}`);
  const b = Buffer.from(ev.bytes.buffer, ev.bytes.byteOffset, ev.bytes.byteLength);
  const parts: Buffer[] = [];
  let all = true;
  for (let pos = 0; pos < b.length; ) {
    const len = le32(b, pos);
    const at = pos + 4;
    const type = le32(b, at);
    const kept = type === REC.CONNECT_FAIL ? le32(b, at + NETNS) === netns : flows.has(le32(b, at + (type === REC.FLOW_STATE ? STATE_RECORD.members.flow_id.offset : FLOW_ID)));
    if (kept) parts.push(b.subarray(pos, at + len));
    else all = false;
    pos = at + len;
  }
  if (parts.length === 0) return null;
  return all ? ev : { type: 'kernel-records', layout: ev.layout, bytes: Buffer.concat(parts) };
}
