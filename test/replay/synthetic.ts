// A deterministic, realistic-looking AppEvent stream for tests, codec measurements and
// the version fixtures, used until real recordings exist (recordings/, made by
// scripts/record-fixture.mjs). Self-contained (type imports only) so Node can run it
// directly with type stripping.
import type { AppEvent, Owner } from '../../src/events/types';

export interface SyntheticOptions {
  seconds: number;
  intervalMs: number;
  /** Long-lived flows open at any time. */
  steadyFlows: number;
  /** Short flows opened (and closed) per second. */
  churnPerSec: number;
  seed: number;
}

const DEFAULTS: SyntheticOptions = { seconds: 20, intervalMs: 1000, steadyFlows: 50, churnPerSec: 20, seed: 1 };

function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

export const BOOT_WALL_MS = Date.UTC(2026, 10, 25, 12, 0, 0);
export const START_TS = 3_600_000_000_000; // one hour of uptime, in ns

export function syntheticBatches(opts: Partial<SyntheticOptions> = {}): AppEvent[][] {
  const o = { ...DEFAULTS, ...opts };
  const rnd = prng(o.seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const batches: AppEvent[][] = [];
  const intervalNs = o.intervalMs * 1e6;
  const cgroupId = 4242;
  const container = { id: 'c'.repeat(64), runtime: 'podman', name: null, pod: null, namespace: null };
  const owners: Owner[] = [];
  for (let i = 0; i < 8; i++) {
    owners.push({ pid: 1000 + i, tid: 1000 + i, ppid: 1, uid: i % 3 === 0 ? 0 : 1000, gid: i % 3 === 0 ? 0 : 1000, comm: ['nginx', 'curl', 'node', 'postgres'][i % 4], cgroupId: i === 7 ? cgroupId : 1, netns: 4026531840 });
  }
  let ts = START_TS;
  let flowId = 1;
  let lost = 0;
  const open = new Map<number, { sent: number; recv: number; pkts: number; owner: Owner; short: boolean }>();
  const first: AppEvent[] = [
    { type: 'user', uid: 0, name: 'root' },
    { type: 'user', uid: 1000, name: 'alice' },
    { type: 'group', gid: 0, name: 'root' },
    { type: 'group', gid: 1000, name: 'alice' },
    { type: 'cgroup', cgroupId: 1, path: '/system.slice/demo.service', container: null },
    { type: 'cgroup', cgroupId, path: `/libpod_parent/libpod-${container.id}`, container },
    { type: 'container-name', id: container.id, name: 'demo-web' },
  ];
  for (const w of owners) first.push({ type: 'process', ts, pid: w.pid, ppid: 1, exe: `/usr/bin/${w.comm}`, cmdline: `${w.comm} --serve ${w.pid}` });
  const openOne = (batch: AppEvent[], short: boolean) => {
    const owner = owners[int(owners.length)];
    const id = flowId++;
    const udp = rnd() < 0.2;
    const v6 = rnd() < 0.15;
    batch.push({
      type: 'flow-open', ts: ts + int(intervalNs), flowId: id, cookie: 100000 + id, direction: rnd() < 0.5 ? 'outbound' : 'inbound', owner,
      proto: udp ? 'udp' : 'tcp', family: v6 ? 6 : 4, laddr: v6 ? '::1' : '127.0.0.1', lport: 30000 + int(30000),
      raddr: v6 ? `fd00::${int(200)}` : `10.0.${int(4)}.${int(250)}`, rport: [80, 443, 5432, 53][int(4)],
      state: udp ? 'open' : 'ESTABLISHED', connectLatencyUs: udp ? null : 50 + int(500), seenAtStart: batches.length === 0 && !short,
    });
    open.set(id, { sent: 0, recv: 0, pkts: 0, owner, short });
  };
  for (let s = 0; s < (o.seconds * 1000) / o.intervalMs; s++) {
    const batch: AppEvent[] = s === 0 ? first : [];
    const steady = [...open.values()].filter((f) => !f.short).length;
    for (let i = steady; i < o.steadyFlows; i++) openOne(batch, false);
    const churn = Math.round((o.churnPerSec * o.intervalMs) / 1000);
    for (let i = 0; i < churn; i++) openOne(batch, true);
    if (rnd() < 0.3) {
      const owner = owners[int(owners.length)];
      batch.push({ type: 'connect-fail', ts: ts + int(intervalNs), owner, proto: 'tcp', family: 4, laddr: '127.0.0.1', lport: 40000 + int(1000), raddr: '127.0.0.1', rport: 9, reason: 'refused', latencyUs: 30 + int(100) });
    }
    if (rnd() < 0.5) {
      const pid = 5000 + s;
      batch.push({ type: 'proc-fork', ts: ts + 1000, pid, ppid: 1000, comm: 'sh' });
      batch.push({ type: 'proc-exec', ts: ts + 2000, pid, ppid: 1000, uid: 1000, comm: 'true', filename: '/usr/bin/true' });
      batch.push({ type: 'proc-exit', ts: ts + 3000, pid });
    }
    const counters: Array<{ flowId: number; bytesSent: number; bytesReceived: number; packetsSent: number; packetsReceived: number; retransmits: number | null; srttUs: number | null }> = [];
    ts += intervalNs;
    for (const [id, f] of open) {
      if (rnd() < 0.3) continue; // idle this interval: not in the snapshot
      const dS = int(f.short ? 2000 : 200_000);
      f.sent += dS;
      f.recv += int(f.short ? 20_000 : 2_000_000);
      f.pkts += 1 + int(50);
      counters.push({ flowId: id, bytesSent: f.sent, bytesReceived: f.recv, packetsSent: f.pkts, packetsReceived: f.pkts + 3, retransmits: int(10) === 0 ? 1 : 0, srttUs: 40 + int(400) });
    }
    batch.push({ type: 'counters', ts: ts - 1000, flows: counters });
    for (const [id, f] of open) {
      if (f.short || rnd() < 0.02) {
        batch.push({ type: 'flow-state', ts: ts - 500, flowId: id, state: 'FIN_WAIT1' });
        batch.push({ type: 'flow-close', ts: ts - 400, flowId: id, counters: { bytesSent: f.sent, bytesReceived: f.recv, packetsSent: f.pkts, packetsReceived: f.pkts + 3, retransmits: 0, srttUs: 100 } });
        open.delete(id);
      }
    }
    if (rnd() < 0.1) lost += int(5);
    batch.push({ type: 'tick', ts, wallMs: BOOT_WALL_MS + ts / 1e6, lost, evicted: 0 });
    batches.push(batch);
  }
  return batches;
}
