// Raw kernel bytes -> typed values. Pure functions over Buffers, offsets only from
// ./layout (checked against the object's BTF). Ring-buffer records become AppEvents
// (plus three internal records the live source consumes: the release of a UDP socket,
// which it turns into flow-close events, the path of a new cgroup, which it turns into a
// cgroup fact, and a short-lived TCP flow's one record, which it turns into its open and
// close events); map entries become counters and TCP states.
import type {
  AppEvent,
  ConnectFailEvent,
  Direction,
  Family,
  FlowCloseEvent,
  FlowCounters,
  FlowOpenEvent,
  Owner,
  Tuple,
} from './types';
import { BRIEF_RECORD, CGROUP_RECORD, COUNTERS, FLOW_RECORD, OWNER, PROC_RECORD, REC, STATE_RECORD, TCP_PHASE, TCP_SOCK, TUPLE, UDP_FLOW, UDP_KEY, type Field } from './layout';

const AF_INET = 2;
const AF_INET6 = 10;

/** Linux TCP states (include/net/tcp_states.h), by number. */
export const TCP_STATES = [
  'UNKNOWN', 'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT',
  'CLOSE', 'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'CLOSING', 'NEW_SYN_RECV',
] as const;

export function tcpStateName(n: number): string {
  return TCP_STATES[n] ?? `STATE_${n}`;
}

const DIRECTIONS: Direction[] = ['unknown', 'outbound', 'inbound'];
const FAIL_REASONS: ConnectFailEvent['reason'][] = ['closed', 'refused', 'reset', 'timeout', 'unreachable'];

// Under connection churn every record passes through here: plain reads at offsets, no
// BigInt and no subarray (each a heap object) on the way.
export const u8 = (b: Buffer, base: number, fld: Field) => b[base + fld.offset];
const u16 = (b: Buffer, base: number, fld: Field) => b.readUInt16LE(base + fld.offset);
export const u32 = (b: Buffer, base: number, fld: Field) => b.readUInt32LE(base + fld.offset);
/** As Number(readBigUInt64LE): hi * 2^32 is exact, so the one rounding of the sum is the
 * same as the BigInt's (values above 2^53). */
export const u64 = (b: Buffer, base: number, fld: Field) => {
  const o = base + fld.offset;
  return b.readUInt32LE(o + 4) * 4294967296 + b.readUInt32LE(o);
};

function cstring(b: Buffer, base: number, fld: Field): string {
  const start = base + fld.offset;
  const end = start + fld.size;
  let nul = start;
  while (nul < end && b[nul] !== 0) nul++;
  return b.toString('utf8', start, nul);
}

/** An address as the kernel stores it (network order, IPv4 in the first 4 bytes). An
 * IPv4-mapped IPv6 address (::ffff:a.b.c.d) is reported as IPv4, as CONTRACT.md says. */
export function formatAddr(bytes: Buffer, family: number): { family: Family; addr: string } {
  return formatAddrAt(bytes, 0, family);
}

function dotted(b: Buffer, o: number): string {
  return b[o] + '.' + b[o + 1] + '.' + b[o + 2] + '.' + b[o + 3];
}

/** formatAddr of the 16 bytes at offset `o`. */
function formatAddrAt(b: Buffer, o: number, family: number): { family: Family; addr: string } {
  if (family === AF_INET) return { family: 4, addr: dotted(b, o) };
  let zeros = true;
  for (let i = 0; i < 10 && zeros; i++) zeros = b[o + i] === 0;
  if (zeros && b[o + 10] === 0xff && b[o + 11] === 0xff) return { family: 4, addr: dotted(b, o + 12) };
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(o + i));
  return { family: 6, addr: compressIpv6(groups) };
}

/** RFC 5952: lowercase, longest run (>= 2) of zero groups becomes "::". */
function compressIpv6(groups: number[]): string {
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

export function decodeOwner(b: Buffer, base: number): Owner {
  const m = OWNER.members;
  return {
    pid: u32(b, base, m.tgid),
    tid: u32(b, base, m.tid),
    ppid: u32(b, base, m.ppid),
    uid: u32(b, base, m.uid),
    gid: u32(b, base, m.gid),
    comm: cstring(b, base, m.comm),
    cgroupId: u64(b, base, m.cgroup_id),
    netns: u32(b, base, m.netns),
  };
}

export function decodeTuple(b: Buffer, base: number): Tuple {
  const m = TUPLE.members;
  const fam = u8(b, base, m.family);
  const l = formatAddrAt(b, base + m.laddr.offset, fam);
  const r = formatAddrAt(b, base + m.raddr.offset, fam);
  // A v6 socket with an unspecified local address talking to a mapped v4 peer: the
  // peer decides the family.
  const family: Family = r.family === 4 || (l.family === 4 && r.addr === '::') ? 4 : 6;
  return {
    proto: u8(b, base, m.proto) === 17 ? 'udp' : 'tcp',
    family,
    laddr: family === 4 && l.family === 6 ? (l.addr === '::' ? '0.0.0.0' : l.addr) : l.addr,
    lport: u16(b, base, m.lport),
    raddr: r.addr,
    rport: u16(b, base, m.rport),
  };
}

export function decodeCounters(b: Buffer, base: number, proto: 'tcp' | 'udp'): FlowCounters {
  const m = COUNTERS.members;
  const tcp = proto === 'tcp';
  return {
    bytesSent: u64(b, base, m.bytes_sent),
    bytesReceived: u64(b, base, m.bytes_received),
    packetsSent: u64(b, base, m.packets_sent),
    packetsReceived: u64(b, base, m.packets_received),
    retransmits: tcp ? u32(b, base, m.retransmits) : null,
    srttUs: tcp ? u32(b, base, m.srtt_us) : null,
  };
}

/** The release of a UDP socket that had flows: the live source closes them. */
export interface UdpReleaseRecord {
  type: 'udp-release';
  ts: number;
  cookie: number;
}

/** A cgroup v2 directory was created: its id and path (from the v2 root). */
export interface CgroupMkdirRecord {
  type: 'cgroup-mkdir';
  ts: number;
  cgroupId: number;
  path: string;
}

/** A TCP flow that opened and closed within one interval, from its one FLOW_BRIEF record:
 * its flow-open (ts = open time) and its flow-close (ts = close time). */
export interface FlowBriefRecord {
  type: 'flow-brief';
  open: FlowOpenEvent;
  close: FlowCloseEvent;
}

export type DecodedRecord = AppEvent | UdpReleaseRecord | CgroupMkdirRecord | FlowBriefRecord;

/** argv as the kernel copied it (NUL-separated, maybe cut mid-argument): arguments joined
 * by spaces, as /proc/PID/cmdline is shown. null when nothing was read. */
export function argvToCmdline(raw: Buffer): string | null {
  let end = raw.length;
  while (end > 0 && raw[end - 1] === 0) end--;
  if (end === 0) return null;
  return raw.subarray(0, end).toString('utf8').replaceAll('\0', ' ');
}

/** One ring-buffer record. Returns null for a record too short for its type or of an
 * unknown type (a newer object than this decoder): never guessed. */
export function decodeRecord(b: Buffer): DecodedRecord | null {
  if (b.length < 4) return null;
  const type = b.readUInt32LE(0);
  switch (type) {
    case REC.FLOW_OPEN:
    case REC.FLOW_CLOSE:
    case REC.CONNECT_FAIL:
      return b.length < FLOW_RECORD.size ? null : decodeFlowRecord(b, type);
    case REC.FLOW_BRIEF: {
      if (b.length < BRIEF_RECORD.size) return null;
      const open = decodeFlowRecord(b, REC.FLOW_OPEN) as FlowOpenEvent;
      const counters = decodeCounters(b, FLOW_RECORD.members.counters.offset, open.proto);
      const close: FlowCloseEvent = { type: 'flow-close', ts: u64(b, 0, BRIEF_RECORD.members.close_ts), flowId: open.flowId, counters };
      return { type: 'flow-brief', open, close };
    }
    case REC.FLOW_STATE:
    case REC.UDP_RELEASE: {
      if (b.length < STATE_RECORD.size) return null;
      const m = STATE_RECORD.members;
      const ts = u64(b, 0, m.ts);
      if (type === REC.UDP_RELEASE) return { type: 'udp-release', ts, cookie: u64(b, 0, m.cookie) };
      return { type: 'flow-state', ts, flowId: u32(b, 0, m.flow_id), state: tcpStateName(u8(b, 0, m.state)) };
    }
    case REC.PROC_EXEC:
    case REC.PROC_FORK:
    case REC.PROC_EXIT: {
      const m = PROC_RECORD.members;
      // FORK and EXIT records stop where the exec-only fields begin.
      if (b.length < (type === REC.PROC_EXEC ? PROC_RECORD.size : m.filename.offset)) return null;
      const ts = u64(b, 0, m.ts);
      const pid = u32(b, 0, m.pid);
      if (type === REC.PROC_EXIT) return { type: 'proc-exit', ts, pid };
      const ppid = u32(b, 0, m.ppid);
      const comm = cstring(b, 0, m.comm);
      if (type === REC.PROC_FORK) return { type: 'proc-fork', ts, pid, ppid, comm };
      const argvLen = Math.min(u32(b, 0, m.cmdline_len), m.cmdline.size);
      const cmdline = argvToCmdline(b.subarray(m.cmdline.offset, m.cmdline.offset + argvLen));
      return { type: 'proc-exec', ts, pid, ppid, uid: u32(b, 0, m.uid), comm, filename: cstring(b, 0, m.filename), cmdline };
    }
    case REC.CGROUP_MKDIR: {
      if (b.length < CGROUP_RECORD.size) return null;
      const m = CGROUP_RECORD.members;
      return { type: 'cgroup-mkdir', ts: u64(b, 0, m.ts), cgroupId: u64(b, 0, m.cgroup_id), path: cstring(b, 0, m.path) };
    }
    default:
      return null;
  }
}

function decodeFlowRecord(b: Buffer, type: number): AppEvent {
  const m = FLOW_RECORD.members;
  const ts = u64(b, 0, m.ts);
  const flowId = u32(b, 0, m.flow_id);
  if (type === REC.FLOW_CLOSE) {
    // Only TCP sends FLOW_CLOSE (UDP flows close from the maps): no tuple or owner needed.
    const proto = b[m.tuple.offset + TUPLE.members.proto.offset] === 17 ? 'udp' : 'tcp';
    return { type: 'flow-close', ts, flowId, counters: decodeCounters(b, m.counters.offset, proto) };
  }
  const tuple = decodeTuple(b, m.tuple.offset);
  const owner = decodeOwner(b, m.owner.offset);
  const latencyUs = u32(b, 0, m.latency_us);
  if (type === REC.CONNECT_FAIL) {
    return { type: 'connect-fail', ts, ...tuple, owner, reason: FAIL_REASONS[u8(b, 0, m.reason)] ?? 'closed', latencyUs };
  }
  const direction = DIRECTIONS[u8(b, 0, m.direction)] ?? 'unknown';
  // Fields one by one rather than a spread of the tuple: one object shape, built once.
  const open: FlowOpenEvent = {
    type: 'flow-open',
    ts,
    flowId,
    cookie: u64(b, 0, m.cookie),
    proto: tuple.proto,
    family: tuple.family,
    laddr: tuple.laddr,
    lport: tuple.lport,
    raddr: tuple.raddr,
    rport: tuple.rport,
    direction,
    owner,
    state: tuple.proto === 'udp' ? 'open' : tcpStateName(u8(b, 0, m.state)),
    connectLatencyUs: tuple.proto === 'tcp' && direction === 'outbound' && latencyUs > 0 ? latencyUs : null,
    seenAtStart: u8(b, 0, m.seen_at_start) !== 0,
  };
  return open;
}

/** tcp_socks value fields read in place at `o` (the interval's loop over every flow
 * allocates nothing for one that did not change). Only TRACKED entries are flows with
 * counters; `state` is the TCP state the socket is in now (the kernel keeps it there
 * instead of sending changes). */
export const tcpSockAt = {
  flowId: (v: Buffer, o: number) => u32(v, o, TCP_SOCK.members.flow_id),
  tracked: (v: Buffer, o: number) => u8(v, o, TCP_SOCK.members.phase) === TCP_PHASE.TRACKED,
  snapTs: (v: Buffer, o: number) => u64(v, o, TCP_SOCK.members.snap_ts),
  state: (v: Buffer, o: number) => tcpStateName(u8(v, o, TCP_SOCK.members.state)),
  /** Where its counters start, for countersAt / sameCountersAt. */
  counters: (o: number) => o + TCP_SOCK.members.counters.offset,
};

/** udp_flows entry fields read in place (key at `ko`, value at `vo`). */
export const udpFlowAt = {
  cookie: (k: Buffer, ko: number) => u64(k, ko, UDP_KEY.members.cookie),
  flowId: (v: Buffer, vo: number) => u32(v, vo, UDP_FLOW.members.flow_id),
  counters: (vo: number) => vo + UDP_FLOW.members.counters.offset,
};

/** Whether the counters at `base` are those in `c`, without decoding them. */
export function sameCountersAt(b: Buffer, base: number, proto: 'tcp' | 'udp', c: FlowCounters): boolean {
  const m = COUNTERS.members;
  return u64(b, base, m.bytes_sent) === c.bytesSent && u64(b, base, m.bytes_received) === c.bytesReceived
    && u64(b, base, m.packets_sent) === c.packetsSent && u64(b, base, m.packets_received) === c.packetsReceived
    && (proto === 'udp' || (u32(b, base, m.retransmits) === c.retransmits && u32(b, base, m.srtt_us) === c.srttUs));
}
