// Hand-made AppEvents for TUI and selector tests: a small scene (nginx in a container,
// curl and a resolver on the host) and a generator of many flows for benchmarks.
import type { AppEvent, Owner } from '../../src/events/types';

export const SEC = 1e9;
export const T0 = 1_000 * SEC;
export const WALL0 = Date.UTC(2026, 10, 25, 12, 0, 0);
export const CONTAINER_ID = '3f2a9c1e7b5d4a3f2a9c1e7b5d4a3f2a9c1e7b5d4a3f2a9c1e7b5d4a3f2a9c1e';

export function owner(pid: number, comm: string, uid: number, cgroupId: number): Owner {
  return { pid, tid: pid, ppid: 1, uid, gid: uid, comm, cgroupId, netns: 4026531840 };
}

const NGINX = owner(100, 'nginx', 33, 7001);
const CURL = owner(200, 'curl', 1000, 1);
const RESOLVER = owner(300, 'systemd-resolve', 101, 1);

export function tick(i: number, lost = 0, evicted = 0): AppEvent {
  return { type: 'tick', ts: T0 + i * SEC, wallMs: WALL0 + i * 1000, lost, evicted };
}

function open(flowId: number, o: Owner, proto: 'tcp' | 'udp', l: [string, number], r: [string, number], ts: number, direction: 'inbound' | 'outbound'): AppEvent {
  return {
    type: 'flow-open', ts, flowId, cookie: flowId + 9000, proto, family: 4, laddr: l[0], lport: l[1], raddr: r[0], rport: r[1],
    direction, owner: o, state: proto === 'udp' ? 'open' : 'ESTABLISHED', connectLatencyUs: direction === 'outbound' && proto === 'tcp' ? 1500 : null,
    seenAtStart: false,
  };
}

function counters(ts: number, flows: Array<[number, number, number, number | null]>): AppEvent {
  return {
    type: 'counters', ts,
    flows: flows.map(([flowId, sent, recv, retr]) => ({
      flowId, bytesSent: sent, bytesReceived: recv, packetsSent: null, packetsReceived: null, retransmits: retr, srttUs: retr === null ? null : 2300,
    })),
  };
}

/** The scene, as batches that each end with a tick (what an EventSource yields). Ticks 0..n. */
export function sceneBatches(ticks = 5): AppEvent[][] {
  const batches: AppEvent[][] = [];
  batches.push([
    { type: 'user', uid: 33, name: 'www-data' },
    { type: 'user', uid: 1000, name: 'alice' },
    { type: 'user', uid: 101, name: 'systemd-resolve' },
    { type: 'cgroup', cgroupId: 7001, path: `/libpod_parent/libpod-${CONTAINER_ID}`, container: { id: CONTAINER_ID, runtime: 'podman', name: 'web', pod: null, namespace: null } },
    { type: 'cgroup', cgroupId: 1, path: '/', container: null },
    { type: 'process', ts: T0, pid: 100, ppid: 1, exe: '/usr/sbin/nginx', cmdline: 'nginx: worker process' },
    { type: 'process', ts: T0, pid: 200, ppid: 1, exe: '/usr/bin/curl', cmdline: 'curl https://example.test' },
    tick(0),
  ]);
  for (let i = 1; i <= ticks; i++) {
    const ts = T0 + i * SEC - SEC / 2;
    const b: AppEvent[] = [];
    if (i === 1) {
      b.push(open(1, NGINX, 'tcp', ['10.0.0.2', 443], ['192.0.2.10', 51000], ts, 'inbound'));
      b.push(open(2, NGINX, 'tcp', ['10.0.0.2', 443], ['192.0.2.11', 51001], ts, 'inbound'));
      b.push(open(3, CURL, 'tcp', ['10.0.0.2', 40000], ['198.51.100.7', 443], ts, 'outbound'));
      b.push(open(4, RESOLVER, 'udp', ['127.0.0.53', 53], ['127.0.0.1', 45000], ts, 'inbound'));
    }
    b.push(counters(ts + 1, [
      [1, 100_000 * i, 2_000 * i, 0],
      [2, 50_000 * i, 1_000 * i, 1],
      [3, 500 * i, 3_000_000 * i, 3],
      [4, 90 * i, 40 * i, null],
    ]));
    if (i === 3) b.push({ type: 'flow-state', ts: ts + 2, flowId: 3, state: 'FIN_WAIT1' });
    b.push(tick(i));
    batches.push(b);
  }
  return batches;
}

/** `n` flows spread over processes, users, containers and hosts, with counters for `ticks`
 * intervals: load for the benchmark and for window tests. */
export function manyFlowBatches(n: number, ticks: number): AppEvent[][] {
  const batches: AppEvent[][] = [];
  const first: AppEvent[] = [];
  for (let u = 0; u < 20; u++) first.push({ type: 'user', uid: 1000 + u, name: `user${u}` });
  for (let c = 0; c < 50; c++) {
    const id = (c.toString(16).padStart(4, '0') + 'ab').repeat(11).slice(0, 64);
    first.push({ type: 'cgroup', cgroupId: 5000 + c, path: `/libpod_parent/libpod-${id}`, container: { id, runtime: 'podman', name: `svc-${c}`, pod: null, namespace: null } });
  }
  for (let i = 0; i < n; i++) {
    const pid = 2000 + (i % 400);
    const o = owner(pid, `proc${i % 400}`, 1000 + (i % 20), 5000 + (i % 50));
    first.push(open(i + 1, o, i % 5 === 0 ? 'udp' : 'tcp', ['10.1.0.1', 20000 + (i % 40000)], [`10.2.${(i >> 8) & 255}.${i & 255}`, 443], T0 + 1, 'outbound'));
  }
  first.push(tick(0));
  batches.push(first);
  for (let t = 1; t <= ticks; t++) batches.push(manyFlowInterval(n, t));
  return batches;
}

/** Interval `t` (>= 1) of manyFlowBatches: every flow's counters, then the tick. */
export function manyFlowInterval(n: number, t: number): AppEvent[] {
  const flows: Array<[number, number, number, number | null]> = [];
  for (let i = 0; i < n; i++) flows.push([i + 1, (i % 97) * 1000 * t, (i % 89) * 1500 * t, i % 5 === 0 ? null : i % 3]);
  return [counters(T0 + t * SEC - 1, flows), tick(t)];
}
