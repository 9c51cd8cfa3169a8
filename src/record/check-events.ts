// Shape checks for the records of an event frame. A frame passed its checksum, so this
// guards against files written by something else (or a future writer that kept the
// version number): whatever passes cannot make the reducer or flow-json throw.
// Cheap on purpose: replay runs at a million events per second.
import type { AppEvent } from '../events/types';
import { expandKernelRecords, type RecordedEvent } from '../events/kernel-records';
import { decodeCounterColumns, type PackedCountersEvent } from './counter-columns';
import { FLOW_OWNER_VERSION, KERNEL_RECORDS_VERSION, PACKED_COUNTERS_VERSION } from './format';

/** What an event frame may hold: events, and the stored forms the reader expands. */
export type StoredEvent = RecordedEvent | PackedCountersEvent;

const isObj = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null;
const isNum = (v: unknown) => typeof v === 'number';
const isStr = (v: unknown) => typeof v === 'string';
const numOrNull = (v: unknown) => v === null || typeof v === 'number';
const strOrNull = (v: unknown) => v === null || typeof v === 'string';

function owner(o: unknown): boolean {
  return isObj(o) && isNum(o.pid) && isNum(o.tid) && isNum(o.ppid) && isNum(o.uid) && isNum(o.gid) && isStr(o.comm) && isNum(o.cgroupId);
}
function tuple(e: Record<string, any>): boolean {
  return isStr(e.proto) && isNum(e.family) && isStr(e.laddr) && isNum(e.lport) && isStr(e.raddr) && isNum(e.rport);
}
function counters(c: unknown): boolean {
  return isObj(c) && isNum(c.bytesSent) && isNum(c.bytesReceived) && numOrNull(c.packetsSent) && numOrNull(c.packetsReceived) && numOrNull(c.retransmits) && numOrNull(c.srttUs);
}
function container(c: unknown): boolean {
  return c === null || (isObj(c) && isStr(c.id) && isStr(c.runtime) && strOrNull(c.name) && strOrNull(c.pod) && strOrNull(c.namespace));
}

function check(e: unknown, version: number): boolean {
  if (!isObj(e)) return false;
  switch (e.type) {
    case 'kernel-records':
      return version >= KERNEL_RECORDS_VERSION && isNum(e.layout) && e.bytes instanceof Uint8Array;
    case 'packed-counters':
      return version >= PACKED_COUNTERS_VERSION && isNum(e.ts) && e.bytes instanceof Uint8Array;
    case 'flow-open':
      return isNum(e.ts) && isNum(e.flowId) && tuple(e) && owner(e.owner) && isStr(e.state) && isStr(e.direction) && typeof e.seenAtStart === 'boolean' && numOrNull(e.connectLatencyUs);
    case 'flow-state':
      return isNum(e.ts) && isNum(e.flowId) && isStr(e.state);
    case 'flow-close':
      return isNum(e.ts) && isNum(e.flowId) && counters(e.counters);
    case 'flow-owner':
      return version >= FLOW_OWNER_VERSION && isNum(e.ts) && isNum(e.flowId) && owner(e.owner);
    case 'connect-fail':
      return isNum(e.ts) && tuple(e) && owner(e.owner) && isStr(e.reason);
    case 'counters': {
      if (!isNum(e.ts) || !Array.isArray(e.flows)) return false;
      const f = e.flows;
      for (let i = 0; i < f.length; i++) if (!counters(f[i]) || !isNum(f[i].flowId)) return false;
      return true;
    }
    case 'tick':
      return isNum(e.ts) && isNum(e.wallMs) && isNum(e.lost) && isNum(e.evicted);
    case 'proc-exec':
      // cmdline: absent in recordings made before the kernel captured argv.
      return isNum(e.ts) && isNum(e.pid) && isNum(e.ppid) && isNum(e.uid) && isStr(e.comm) && isStr(e.filename) && (e.cmdline === undefined || strOrNull(e.cmdline));
    case 'proc-fork':
      return isNum(e.ts) && isNum(e.pid) && isNum(e.ppid) && isStr(e.comm);
    case 'proc-exit':
      return isNum(e.ts) && isNum(e.pid);
    case 'process':
      return isNum(e.ts) && isNum(e.pid) && numOrNull(e.ppid) && strOrNull(e.exe) && strOrNull(e.cmdline);
    case 'user':
      return isNum(e.uid) && strOrNull(e.name);
    case 'group':
      return isNum(e.gid) && strOrNull(e.name);
    case 'cgroup':
      return isNum(e.cgroupId) && strOrNull(e.path) && container(e.container);
    case 'container-name':
      return isStr(e.id) && strOrNull(e.name);
    default:
      return false;
  }
}

/** The frame's events, or the index of the first malformed one. Stored forms are
 * accepted from the format version that introduced them on (kernel-records runs: 2,
 * packed counters: 4, flow-owner events: 5). */
export function checkEvents(v: unknown, version: number): StoredEvent[] | number {
  if (!Array.isArray(v)) return -1;
  for (let i = 0; i < v.length; i++) if (!check(v[i], version)) return i;
  return v as StoredEvent[];
}

/** The frame's events with each stored form expanded in its place (a kernel-records run
 * into its events, packed counters into a counter-columns event), or the first one that
 * does not decode (its index, and what is wrong). */
export function expandStored(events: StoredEvent[]): AppEvent[] | { index: number; what: string } {
  let i = 0;
  while (i < events.length && events[i].type !== 'kernel-records' && events[i].type !== 'packed-counters') i++;
  if (i === events.length) return events as AppEvent[];
  const out = events.slice(0, i) as AppEvent[];
  for (; i < events.length; i++) {
    const e = events[i];
    if (e.type === 'kernel-records') {
      const expanded = expandKernelRecords(e, out);
      if (typeof expanded === 'string') return { index: i, what: expanded };
    } else if (e.type === 'packed-counters') {
      const columns = decodeCounterColumns(e.bytes);
      if (typeof columns === 'string') return { index: i, what: columns };
      out.push({ type: 'counter-columns', ts: e.ts, columns });
    } else out.push(e);
  }
  return out;
}
