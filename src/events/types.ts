// The one event vocabulary of sockscope. Live capture (loader + enrichers) and replay
// (recording reader) both yield these; the reducer consumes them; the recorder stores
// them. Every timestamp `ts` is CLOCK_MONOTONIC nanoseconds (bpf_ktime_get_ns), as a JS
// number: exact to the nanosecond for ~104 days of uptime, to a few ns after that.

export type Proto = 'tcp' | 'udp';
export type Family = 4 | 6;
export type Direction = 'outbound' | 'inbound' | 'unknown';

/** Ids the kernel captured at the moment ownership was established. */
export interface Owner {
  pid: number; // tgid
  tid: number;
  ppid: number;
  uid: number;
  gid: number;
  comm: string;
  cgroupId: number; // cgroup v2 inode number
  netns: number; // network namespace inode number
}

export interface Tuple {
  proto: Proto;
  family: Family; // 4 also for IPv4-mapped IPv6 peers
  laddr: string;
  lport: number;
  raddr: string;
  rport: number;
}

/** Cumulative counters of one flow since it was first seen. */
export interface FlowCounters {
  bytesSent: number;
  bytesReceived: number;
  packetsSent: number | null;
  packetsReceived: number | null;
  retransmits: number | null; // TCP only
  srttUs: number | null; // TCP only
}

/** A flow starts: TCP established (an inbound one is reported once the first task to
 * send, receive or close on it names its owner; ts is still the ESTABLISHED time), first
 * UDP datagram to/from a peer, or found already open at start. One flowId per TCP socket or per
 * (UDP socket, peer). flowId is unique within one capture session. */
export interface FlowOpenEvent extends Tuple {
  type: 'flow-open';
  ts: number;
  flowId: number;
  cookie: number; // kernel socket cookie
  direction: Direction;
  owner: Owner;
  state: string; // 'open' for UDP, TCP state name otherwise
  connectLatencyUs: number | null; // outbound TCP: SYN sent -> ESTABLISHED
  seenAtStart: boolean;
  /** Present (true) when the kernel programs did not see the TCP connection established
   * (bpf/README "Known limits"): the flow was found at its close (outbound) or at its first
   * send, receive or release (inbound), with every byte its socket counted; connectLatencyUs
   * is null. */
  openUnseen?: true;
}

/** A TCP state change of a known flow (not the open or the close). */
export interface FlowStateEvent {
  type: 'flow-state';
  ts: number;
  flowId: number;
  state: string;
}

/** The owner of an inbound TCP flow that was opened without one (accepted and idle, or
 * waiting in the accept queue, for a second: the open names only its netns), now that a
 * task has sent, received or closed on it. */
export interface FlowOwnerEvent {
  type: 'flow-owner';
  ts: number;
  flowId: number;
  owner: Owner;
}

/** A flow ends (TCP socket closed/destroyed, UDP socket closed) with final counters. */
export interface FlowCloseEvent {
  type: 'flow-close';
  ts: number;
  flowId: number;
  counters: FlowCounters;
  /** Present (true) when the kernel programs did not see the TCP socket close (bpf/README
   * "Known limits"): ts is when its entry was found left behind, after the socket was
   * gone, and the counters are the last ones read. */
  closeUnseen?: true;
}

/** An outbound TCP connect that never reached ESTABLISHED. Not a flow. */
export interface ConnectFailEvent extends Tuple {
  type: 'connect-fail';
  ts: number;
  owner: Owner;
  reason: 'refused' | 'reset' | 'timeout' | 'unreachable' | 'closed';
  latencyUs: number; // SYN sent -> failure
}

/** Counters of flows that changed since the previous snapshot, read once per interval. */
export interface CountersEvent {
  type: 'counters';
  ts: number;
  flows: Array<{ flowId: number } & FlowCounters>;
}

/** The same snapshot as columns, as a recording (format version 4 on) stores it: entry i
 * is flow flowId[i] with its counters at index i of the other columns, NaN standing for
 * null. Replay yields this instead of `counters`: no object per entry to decode, check
 * and collect (src/record/counter-columns.ts). */
export interface CounterColumns {
  length: number;
  flowId: Float64Array;
  bytesSent: Float64Array;
  bytesReceived: Float64Array;
  packetsSent: Float64Array;
  packetsReceived: Float64Array;
  retransmits: Float64Array;
  srttUs: Float64Array;
}
export interface CounterColumnsEvent {
  type: 'counter-columns';
  ts: number;
  columns: CounterColumns;
}

/** Interval boundary. `wallMs` pairs the monotonic clock with the wall clock. `lost` and
 * `evicted` are cumulative since capture start (ring buffer full or a close not seen,
 * map full). */
export interface TickEvent {
  type: 'tick';
  ts: number;
  wallMs: number;
  lost: number;
  evicted: number;
}

/** Kernel process lifecycle (sched tracepoints). */
export interface ProcExecEvent {
  type: 'proc-exec';
  ts: number;
  pid: number;
  ppid: number;
  uid: number;
  comm: string;
  filename: string;
  /** argv of the new image, space-joined, read by the kernel at exec (at most 512 bytes,
   * so possibly cut). null: not read; absent: a recording made before it existed. */
  cmdline?: string | null;
}
export interface ProcForkEvent { type: 'proc-fork'; ts: number; pid: number; ppid: number; comm: string }
export interface ProcExitEvent { type: 'proc-exit'; ts: number; pid: number }

/** Facts the enrichers found. They are recorded so that replay needs no /proc. */
export interface ProcessFact {
  type: 'process';
  ts: number;
  pid: number;
  ppid: number | null;
  exe: string | null;
  cmdline: string | null;
}
export interface UserFact { type: 'user'; uid: number; name: string | null }
export interface GroupFact { type: 'group'; gid: number; name: string | null }

export interface Container {
  id: string; // 64-hex or the runtime's id
  runtime: 'docker' | 'containerd' | 'cri-o' | 'podman' | string;
  name: string | null;
  pod: string | null; // Kubernetes pod uid
  namespace: string | null;
  qos?: string | null; // Kubernetes QoS class from the slice
}
export interface CgroupFact { type: 'cgroup'; cgroupId: number; path: string | null; container: Container | null }
export interface ContainerNameFact { type: 'container-name'; id: string; name: string | null }

export type AppEvent =
  | FlowOpenEvent
  | FlowStateEvent
  | FlowOwnerEvent
  | FlowCloseEvent
  | ConnectFailEvent
  | CountersEvent
  | CounterColumnsEvent
  | TickEvent
  | ProcExecEvent
  | ProcForkEvent
  | ProcExitEvent
  | ProcessFact
  | UserFact
  | GroupFact
  | CgroupFact
  | ContainerNameFact;

/** What is known about the capture itself: the recording header, or the live host. */
export interface SourceInfo {
  mode: 'live' | 'replay';
  hostname: string;
  kernel: string; // uname -r
  cpus: number;
  bootTimeMs: number; // wall clock ms at monotonic 0
  cgroupRoot: string | null; // cgroup v2 mount point on the capture host
  hooks: string[]; // BPF programs in use
  intervalMs: number;
  sockscopeVersion: string;
  file?: string; // replay only
}

/** Live capture and replay both implement this. Events arrive in batches; a batch
 * normally ends with a tick. */
export interface EventSource {
  readonly info: SourceInfo;
  batches(): AsyncIterable<AppEvent[]>;
  close(): Promise<void>;
}
