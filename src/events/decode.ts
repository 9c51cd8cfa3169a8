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
  FlowStateEvent,
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
/** Flags in `reason` of a flow record (bpf/sockscope.h): a close (FLOW_CLOSE, FLOW_BRIEF)
 * the programs did not see (SS_CLOSE_UNSEEN), an open (FLOW_OPEN, FLOW_BRIEF) whose
 * ESTABLISHED they did not see (SS_OPEN_UNSEEN). */
const CLOSE_UNSEEN = 1;
const OPEN_UNSEEN = 2;

// Under connection churn every record passes through here: plain reads at offsets, no
// BigInt and no subarray (each a heap object) on the way. Bytes are read as array
// elements, not with Buffer's readUInt32LE and friends (their argument checks made u64 too
// large to inline: 5% of replaying churn.ssrec as runs, on its own): every caller checks
// the record's length against its layout first.
export const u8 = (b: Buffer, base: number, fld: Field) => b[base + fld.offset];
const u16 = (b: Buffer, base: number, fld: Field) => {
  const o = base + fld.offset;
  return b[o] | (b[o + 1] << 8);
};
/** The u32 (little-endian) at byte `o`. */
export const le32 = (b: Uint8Array, o: number) => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16)) + b[o + 3] * 0x1000000;
export const u32 = (b: Buffer, base: number, fld: Field) => le32(b, base + fld.offset);
/** As Number(readBigUInt64LE): hi * 2^32 is exact, so the one rounding of the sum is the
 * same as the BigInt's (values above 2^53). */
export const u64 = (b: Buffer, base: number, fld: Field) => {
  const o = base + fld.offset;
  return le32(b, o + 4) * 4294967296 + le32(b, o);
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
  return { family: isV4At(bytes, 0, family) ? 4 : 6, addr: addrAt(bytes, 0, family) };
}

/** Whether the 16-byte address at `o` is IPv4 (plain, or mapped into IPv6). */
function isV4At(b: Buffer, o: number, family: number): boolean {
  if (family === AF_INET) return true;
  for (let i = 0; i < 10; i++) if (b[o + i] !== 0) return false;
  return b[o + 10] === 0xff && b[o + 11] === 0xff;
}

/** The text of the address at `o` (formatAddr's addr), without an object per call. */
function addrAt(b: Buffer, o: number, family: number): string {
  if (family === AF_INET) return dotted(b, o);
  if (isV4At(b, o, family)) return dotted(b, o + 12);
  return ipv6Text(b, o);
}

/** Recently formatted IPv6 addresses, direct-mapped by a hash of their four words (each
 * slot keeps the words it holds, compared in full): as dotted() for IPv4, the same few
 * addresses (::1, a peer) come back in every record, and formatting one allocated three
 * arrays and joined strings (a sixth of decoding a kernel-records run on the synthetic
 * recording, 15% of whose flows are IPv6). */
const V6_SLOTS = 256;
const v6Words = new Uint32Array(V6_SLOTS * 4);
const v6Texts: Array<string | undefined> = new Array<string | undefined>(V6_SLOTS).fill(undefined);

function ipv6Text(b: Buffer, o: number): string {
  const w0 = b.readUInt32BE(o);
  const w1 = b.readUInt32BE(o + 4);
  const w2 = b.readUInt32BE(o + 8);
  const w3 = b.readUInt32BE(o + 12);
  const slot = (Math.imul(w0 ^ w1 ^ w2 ^ w3, 0x9e3779b1) >>> 24) & (V6_SLOTS - 1);
  const k = slot * 4;
  const known = v6Texts[slot];
  if (known !== undefined && v6Words[k] === w0 && v6Words[k + 1] === w1 && v6Words[k + 2] === w2 && v6Words[k + 3] === w3) return known;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(o + i));
  const text = compressIpv6(groups);
  v6Words[k] = w0;
  v6Words[k + 1] = w1;
  v6Words[k + 2] = w2;
  v6Words[k + 3] = w3;
  v6Texts[slot] = text;
  return text;
}

/** Recently formatted IPv4 addresses by value: under churn the same few peers come back
 * in every record, and one string each (instead of one per record) is less garbage and
 * hashes once when the reducer interns it. Cleared when full. */
const dottedCache = new Map<number, string>();
const MAX_DOTTED = 4096;

/** The address dotted() returned last: on loopback churn every local and remote address
 * is the same one, and a compare is cheaper than the Map lookup. */
let lastDottedKey = -1; // the signed key of 255.255.255.255, so that the start is true too
let lastDotted = '255.255.255.255';

function dotted(b: Buffer, o: number): string {
  // Signed: an unsigned key >= 2^31 (any address from 128.0.0.0) is a heap number per call.
  // Read as bytes: readInt32BE's argument checks kept it from being inlined.
  const key = (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3];
  if (key === lastDottedKey) return lastDotted;
  let s = dottedCache.get(key);
  if (s === undefined) {
    if (dottedCache.size >= MAX_DOTTED) dottedCache.clear();
    s = b[o] + '.' + b[o + 1] + '.' + b[o + 2] + '.' + b[o + 3];
    dottedCache.set(key, s);
  }
  lastDottedKey = key;
  lastDotted = s;
  return s;
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

/** Owners decoded recently, per pid: every record of a process carries the same owner,
 * and under churn a fresh object per record was garbage that the reducer then dropped for
 * its shared one. An entry is reused when every field's bytes match (comm as its four
 * raw words). Callers must not mutate a decoded owner. */
interface CachedOwner {
  owner: Owner;
  comm0: number;
  comm1: number;
  comm2: number;
  comm3: number;
}
const ownerCache = new Map<number, CachedOwner[]>();
const MAX_OWNER_PIDS = 4096;
const MAX_OWNERS_PER_PID = 8;

/** The last few owners decodeOwner returned, with their first 48 bytes (every field it
 * reads: tgid..comm) as twelve i32 words: under churn the records of a server and its
 * clients (three owners in bench/c/tcp_churn's churn) interleave, and a match on the raw
 * words skips the field reads and the Map lookup in ownerCache (which a one-entry cache
 * missed on nearly every record: 2.3% of the main thread in decodeOwnerCached with two
 * entries, profiled under churn). */
const RECENT_OWNERS = 4;
const OWNER_WORDS = (OWNER.members.comm.offset + OWNER.members.comm.size) >>> 2;
const recentOwnerWords = new Int32Array(RECENT_OWNERS * OWNER_WORDS);
const recentOwners: Array<Owner | undefined> = new Array<Owner | undefined>(RECENT_OWNERS).fill(undefined);
let recentOwnerNext = 0;

/** An owner's words when its record is not 4-aligned (decodeOwner), as bytes and as words. */
const unalignedOwnerWords = new Int32Array(OWNER_WORDS);
const unalignedOwnerBytes = new Uint8Array(unalignedOwnerWords.buffer);

/** An i32 view of the whole memory under the last Buffer decodeOwner read (made once per
 * run of records, not per record), and that Buffer's offset in it. */
let wordsOf: Buffer | null = null;
let words: Int32Array<ArrayBufferLike> = new Int32Array(0);
let wordsBase = 0;

export function decodeOwner(b: Buffer, base: number): Owner {
  const w = recentOwnerWords;
  if (b !== wordsOf) {
    wordsOf = b;
    words = new Int32Array(b.buffer, 0, b.buffer.byteLength >>> 2);
    wordsBase = b.byteOffset;
  }
  const at = wordsBase + base;
  let x = words;
  let q = at >>> 2;
  if ((at & 3) !== 0) {
    // Not 4-aligned in its memory (records in a run are): its words copied where they are.
    for (let i = 0; i < 4 * OWNER_WORDS; i++) unalignedOwnerBytes[i] = b[base + i];
    x = unalignedOwnerWords;
    q = 0;
  }
  const pid = x[q];
  for (let r = 0; r < RECENT_OWNERS; r++) {
    const k = r * OWNER_WORDS;
    if (w[k] !== pid) continue;
    const known = recentOwners[r];
    if (known === undefined) continue;
    let i = 1;
    while (i < OWNER_WORDS && x[q + i] === w[k + i]) i++;
    if (i === OWNER_WORDS) return known;
  }
  const owner = decodeOwnerCached(b, base);
  const slot = recentOwnerNext;
  recentOwnerNext = (slot + 1) % RECENT_OWNERS;
  recentOwners[slot] = owner;
  for (let i = 0; i < OWNER_WORDS; i++) w[slot * OWNER_WORDS + i] = x[q + i];
  return owner;
}

function decodeOwnerCached(b: Buffer, base: number): Owner {
  const m = OWNER.members;
  const pid = u32(b, base, m.tgid);
  const tid = u32(b, base, m.tid);
  const ppid = u32(b, base, m.ppid);
  const uid = u32(b, base, m.uid);
  const gid = u32(b, base, m.gid);
  const cgroupId = u64(b, base, m.cgroup_id);
  const netns = u32(b, base, m.netns);
  const c = base + m.comm.offset;
  const comm0 = le32(b, c);
  const comm1 = le32(b, c + 4);
  const comm2 = le32(b, c + 8);
  const comm3 = le32(b, c + 12);
  let list = ownerCache.get(pid);
  if (list !== undefined) {
    for (let i = 0; i < list.length; i++) {
      const e = list[i];
      const o = e.owner;
      if (o.tid === tid && o.ppid === ppid && o.uid === uid && o.gid === gid && o.cgroupId === cgroupId && o.netns === netns &&
          e.comm0 === comm0 && e.comm1 === comm1 && e.comm2 === comm2 && e.comm3 === comm3) return o;
    }
  } else {
    if (ownerCache.size >= MAX_OWNER_PIDS) ownerCache.clear();
    list = [];
    ownerCache.set(pid, list);
  }
  const owner: Owner = { pid, tid, ppid, uid, gid, comm: cstring(b, base, m.comm), cgroupId, netns };
  if (list.length < MAX_OWNERS_PER_PID) list.push({ owner, comm0, comm1, comm2, comm3 });
  return owner;
}

export function decodeTuple(b: Buffer, base: number): Tuple {
  const m = TUPLE.members;
  const fam = u8(b, base, m.family);
  const raddr = addrAt(b, base + m.raddr.offset, fam);
  const localV4 = isV4At(b, base + m.laddr.offset, fam);
  const family = tupleFamily(isV4At(b, base + m.raddr.offset, fam), localV4, raddr);
  return {
    proto: u8(b, base, m.proto) === 17 ? 'udp' : 'tcp',
    family,
    laddr: localText(addrAt(b, base + m.laddr.offset, fam), localV4, family),
    lport: u16(b, base, m.lport),
    raddr,
    rport: u16(b, base, m.rport),
  };
}

/** A v6 socket with an unspecified local address talking to a mapped v4 peer: the peer
 * decides the family. */
function tupleFamily(remoteV4: boolean, localV4: boolean, raddr: string): Family {
  return remoteV4 || (localV4 && raddr === '::') ? 4 : 6;
}

/** The local address as text; a v6 local address of a v4 flow reads as IPv4 ("::" as
 * 0.0.0.0). */
function localText(laddr: string, localV4: boolean, family: Family): string {
  return family === 4 && !localV4 ? (laddr === '::' ? '0.0.0.0' : laddr) : laddr;
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
      return b.length < FLOW_RECORD.size ? null : decodeFlowRecord(b, 0, type);
    case REC.FLOW_BRIEF: {
      if (b.length < BRIEF_RECORD.size) return null;
      const open = decodeFlowRecord(b, 0, REC.FLOW_OPEN) as FlowOpenEvent;
      return { type: 'flow-brief', open, close: briefClose(b, 0, open) };
    }
    case REC.FLOW_STATE:
      return b.length < STATE_RECORD.size ? null : decodeStateRecord(b, 0);
    case REC.FLOW_OWNER: {
      if (b.length < FLOW_RECORD.size) return null;
      const m = FLOW_RECORD.members;
      return { type: 'flow-owner', ts: u64(b, 0, m.ts), flowId: u32(b, 0, m.flow_id), owner: decodeOwner(b, m.owner.offset) };
    }
    case REC.UDP_RELEASE: {
      if (b.length < STATE_RECORD.size) return null;
      const m = STATE_RECORD.members;
      return { type: 'udp-release', ts: u64(b, 0, m.ts), cookie: u64(b, 0, m.cookie) };
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

/** The events of the flow record (FLOW_OPEN, FLOW_CLOSE, FLOW_BRIEF, FLOW_STATE,
 * CONNECT_FAIL) of `length` bytes at `o`, appended to `out` (a FLOW_BRIEF gives its open
 * and its close): decodeRecord without a view or a wrapper object per record, for runs of
 * kernel records. False, and nothing appended, for any other record or a short one. */
export function decodeFlowRecordAt(b: Buffer, o: number, length: number, out: AppEvent[]): boolean {
  if (length < 4) return false;
  const type = le32(b, o);
  switch (type) {
    case REC.FLOW_OPEN:
    case REC.FLOW_CLOSE:
    case REC.CONNECT_FAIL:
      if (length < FLOW_RECORD.size) return false;
      out.push(decodeFlowRecord(b, o, type));
      return true;
    case REC.FLOW_BRIEF: {
      if (length < BRIEF_RECORD.size) return false;
      const open = decodeFlowRecord(b, o, REC.FLOW_OPEN) as FlowOpenEvent;
      out.push(open, briefClose(b, o, open));
      return true;
    }
    case REC.FLOW_STATE:
      if (length < STATE_RECORD.size) return false;
      out.push(decodeStateRecord(b, o));
      return true;
    default:
      return false;
  }
}

function decodeStateRecord(b: Buffer, o: number): AppEvent {
  const m = STATE_RECORD.members;
  return { type: 'flow-state', ts: u64(b, o, m.ts), flowId: u32(b, o, m.flow_id), state: tcpStateName(u8(b, o, m.state)) };
}

/** A FLOW_BRIEF's close: its final counters, at its close time. */
function briefClose(b: Buffer, o: number, open: FlowOpenEvent): FlowCloseEvent {
  const counters = decodeCounters(b, o + FLOW_RECORD.members.counters.offset, open.proto);
  const close: FlowCloseEvent = { type: 'flow-close', ts: u64(b, o, BRIEF_RECORD.members.close_ts), flowId: open.flowId, counters };
  if ((u8(b, o, FLOW_RECORD.members.reason) & CLOSE_UNSEEN) !== 0) close.closeUnseen = true;
  return close;
}

/** The FLOW_OPEN, FLOW_CLOSE or CONNECT_FAIL record at `o`. */
function decodeFlowRecord(b: Buffer, o: number, type: number): AppEvent {
  const m = FLOW_RECORD.members;
  const ts = u64(b, o, m.ts);
  const flowId = u32(b, o, m.flow_id);
  const t = o + m.tuple.offset;
  const proto = b[t + TUPLE.members.proto.offset] === 17 ? 'udp' : 'tcp';
  if (type === REC.FLOW_CLOSE) {
    // Only TCP sends FLOW_CLOSE (UDP flows close from the maps): no tuple or owner needed.
    const close: FlowCloseEvent = { type: 'flow-close', ts, flowId, counters: decodeCounters(b, o + m.counters.offset, proto) };
    if ((u8(b, o, m.reason) & CLOSE_UNSEEN) !== 0) close.closeUnseen = true;
    return close;
  }
  const owner = decodeOwner(b, o + m.owner.offset);
  const latencyUs = u32(b, o, m.latency_us);
  if (type === REC.CONNECT_FAIL) {
    return { type: 'connect-fail', ts, ...decodeTuple(b, t), owner, reason: FAIL_REASONS[u8(b, o, m.reason)] ?? 'closed', latencyUs };
  }
  const fam = u8(b, t, TUPLE.members.family);
  const raddr = addrAt(b, t + TUPLE.members.raddr.offset, fam);
  const localV4 = isV4At(b, t + TUPLE.members.laddr.offset, fam);
  const family = tupleFamily(isV4At(b, t + TUPLE.members.raddr.offset, fam), localV4, raddr);
  const direction = DIRECTIONS[u8(b, o, m.direction)] ?? 'unknown';
  // Fields one by one rather than a spread of a tuple: one object shape, built once.
  const open: FlowOpenEvent = {
    type: 'flow-open',
    ts,
    flowId,
    cookie: u64(b, o, m.cookie),
    proto,
    family,
    laddr: localText(addrAt(b, t + TUPLE.members.laddr.offset, fam), localV4, family),
    lport: u16(b, t, TUPLE.members.lport),
    raddr,
    rport: u16(b, t, TUPLE.members.rport),
    direction,
    owner,
    state: proto === 'udp' ? 'open' : tcpStateName(u8(b, o, m.state)),
    connectLatencyUs: proto === 'tcp' && direction === 'outbound' && latencyUs > 0 ? latencyUs : null,
    seenAtStart: u8(b, o, m.seen_at_start) !== 0,
  };
  if ((u8(b, o, m.reason) & OPEN_UNSEEN) !== 0) open.openUnseen = true;
  return open;
}

/** Event objects that decodeFlowRecordWith fills, one per kind, reused from one record to
 * the next. */
export interface FlowRecordScratch {
  open: FlowOpenEvent;
  close: FlowCloseEvent;
  state: FlowStateEvent;
}

export function flowRecordScratch(): FlowRecordScratch {
  const counters: FlowCounters = { bytesSent: 0, bytesReceived: 0, packetsSent: null, packetsReceived: null, retransmits: null, srttUs: null };
  return {
    open: {
      type: 'flow-open', ts: 0, flowId: 0, cookie: 0, proto: 'tcp', family: 4, laddr: '', lport: 0, raddr: '', rport: 0,
      direction: 'unknown', owner: null as unknown as Owner, state: '', connectLatencyUs: null, seenAtStart: false,
    },
    close: { type: 'flow-close', ts: 0, flowId: 0, counters },
    state: { type: 'flow-state', ts: 0, flowId: 0, state: '' },
  };
}

/** The scratch close of the record at `o` marked closeUnseen as the record says (the mark
 * of an earlier record taken off: rare, so the shape change is too). */
function markUnseen(b: Buffer, o: number, close: FlowCloseEvent): void {
  if ((u8(b, o, FLOW_RECORD.members.reason) & CLOSE_UNSEEN) !== 0) close.closeUnseen = true;
  else if (close.closeUnseen) delete close.closeUnseen;
}

/** decodeFlowRecordAt for a consumer that reads each event at once and keeps no event
 * object (the reducer, src/core/apply-runs.ts, keeps only the owner and the strings): the
 * events go to `fn` one by one in `s`'s objects, rewritten for the next record, instead of
 * two or three new objects per record (a CONNECT_FAIL, rare, is a new object). The same
 * events, values and order as decodeFlowRecordAt; false, and `fn` not called, for any
 * other record or a short one. */
export function decodeFlowRecordWith(
  b: Buffer, o: number, length: number, s: FlowRecordScratch, fn: (e: AppEvent) => void,
  /** Takes a FLOW_BRIEF's open and close at once instead (its open applied, then its close). */
  brief?: (open: FlowOpenEvent, close: FlowCloseEvent) => void,
): boolean {
  if (length < 4) return false;
  const type = le32(b, o);
  switch (type) {
    case REC.FLOW_OPEN:
      if (length < FLOW_RECORD.size) return false;
      fn(fillOpen(b, o, s.open));
      return true;
    case REC.FLOW_BRIEF: {
      if (length < BRIEF_RECORD.size) return false;
      const open = fillOpen(b, o, s.open);
      // The close is its own scratch object: filled before the open is applied.
      const close = s.close;
      const at = o + BRIEF_RECORD.members.close_ts.offset;
      const v = viewOf(b);
      close.ts = v.getUint32(at + 4, true) * 4294967296 + v.getUint32(at, true);
      close.flowId = open.flowId;
      fillCounters(b, o + FLOW_RECORD.members.counters.offset, open.proto, close.counters);
      markUnseen(b, o, close);
      if (brief !== undefined) {
        brief(open, close);
        return true;
      }
      fn(open);
      fn(close);
      return true;
    }
    case REC.FLOW_CLOSE: {
      if (length < FLOW_RECORD.size) return false;
      const m = FLOW_RECORD.members;
      const close = s.close;
      close.ts = u64(b, o, m.ts);
      close.flowId = u32(b, o, m.flow_id);
      fillCounters(b, o + m.counters.offset, b[o + m.tuple.offset + TUPLE.members.proto.offset] === 17 ? 'udp' : 'tcp', close.counters);
      markUnseen(b, o, close);
      fn(close);
      return true;
    }
    case REC.FLOW_STATE: {
      if (length < STATE_RECORD.size) return false;
      const m = STATE_RECORD.members;
      const st = s.state;
      st.ts = u64(b, o, m.ts);
      st.flowId = u32(b, o, m.flow_id);
      st.state = tcpStateName(u8(b, o, m.state));
      fn(st);
      return true;
    }
    case REC.CONNECT_FAIL:
      if (length < FLOW_RECORD.size) return false;
      fn(decodeFlowRecord(b, o, type));
      return true;
    default:
      return false;
  }
}

/** A DataView of the last buffer a record was filled from: one load per field where
 * reading a u32 byte by byte was four loads and their bounds checks (the fills below are
 * most of decoding a record). */
let viewed: Uint8Array | null = null;
let view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));

function viewOf(b: Uint8Array): DataView<ArrayBufferLike> {
  if (b !== viewed) {
    view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    viewed = b;
  }
  return view;
}

/** decodeCounters into `c`. */
function fillCounters(b: Buffer, base: number, proto: 'tcp' | 'udp', c: FlowCounters): void {
  const m = COUNTERS.members;
  const v = viewOf(b);
  const tcp = proto === 'tcp';
  let at = base + m.bytes_sent.offset;
  c.bytesSent = v.getUint32(at + 4, true) * 4294967296 + v.getUint32(at, true);
  at = base + m.bytes_received.offset;
  c.bytesReceived = v.getUint32(at + 4, true) * 4294967296 + v.getUint32(at, true);
  at = base + m.packets_sent.offset;
  c.packetsSent = v.getUint32(at + 4, true) * 4294967296 + v.getUint32(at, true);
  at = base + m.packets_received.offset;
  c.packetsReceived = v.getUint32(at + 4, true) * 4294967296 + v.getUint32(at, true);
  c.retransmits = tcp ? v.getUint32(base + m.retransmits.offset, true) : null;
  c.srttUs = tcp ? v.getUint32(base + m.srtt_us.offset, true) : null;
}

/** decodeFlowRecord's flow-open of the record at `o`, written into `e`. */
function fillOpen(b: Buffer, o: number, e: FlowOpenEvent): FlowOpenEvent {
  const m = FLOW_RECORD.members;
  const t = o + m.tuple.offset;
  const proto = b[t + TUPLE.members.proto.offset] === 17 ? 'udp' : 'tcp';
  const fam = u8(b, t, TUPLE.members.family);
  const raddr = addrAt(b, t + TUPLE.members.raddr.offset, fam);
  const localV4 = isV4At(b, t + TUPLE.members.laddr.offset, fam);
  const family = tupleFamily(isV4At(b, t + TUPLE.members.raddr.offset, fam), localV4, raddr);
  const direction = DIRECTIONS[u8(b, o, m.direction)] ?? 'unknown';
  const v = viewOf(b);
  const latencyUs = v.getUint32(o + m.latency_us.offset, true);
  // The two halves of each u64 read here, not through a helper: fillOpen is inlined into
  // its caller and u64 then was not, so each of these came back as a new heap number (a
  // sampling heap profile of `live --format jsonl` under churn).
  const ts = o + m.ts.offset;
  e.ts = v.getUint32(ts + 4, true) * 4294967296 + v.getUint32(ts, true);
  e.flowId = v.getUint32(o + m.flow_id.offset, true);
  const ck = o + m.cookie.offset;
  e.cookie = v.getUint32(ck + 4, true) * 4294967296 + v.getUint32(ck, true);
  e.proto = proto;
  e.family = family;
  e.laddr = localText(addrAt(b, t + TUPLE.members.laddr.offset, fam), localV4, family);
  e.lport = v.getUint16(t + TUPLE.members.lport.offset, true);
  e.raddr = raddr;
  e.rport = v.getUint16(t + TUPLE.members.rport.offset, true);
  e.direction = direction;
  e.owner = decodeOwner(b, o + m.owner.offset);
  e.state = proto === 'udp' ? 'open' : tcpStateName(u8(b, o, m.state));
  e.connectLatencyUs = proto === 'tcp' && direction === 'outbound' && latencyUs > 0 ? latencyUs : null;
  e.seenAtStart = u8(b, o, m.seen_at_start) !== 0;
  // As markUnseen: rare, so the shape change is too.
  if ((u8(b, o, m.reason) & OPEN_UNSEEN) !== 0) e.openUnseen = true;
  else if (e.openUnseen) delete e.openUnseen;
  return e;
}

/** tcp_socks value fields read in place at `o` (the interval's loop over every flow
 * allocates nothing for one that did not change). Only TRACKED entries are flows with
 * counters; `state` is the TCP state the socket is in now (the kernel keeps it there
 * instead of sending changes). */
export const tcpSockAt = {
  flowId: (v: Buffer, o: number) => u32(v, o, TCP_SOCK.members.flow_id),
  tracked: (v: Buffer, o: number) => u8(v, o, TCP_SOCK.members.phase) === TCP_PHASE.TRACKED,
  snapTs: (v: Buffer, o: number) => u64(v, o, TCP_SOCK.members.snap_ts),
  /** Whether a snapshot has stamped the entry (snapTs is not 0), from the bytes: snapTs's
   * value, a double above V8's small integers, is a new heap number when the read is not
   * inlined, which at 100,000 idle flows was 1.5 MB a second (a sampling heap profile of
   * the idle TUI; half of what it allocated). */
  snapped: (v: Buffer, o: number) => {
    const at = o + TCP_SOCK.members.snap_ts.offset;
    return (v[at] | v[at + 1] | v[at + 2] | v[at + 3] | v[at + 4] | v[at + 5] | v[at + 6] | v[at + 7]) !== 0;
  },
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

/** Whether the counters at `base` are row `i` of `c` (bytes and packets, four numbers a
 * row) and row `j` of `u` (retransmits and RTT, two u32s a row: src/live/known-flows.ts),
 * without decoding them. */
export function sameCountersAt(b: Buffer, base: number, proto: 'tcp' | 'udp', c: Float64Array, i: number, u: Uint32Array, j: number): boolean {
  const m = COUNTERS.members;
  return u64(b, base, m.bytes_sent) === c[i] && u64(b, base, m.bytes_received) === c[i + 1]
    && u64(b, base, m.packets_sent) === c[i + 2] && u64(b, base, m.packets_received) === c[i + 3]
    && (proto === 'udp' || (u32(b, base, m.retransmits) === u[j] && u32(b, base, m.srtt_us) === u[j + 1]));
}
