// A flow as the JSON-lines object of CONTRACT.md ("A flow in JSON lines"). Field names
// are public: add fields, never rename. Pure: names come from facts in the state, times
// from the (monotonic, wall-clock) pairing that ticks carry.
import type { Container, Direction, Family, Proto } from '../events/types';
import { isoTime } from './iso-time';
import { flowCgroup, flowContainer, flowProcess, flowUser, wallMsAt } from './reducer';
import type { CoreState, Flow } from './state';

export interface JsonFlow {
  proto: Proto;
  family: Family;
  laddr: string;
  lport: number;
  raddr: string;
  rport: number;
  direction: Direction;
  pid: number;
  tid: number;
  ppid: number;
  comm: string;
  exe: string | null;
  cmdline: string | null;
  uid: number;
  gid: number;
  user: string | null;
  cgroup: string | null;
  container: { id: string; runtime: string; name: string | null; pod: string | null; namespace: string | null } | null;
  bytes_sent: number;
  bytes_received: number;
  packets_sent: number | null;
  packets_received: number | null;
  retransmits: number | null;
  srtt_us: number | null;
  connect_latency_us: number | null;
  state: string;
  start: string | null;
  end: string | null;
  seen_at_start: boolean;
}

/** The CONTRACT.md field list, in output order; tests check toJsonFlow against it. */
export const JSON_FLOW_FIELDS = [
  'proto', 'family', 'laddr', 'lport', 'raddr', 'rport', 'direction',
  'pid', 'tid', 'ppid', 'comm', 'exe', 'cmdline', 'uid', 'gid', 'user', 'cgroup', 'container',
  'bytes_sent', 'bytes_received', 'packets_sent', 'packets_received', 'retransmits', 'srtt_us',
  'connect_latency_us', 'state', 'start', 'end', 'seen_at_start',
] as const;

/** The fields that come from the flow's owner and its facts (process, user, cgroup,
 * container): the same for every flow of a process, and the longest. */
export type OwnerJson = Pick<JsonFlow, 'pid' | 'tid' | 'ppid' | 'comm' | 'exe' | 'cmdline' | 'uid' | 'gid' | 'user' | 'cgroup' | 'container'>;

/** `fallbackBootWallMs` (the recording header's boot time) dates flows when no tick has
 * paired the clocks yet. */
export function toJsonFlow(state: CoreState, flow: Flow, fallbackBootWallMs: number | null = null): JsonFlow {
  return { ...headJson(flow), ...ownerJson(state, flow), ...tailJson(state, flow, fallbackBootWallMs) };
}

/** The fields before the owner's. */
export function headJson(flow: Flow): Pick<JsonFlow, 'proto' | 'family' | 'laddr' | 'lport' | 'raddr' | 'rport' | 'direction'> {
  return {
    proto: flow.proto,
    family: flow.family,
    laddr: flow.laddr,
    lport: flow.lport,
    raddr: flow.raddr,
    rport: flow.rport,
    direction: flow.direction,
  };
}

export function ownerJson(state: CoreState, flow: Flow): OwnerJson {
  const proc = flowProcess(state, flow);
  const cg = flowCgroup(state, flow);
  const c = flowContainer(state, flow);
  const o = flow.owner;
  return {
    pid: o.pid,
    tid: o.tid,
    ppid: o.ppid,
    comm: o.comm,
    exe: proc?.exe ?? null,
    cmdline: proc?.cmdline ?? null,
    uid: o.uid,
    gid: o.gid,
    user: flowUser(state, flow),
    cgroup: cg?.path ?? null,
    container: c ? containerJson(c) : null,
  };
}

/** The fields after the owner's. */
export function tailJson(state: CoreState, flow: Flow, fallbackBootWallMs: number | null): Omit<JsonFlow, keyof OwnerJson | keyof ReturnType<typeof headJson>> {
  return {
    bytes_sent: flow.bytesSent,
    bytes_received: flow.bytesReceived,
    packets_sent: flow.packetsSent,
    packets_received: flow.packetsReceived,
    retransmits: flow.retransmits,
    srtt_us: flow.srttUs,
    connect_latency_us: flow.connectLatencyUs,
    state: flow.state,
    start: flowTimeIso(state, flow.startTs, fallbackBootWallMs),
    end: flow.endTs === null ? null : flowTimeIso(state, flow.endTs, fallbackBootWallMs),
    seen_at_start: flow.seenAtStart,
  };
}

function containerJson(c: Container): JsonFlow['container'] {
  return { id: c.id, runtime: c.runtime, name: c.name, pod: c.pod, namespace: c.namespace };
}

/** A flow's time (monotonic ns) as ISO 8601 text, or null before the clocks are paired. */
export function flowTimeIso(state: CoreState, ts: number, fallbackBootWallMs: number | null): string | null {
  const ms = wallMsAt(state, ts) ?? (fallbackBootWallMs === null ? null : fallbackBootWallMs + ts / 1e6);
  if (ms === null || !Number.isFinite(ms)) return null;
  return isoTime(Math.round(ms));
}
