// Flow events -> the kernel's record bytes (bpf/sockscope.h, through the layout table),
// the inverse of decodeRecord for the flow records. Used to store the flow events of a
// recording that was re-encoded or filtered (scripts/record-fixture.mjs) as kernel-records
// runs, as `record` stores them, and by tests to build runs without a kernel. The bytes
// are what the kernel would write for the event; whether they decode back to exactly the
// event is for the caller to check (runs-from-events.ts does).
import type { ConnectFailEvent, FlowCloseEvent, FlowCounters, FlowOpenEvent, FlowStateEvent, Owner } from '../events/types';
import { TCP_STATES } from '../events/decode';
import { KernelRecordRun, type KernelRecordsEvent } from '../events/kernel-records';
import { BRIEF_RECORD, COUNTERS, FLOW_RECORD, OWNER, REC, STATE_RECORD, TUPLE, type Field } from '../events/layout';

const at = (base: number, fld: Field) => base + fld.offset;

function u64(b: Buffer, o: number, v: number): void {
  b.writeBigUInt64LE(BigInt(v), o);
}

/** An address string -> 16 bytes at `o` (IPv4 in the first 4). */
function putAddr(b: Buffer, o: number, addr: string): void {
  if (addr.includes('.')) {
    addr.split('.').forEach((p, i) => (b[o + i] = Number(p)));
    return;
  }
  const [head, tail] = addr.includes('::') ? addr.split('::') : [addr, null];
  const hs = head ? head.split(':') : [];
  const ts = tail ? tail.split(':') : [];
  const groups = [...hs, ...Array(8 - hs.length - ts.length).fill('0'), ...ts];
  groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), o + 2 * i));
}

function putOwner(b: Buffer, o: number, w: Owner): void {
  const m = OWNER.members;
  b.writeUInt32LE(w.pid, at(o, m.tgid));
  b.writeUInt32LE(w.tid, at(o, m.tid));
  b.writeUInt32LE(w.ppid, at(o, m.ppid));
  b.writeUInt32LE(w.uid, at(o, m.uid));
  b.writeUInt32LE(w.gid, at(o, m.gid));
  b.writeUInt32LE(w.netns, at(o, m.netns));
  u64(b, at(o, m.cgroup_id), w.cgroupId);
  b.write(w.comm.slice(0, m.comm.size - 1), at(o, m.comm));
}

function putCounters(b: Buffer, o: number, c: FlowCounters): void {
  const m = COUNTERS.members;
  u64(b, at(o, m.bytes_sent), c.bytesSent);
  u64(b, at(o, m.bytes_received), c.bytesReceived);
  u64(b, at(o, m.packets_sent), c.packetsSent ?? 0);
  u64(b, at(o, m.packets_received), c.packetsReceived ?? 0);
  b.writeUInt32LE(c.retransmits ?? 0, at(o, m.retransmits));
  b.writeUInt32LE(c.srttUs ?? 0, at(o, m.srtt_us));
}

function flowRecord(type: number, size: number, e: FlowOpenEvent | ConnectFailEvent): Buffer {
  const b = Buffer.alloc(size);
  const m = FLOW_RECORD.members;
  const t = m.tuple.offset;
  b.writeUInt32LE(type, m.type.offset);
  u64(b, m.ts.offset, e.ts);
  b[at(t, TUPLE.members.family)] = e.family === 4 ? 2 : 10;
  b[at(t, TUPLE.members.proto)] = e.proto === 'udp' ? 17 : 6;
  putAddr(b, at(t, TUPLE.members.laddr), e.laddr);
  putAddr(b, at(t, TUPLE.members.raddr), e.raddr);
  b.writeUInt16LE(e.lport, at(t, TUPLE.members.lport));
  b.writeUInt16LE(e.rport, at(t, TUPLE.members.rport));
  putOwner(b, m.owner.offset, e.owner);
  if (e.type === 'connect-fail') {
    b[m.reason.offset] = ['closed', 'refused', 'reset', 'timeout', 'unreachable'].indexOf(e.reason);
    b.writeUInt32LE(e.latencyUs, m.latency_us.offset);
    return b;
  }
  b.writeUInt32LE(e.flowId, m.flow_id.offset);
  u64(b, m.cookie.offset, e.cookie);
  b[m.direction.offset] = ['unknown', 'outbound', 'inbound'].indexOf(e.direction);
  b[m.state.offset] = e.proto === 'udp' ? 0 : TCP_STATES.indexOf(e.state as (typeof TCP_STATES)[number]);
  b[m.seen_at_start.offset] = e.seenAtStart ? 1 : 0;
  b.writeUInt32LE(e.connectLatencyUs ?? 0, m.latency_us.offset);
  return b;
}

export function openRecord(e: FlowOpenEvent): Buffer {
  return flowRecord(REC.FLOW_OPEN, FLOW_RECORD.size, e);
}

export function failRecord(e: ConnectFailEvent): Buffer {
  return flowRecord(REC.CONNECT_FAIL, FLOW_RECORD.size, e);
}

/** A record of `layout` whose head (type, flow id, time) is filled in. */
function headed(layout: typeof FLOW_RECORD | typeof STATE_RECORD, type: number, e: { flowId: number; ts: number }): Buffer {
  const b = Buffer.alloc(layout.size);
  b.writeUInt32LE(type, layout.members.type.offset);
  b.writeUInt32LE(e.flowId, layout.members.flow_id.offset);
  u64(b, layout.members.ts.offset, e.ts);
  return b;
}

/** A TCP FLOW_CLOSE (UDP flows close from the maps, never from a record). */
export function closeRecord(e: FlowCloseEvent): Buffer {
  const b = headed(FLOW_RECORD, REC.FLOW_CLOSE, e);
  const m = FLOW_RECORD.members;
  b[at(m.tuple.offset, TUPLE.members.proto)] = 6;
  putCounters(b, m.counters.offset, e.counters);
  return b;
}

/** The one record of a TCP flow that opened and closed within an interval. */
export function briefRecord(open: FlowOpenEvent, close: FlowCloseEvent): Buffer {
  const b = flowRecord(REC.FLOW_BRIEF, BRIEF_RECORD.size, open);
  putCounters(b, FLOW_RECORD.members.counters.offset, close.counters);
  u64(b, BRIEF_RECORD.members.close_ts.offset, close.ts);
  return b;
}

export function stateRecord(e: FlowStateEvent): Buffer {
  const b = headed(STATE_RECORD, REC.FLOW_STATE, e);
  b[STATE_RECORD.members.state.offset] = TCP_STATES.indexOf(e.state as (typeof TCP_STATES)[number]);
  return b;
}

/** A run of the given records. */
export function run(records: Buffer[]): KernelRecordsEvent {
  const r = new KernelRecordRun();
  for (const rec of records) r.append(rec, rec.readUInt32LE(0));
  return r.take()!;
}
