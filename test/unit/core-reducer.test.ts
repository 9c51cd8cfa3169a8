import { describe, expect, it } from 'vitest';
import { applyBatch, applyBrief, applyEvent, createCoreState, flowContainer, flowCgroup, flowProcess, flowLifecycle, flowUser, heldSlots, rateHistory } from '../../src/core/reducer';
import type { AppEvent, FlowOpenEvent, Owner, TickEvent } from '../../src/events/types';
import { FLOW_ID } from '../../src/core/flow-fields';
import { syntheticBatches } from '../replay/synthetic';

const S = 1e9;
const owner: Owner = { pid: 10, tid: 11, ppid: 1, uid: 1000, gid: 1000, comm: 'curl', cgroupId: 77, netns: 1 };

function open(flowId: number, ts: number, extra: Partial<FlowOpenEvent> = {}): FlowOpenEvent {
  return {
    type: 'flow-open', ts, flowId, cookie: flowId, direction: 'outbound', owner, proto: 'tcp', family: 4,
    laddr: '127.0.0.1', lport: 40000 + flowId, raddr: '127.0.0.1', rport: 80, state: 'ESTABLISHED',
    connectLatencyUs: 120, seenAtStart: false, ...extra,
  };
}
const tick = (ts: number, lost = 0, evicted = 0): TickEvent => ({ type: 'tick', ts, wallMs: 1_000_000 + ts / 1e6, lost, evicted });
const counters = (ts: number, flowId: number, sent: number, recv: number): AppEvent => ({
  type: 'counters', ts, flows: [{ flowId, bytesSent: sent, bytesReceived: recv, packetsSent: 1, packetsReceived: 2, retransmits: 0, srttUs: 50 }],
});
const close = (ts: number, flowId: number, sent = 0, recv = 0): AppEvent => ({
  type: 'flow-close', ts, flowId, counters: { bytesSent: sent, bytesReceived: recv, packetsSent: 3, packetsReceived: 4, retransmits: 1, srttUs: 60 },
});

describe('reducer', () => {
  it('computes per-flow and total rates over the interval since the previous tick', () => {
    const s = createCoreState();
    applyBatch(s, [tick(0), open(1, 0.1 * S), counters(0.9 * S, 1, 1000, 4000), tick(S)]);
    const f = s.flows.get(1)!;
    expect(f.txRate).toBe(1000);
    expect(f.rxRate).toBe(4000);
    expect(s.totals.txRate).toBe(1000);
    expect(s.totals.newFlowsPerSec).toBe(1);
    // Half-second interval, 500 more bytes: 1000 B/s.
    applyBatch(s, [counters(1.4 * S, 1, 1500, 4000), tick(1.5 * S)]);
    expect(f.txRate).toBe(1000);
    expect(f.rxRate).toBe(0);
    expect(rateHistory(s, f).tx).toEqual([1000, 1000]);
    expect(s.totals.throughputHistory).toEqual([0, 5000, 1000]); // the first tick had nothing before it
    expect(s.totals.eventsPerSec).toBe(4); // counters + tick in 0.5 s
    expect(s.wallAtNow).toBe(1_000_000 + 1500);
    expect(typeof f.history).toBe('number'); // a young flow's history is a slot of the shared short ones (4 samples)...
    applyBatch(s, [counters(1.9 * S, 1, 2000, 4000), tick(2.5 * S), tick(3.5 * S), tick(4.5 * S)]);
    expect(typeof f.history).toBe('number'); // ...kept while the flow is quiet after its first 4 samples...
    expect(rateHistory(s, f).tx).toEqual([1000, 1000, 500, 0, 0]);
    applyBatch(s, [counters(5 * S, 1, 2100, 4000), tick(5.5 * S)]);
    expect((f.history as Float64Array).length).toBe(120); // ...and a full ring (60) of its own once it moves again, samples kept
    expect(rateHistory(s, f).tx).toEqual([1000, 1000, 500, 0, 0, 100]);
  });

  it('keeps no rates with options.rates false, the counters and the rest of the flow as with them', () => {
    const s = createCoreState({ rates: false, historyLength: 0 });
    applyBatch(s, [tick(0), open(1, 0.1 * S), counters(0.9 * S, 1, 1000, 4000), tick(S)]);
    applyBrief(s, open(2, 1.1 * S) as FlowOpenEvent, close(1.2 * S, 2, 10, 20) as Extract<AppEvent, { type: 'flow-close' }>);
    applyBatch(s, [tick(2 * S)]);
    const f = s.flows.get(1)!;
    expect([f.bytesSent, f.bytesReceived, f.txRate, f.rxRate, s.totals.txRate, s.totals.rxRate]).toEqual([1000, 4000, 0, 0, 0, 0]);
    const g = s.flows.get(2)!;
    expect([g.bytesSent, g.state, g.endTs, g.txRate]).toEqual([10, 'closed', 1.2 * S, 0]);
  });

  it('holds a flow that opened and closed in one record outside flows with listBriefs false, in opening order for heldSlots', () => {
    const done: number[] = [];
    const s = createCoreState({ listBriefs: false, rates: false, historyLength: 0, lingerNs: 5 * S, maxFlows: Number.MAX_SAFE_INTEGER, onFlowDone: (f) => done.push(f.flowId) });
    const brief = (id: number, ts: number) => applyBrief(s, open(id, ts), close(ts + 1, id, id, 2 * id) as Extract<AppEvent, { type: 'flow-close' }>);
    const ids = () => [...heldSlots(s)].map((slot) => s.flows.store.numAt(slot, FLOW_ID));
    applyBatch(s, [tick(0), open(1, 0.1 * S)]);
    brief(2, 0.2 * S);
    applyEvent(s, open(3, 0.3 * S));
    brief(4, 0.4 * S);
    applyEvent(s, close(0.5 * S, 1, 10, 20));
    brief(5, 0.6 * S);
    expect([s.flows.has(1), s.flows.has(2), s.flows.has(3), s.flows.has(4), s.flows.size]).toEqual([true, false, true, false, 2]);
    expect(ids()).toEqual([1, 2, 3, 4, 5]);
    // A record that names a held brief's id finds nothing: no owner moves to it.
    applyEvent(s, { type: 'flow-owner', ts: 0.7 * S, flowId: 2, owner: { ...owner, pid: 99 } });
    expect(s.processes.has(99)).toBe(false);
    applyEvent(s, tick(5.45 * S));
    expect(done).toEqual([2, 4]);
    expect(ids()).toEqual([1, 3, 5]);
    applyEvent(s, tick(6 * S));
    expect(done).toEqual([2, 4, 1, 5]);
    expect(ids()).toEqual([3]);
    expect(s.flows.size).toBe(1);
  });

  it('drops the history of a flow that stayed quiet for a whole window after its first samples', () => {
    const len = 6;
    const s = createCoreState({ historyLength: len });
    applyBatch(s, [tick(0), open(1, 0.5 * S), counters(0.9 * S, 1, 100, 0), tick(S)]);
    const f = s.flows.get(1)!;
    const ticks = (from: number, n: number) => Array.from({ length: n }, (_, i) => tick((from + i) * S));
    // Samples of ticks 1-4 in the slot, only tick 1's not zero: it leaves the window (and
    // the slot goes) at tick 1 + len, not when the slot's last sample (tick 4) would.
    applyBatch(s, ticks(2, len - 1));
    expect(typeof f.history).toBe('number');
    expect(rateHistory(s, f).tx).toEqual([100, 0, 0, 0, 0, 0]);
    applyBatch(s, ticks(1 + len, 1));
    expect(f.history).toBeNull(); // all zeros: no history, like a flow that never moved
    expect(rateHistory(s, f).tx).toEqual([0, 0, 0, 0, 0, 0]);
    applyBatch(s, [counters((1.5 + len) * S, 1, 130, 0), tick((2 + len) * S)]);
    expect(rateHistory(s, f).tx).toEqual([0, 0, 0, 0, 0, 30]);
  });

  it('moves the short samples still in the window to the ring when a quiet flow moves again', () => {
    const len = 6;
    const s = createCoreState({ historyLength: len });
    // Ticks 1-4 see rates 10, 20, 30, 40 (the flow's short samples), then it is quiet.
    applyBatch(s, [tick(0), open(1, 0.5 * S)]);
    for (let t = 1; t <= 4; t++) applyBatch(s, [counters((t - 0.1) * S, 1, (10 * t * (t + 1)) / 2, 0), tick(t * S)]);
    applyBatch(s, [tick(5 * S), tick(6 * S), tick(7 * S)]);
    expect(rateHistory(s, s.flows.get(1)!).tx).toEqual([20, 30, 40, 0, 0, 0]);
    applyBatch(s, [counters(7.5 * S, 1, 100 + 5, 0), tick(8 * S)]); // tick 8: 5 B/s; ticks 1 and 2 are out of the window
    expect(s.flows.get(1)!.history).toBeInstanceOf(Float64Array);
    expect(rateHistory(s, s.flows.get(1)!).tx).toEqual([30, 40, 0, 0, 0, 5]);
  });

  it('keeps rate history only for flows that moved; idle intervals read as zeros', () => {
    const s = createCoreState({ historyLength: 4 });
    applyBatch(s, [tick(0), open(1, 0.5 * S), open(2, 0.5 * S), tick(S), tick(2 * S)]);
    expect(s.flows.get(2)!.history).toBeNull(); // never moved: no ring at all
    expect(rateHistory(s, s.flows.get(2)!)).toEqual({ tx: [0, 0], rx: [0, 0] });
    applyBatch(s, [counters(2.5 * S, 1, 100, 300), tick(3 * S), tick(4 * S), counters(4.5 * S, 1, 300, 300), tick(5 * S)]);
    // Ticks 1-5 saw flow 1; the ring keeps the last 4: idle, moved, idle, moved.
    expect(rateHistory(s, s.flows.get(1)!)).toEqual({ tx: [0, 100, 0, 200], rx: [0, 300, 0, 0] });
    applyBatch(s, [tick(6 * S), tick(7 * S), tick(8 * S)]);
    expect(rateHistory(s, s.flows.get(1)!).tx).toEqual([200, 0, 0, 0]);
    // A flow opened later starts at the first tick that saw it.
    applyBatch(s, [open(3, 8.5 * S), counters(8.6 * S, 3, 50, 0), tick(9 * S)]);
    expect(rateHistory(s, s.flows.get(3)!).tx).toEqual([50]);
    // A closed flow's history ends at the tick that found it quiet.
    applyBatch(s, [close(9.5 * S, 3, 80, 0), tick(10 * S), tick(11 * S), tick(12 * S)]);
    expect(rateHistory(s, s.flows.get(3)!).tx).toEqual([50, 30, 0]); // the tick after its last rate reports the zero
    expect(s.flows.get(1)!.history).not.toBeNull();
  });

  it('rate history matches the rates each tick reported, over a churning stream', () => {
    const len = 5;
    const s = createCoreState({ historyLength: len, lingerNs: Infinity, maxFlows: 1e9 });
    // What the history used to be: one entry per tick that visited the flow, newest last.
    const reference = new Map<number, number[][]>();
    for (const batch of syntheticBatches({ seconds: 30, steadyFlows: 20, churnPerSec: 10 })) {
      applyBatch(s, batch);
      if (!batch.some((e) => e.type === 'tick')) continue;
      for (const f of s.flows.values()) {
        if (f.historyEnd !== -1 && f.historyEnd < s.ticks) continue; // left the tick's rounds: no entry any more
        const h = reference.get(f.flowId) ?? [];
        h.push([f.txRate, f.rxRate]);
        if (h.length > len) h.shift();
        reference.set(f.flowId, h);
      }
    }
    let moved = 0;
    for (const f of s.flows.values()) {
      const h = reference.get(f.flowId) ?? [];
      expect(rateHistory(s, f)).toEqual({ tx: h.map((x) => x[0]), rx: h.map((x) => x[1]) });
      if (h.some((x) => x[0] > 0)) moved++;
    }
    expect(moved).toBeGreaterThan(10);
  });

  it('shares one owner object among the flows of a process, and one string per address', () => {
    const s = createCoreState({ lingerNs: 0 });
    const copy = (o: Owner): Owner => ({ ...o, comm: `${o.comm}` });
    const addr = (n: number) => `10.0.0.${n}`; // a fresh string each call, as the decoder makes them
    applyBatch(s, [
      open(1, 1, { owner: copy(owner), raddr: addr(7) }), open(2, 2, { owner: copy(owner), raddr: addr(7) }),
      open(3, 3, { owner: { ...owner, tid: 99 } }), open(4, 4, { owner: { ...owner, pid: 20 } }),
    ]);
    const [f1, f2, f3, f4] = [1, 2, 3, 4].map((id) => s.flows.get(id)!);
    expect(f2.owner).toBe(f1.owner);
    expect(f2.raddr).toBe(f1.raddr);
    expect(f3.owner).not.toBe(f1.owner); // another thread: not the same owner
    expect(f3.owner.tid).toBe(99);
    expect(f4.owner.pid).toBe(20);
    // The pid's last flow gone, a new flow's owner is its own again.
    applyBatch(s, [close(5, 1), close(5, 2), close(5, 3), tick(S), tick(2 * S)]);
    expect(s.flows.has(1)).toBe(false);
    const again = copy(owner);
    applyEvent(s, open(5, 2 * S + 1, { owner: again }));
    expect(s.flows.get(5)!.owner).toBe(again);
  });

  it('moves a flow opened without an owner to the process a flow-owner names, in the per-pid book too', () => {
    const s = createCoreState({ lingerNs: 0 });
    const nobody: Owner = { pid: 0, tid: 0, ppid: 0, uid: 0, gid: 0, comm: '', cgroupId: 0, netns: 1 };
    const server: Owner = { pid: 30, tid: 31, ppid: 1, uid: 33, gid: 33, comm: 'nginx', cgroupId: 77, netns: 1 };
    applyBatch(s, [open(1, 1, { owner: nobody, direction: 'inbound' }), open(2, 2, { owner: { ...server } })]);
    applyEvent(s, { type: 'flow-owner', ts: 3, flowId: 1, owner: { ...server } });
    const f1 = s.flows.get(1)!;
    expect(f1.owner).toBe(s.flows.get(2)!.owner); // the process's shared owner
    expect(flowProcess(s, f1)).toMatchObject({ pid: 30, comm: 'nginx', uid: 33 });
    // pid 30 holds both flows now: closing one keeps the other's owner shared with a new flow.
    applyBatch(s, [close(4, 2), tick(S), tick(2 * S)]);
    const again = { ...server };
    applyEvent(s, open(3, 2 * S + 1, { owner: again }));
    expect(s.flows.get(3)!.owner).toBe(f1.owner);
    // A flow-owner for a flow not in the state changes nothing.
    applyEvent(s, { type: 'flow-owner', ts: 2 * S + 2, flowId: 99, owner: { ...owner } });
    expect(s.flows.has(99)).toBe(false);
  });

  it('follows the lifecycle: open, state changes, close with final counters', () => {
    const s = createCoreState();
    applyBatch(s, [open(1, 1), { type: 'flow-state', ts: 2, flowId: 1, state: 'FIN_WAIT1' }]);
    expect(s.totals.flowsOpen).toBe(1);
    expect(s.flows.get(1)!.state).toBe('FIN_WAIT1');
    applyBatch(s, [close(3, 1, 10, 20), counters(4, 1, 999, 999)]);
    const f = s.flows.get(1)!;
    expect(f.state).toBe('closed');
    expect(f.endTs).toBe(3);
    expect([f.bytesSent, f.bytesReceived, f.retransmits]).toEqual([10, 20, 1]); // counters after close ignored
    expect(flowLifecycle(f).map((l) => l.what)).toEqual(['ESTABLISHED', 'FIN_WAIT1', 'closed']);
    expect(s.totals.flowsOpen).toBe(0);
  });

  it('counts the closes the kernel programs did not see (closeUnseen), once per flow', () => {
    const s = createCoreState();
    const unseen = (ts: number, flowId: number): AppEvent => ({ ...(close(ts, flowId) as object), closeUnseen: true }) as AppEvent;
    applyBatch(s, [open(1, 1), open(2, 1), close(3, 1), unseen(4, 2), unseen(5, 2)]);
    expect(s.flows.get(2)!.state).toBe('closed');
    expect(s.flows.get(2)!.endTs).toBe(4);
    expect(s.totals.closesUnseen).toBe(1);
    applyBrief(s, open(3, 6), { type: 'flow-close', ts: 7, flowId: 3, counters: { bytesSent: 0, bytesReceived: 0, packetsSent: 0, packetsReceived: 0, retransmits: 0, srttUs: 0 }, closeUnseen: true });
    expect(s.totals.closesUnseen).toBe(2);
  });

  it('counts the opens the kernel programs did not see (openUnseen): a flow-open, a brief, and a brief written at once', () => {
    const zero = { bytesSent: 0, bytesReceived: 0, packetsSent: 0, packetsReceived: 0, retransmits: 0, srttUs: 0 };
    const unseen = (flowId: number, ts: number) => ({ ...(open(flowId, ts) as FlowOpenEvent), openUnseen: true as const });
    const s = createCoreState();
    applyBatch(s, [open(1, 1), unseen(2, 2)]);
    expect(s.totals.opensUnseen).toBe(1);
    applyBrief(s, open(3, 3), { type: 'flow-close', ts: 4, flowId: 3, counters: zero });
    applyBrief(s, unseen(4, 5), { type: 'flow-close', ts: 6, flowId: 4, counters: zero });
    expect(s.totals.opensUnseen).toBe(2);
    // CoreOptions.onBriefDone: the brief never enters the state, and is still counted.
    const done: number[] = [];
    const atOnce = createCoreState({ onBriefDone: (o) => done.push(o.flowId) });
    applyEvent(atOnce, tick(1));
    // An owner with no cgroup: no fact about it may still come.
    applyBrief(atOnce, { ...unseen(5, 2), owner: { ...owner, cgroupId: 0 } }, { type: 'flow-close', ts: 3, flowId: 5, counters: zero });
    expect(done).toEqual([5]);
    expect(atOnce.totals.opensUnseen).toBe(1);
  });

  it('counts a connect failure without making it a flow', () => {
    const s = createCoreState();
    applyEvent(s, { type: 'connect-fail', ts: 5, owner, proto: 'tcp', family: 4, laddr: '127.0.0.1', lport: 1, raddr: '127.0.0.1', rport: 9, reason: 'refused', latencyUs: 40 });
    expect(s.flows.size).toBe(0);
    expect(s.totals.connectFailures).toBe(1);
    expect(s.failures[0]).toMatchObject({ what: 'refused', rport: 9 });
  });

  it('keeps closed flows for lingerNs, then drops them', () => {
    const s = createCoreState({ lingerNs: 2 * S });
    applyBatch(s, [open(1, 0), close(0.5 * S, 1, 5, 5), tick(S), tick(2 * S)]);
    expect(s.flows.has(1)).toBe(true);
    applyEvent(s, tick(2.5 * S));
    expect(s.flows.has(1)).toBe(false);
  });

  it('keeps a closed flow past its linger until a tick has counted it, with an interval longer than the linger', () => {
    const s = createCoreState({ lingerNs: 5 * S });
    applyBatch(s, [tick(0), open(1, 0.5 * S), close(S, 1, 100, 50), open(2, 2 * S)]);
    applyEvent(s, tick(10 * S)); // closed 9 s ago: no tick had counted it
    expect(s.flows.get(1)?.txRate).toBe(10);
    expect([s.totals.txRate, s.totals.rxRate]).toEqual([10, 5]);
    applyEvent(s, tick(20 * S));
    expect(s.flows.has(1)).toBe(false);
    expect(s.flows.has(2)).toBe(true);
    expect(s.totals.txRate).toBe(0);
  });

  it('counts in the totals the bytes of flows shed at the cap before a tick counted them', () => {
    const s = createCoreState({ maxFlows: 10 });
    const events: AppEvent[] = [tick(0)];
    for (let id = 1; id <= 25; id++) events.push(open(id, id * 1e6), close(id * 1e6 + 1, id, 100, 40));
    applyBatch(s, [...events, tick(S)]);
    expect(s.flows.size).toBe(10);
    expect(s.totals.closedShed).toBe(15);
    expect([s.totals.txRate, s.totals.rxRate]).toEqual([2500, 1000]);
    expect(s.totals.throughputHistory.at(-1)).toBe(3500);
    applyEvent(s, tick(2 * S)); // counted once
    expect([s.totals.txRate, s.totals.rxRate]).toEqual([0, 0]);
  });

  it('caps tracked flows: oldest closed goes first (shed), then an idle one (evicted)', () => {
    const s = createCoreState({ maxFlows: 2, lingerNs: Infinity });
    applyBatch(s, [open(1, 1), open(2, 2), close(3, 1), open(3, 4)]);
    expect([...s.flows.keys()]).toEqual([2, 3]);
    applyBatch(s, [counters(5, 3, 100, 0), tick(S, 0, 7)]); // flow 3 busy, 2 idle
    expect(s.totals.closedShed).toBe(1); // flow 1 had closed: not a loss
    expect(s.totals.evicted).toBe(7);
    applyEvent(s, open(4, S + 1));
    expect([...s.flows.keys()]).toEqual([3, 4]);
    applyEvent(s, tick(2 * S, 0, 7));
    expect(s.totals.evicted).toBe(7 + 1); // flow 2, open, no longer followed
    expect(s.totals.closedShed).toBe(1);
    expect(s.totals.flowsOpen).toBe(2);
  });

  it('past the cap with every flow busy, the oldest goes (the search for an idle one is bounded)', () => {
    const s = createCoreState({ maxFlows: 1000, lingerNs: Infinity });
    const first: AppEvent[] = [];
    for (let id = 1; id <= 1000; id++) first.push(open(id, id), counters(id + 0.5, id, 1, 0));
    applyBatch(s, [...first, tick(S)]); // all 1,000 moved: none idle
    const more: AppEvent[] = [];
    for (let id = 1001; id <= 6000; id++) more.push(open(id, S + id));
    applyBatch(s, [...more, tick(2 * S)]);
    expect(s.flows.size).toBe(1000);
    expect(s.flows.has(1)).toBe(false);
    expect(s.flows.has(6000)).toBe(true);
    expect(s.totals.evicted).toBe(5000);
  });

  it('correlates a flow with its process, user, cgroup and container', () => {
    const s = createCoreState();
    const cid = 'a'.repeat(64);
    applyBatch(s, [
      { type: 'user', uid: 1000, name: 'alice' },
      { type: 'cgroup', cgroupId: 77, path: `/libpod_parent/libpod-${cid}`, container: { id: cid, runtime: 'podman', name: null, pod: null, namespace: null } },
      { type: 'container-name', id: cid, name: 'web' },
      { type: 'proc-exec', ts: 1, pid: 10, ppid: 1, uid: 1000, comm: 'curl', filename: '/usr/bin/curl' },
      { type: 'process', ts: 1, pid: 10, ppid: 1, exe: null, cmdline: 'curl http://x' },
      open(1, 2),
      { type: 'proc-exit', ts: 3, pid: 10 },
      tick(100 * S),
    ]);
    const f = s.flows.get(1)!;
    // Exited long ago, but its flow still needs its facts.
    expect(flowProcess(s, f)).toMatchObject({ exe: '/usr/bin/curl', cmdline: 'curl http://x', exitedTs: 3 });
    expect(flowUser(s, f)).toBe('alice');
    expect(flowCgroup(s, f)?.path).toContain('libpod-');
    expect(flowContainer(s, f)).toMatchObject({ id: cid, name: 'web', runtime: 'podman' });
  });

  it('takes the command line of a proc-exec; an older recording without one gives null', () => {
    const s = createCoreState();
    applyBatch(s, [
      { type: 'process', ts: 0, pid: 30, ppid: 1, exe: '/bin/sh', cmdline: 'sh -c x' },
      { type: 'proc-exec', ts: 1, pid: 30, ppid: 1, uid: 0, comm: 'curl', filename: '/usr/bin/curl', cmdline: 'curl -s http://x' },
      { type: 'proc-exec', ts: 1, pid: 31, ppid: 1, uid: 0, comm: 'true', filename: '/usr/bin/true' },
    ]);
    expect(s.processes.get(30)).toMatchObject({ exe: '/usr/bin/curl', cmdline: 'curl -s http://x' });
    expect(s.processes.get(31)).toMatchObject({ exe: '/usr/bin/true', cmdline: null });
  });

  it('inherits exe and cmdline across fork, and prunes exited processes nobody needs', () => {
    const s = createCoreState({ lingerNs: S });
    applyBatch(s, [
      { type: 'process', ts: 0, pid: 20, ppid: 1, exe: '/usr/sbin/nginx', cmdline: 'nginx: master' },
      { type: 'proc-fork', ts: 1, pid: 21, ppid: 20, comm: 'nginx' },
    ]);
    expect(s.processes.get(21)).toMatchObject({ exe: '/usr/sbin/nginx', cmdline: 'nginx: master', ppid: 20 });
    applyBatch(s, [{ type: 'proc-exit', ts: 2, pid: 21 }, tick(0.5 * S)]);
    expect(s.processes.has(21)).toBe(true);
    applyEvent(s, tick(2 * S));
    expect(s.processes.has(21)).toBe(false);
    expect(s.processes.has(20)).toBe(true);
  });

  it('replaces a flow whose id comes again, below the largest id seen as above it', () => {
    const s = createCoreState();
    applyBatch(s, [open(5, 1), open(3, 2), open(5, 3, { rport: 81 }), open(3, 4, { rport: 82 })]);
    expect(s.flows.size).toBe(2);
    expect(s.totals.flowsOpen).toBe(2);
    expect([s.flows.get(5)!.rport, s.flows.get(3)!.rport]).toEqual([81, 82]);
  });

  it('lingers and evicts closed flows in close order, also when a closed flow was replaced by its id', () => {
    const done: number[] = [];
    const s = createCoreState({ lingerNs: 2 * S, onFlowDone: (f) => done.push(f.rport) });
    // Flow 1 closes, comes again (rport 81) and closes again, after flow 2 closed.
    applyBatch(s, [open(1, 0), open(2, 1), close(0.1 * S, 1), close(0.2 * S, 2), open(1, 0.3 * S, { rport: 81 }), close(0.4 * S, 1), tick(S)]);
    applyEvent(s, tick(2.3 * S));
    expect(done).toEqual([80]); // flow 2 (rport 80); the first flow 1 was replaced, not done
    applyEvent(s, tick(2.5 * S));
    expect(done).toEqual([80, 81]);
    expect(s.flows.size).toBe(0);
    const capped = createCoreState({ maxFlows: 2, lingerNs: Infinity });
    applyBatch(capped, [open(1, 1), open(2, 2), close(3, 1), close(4, 2), open(1, 5, { rport: 81 }), close(6, 1), open(3, 7)]);
    expect([...capped.flows.keys()]).toEqual([1, 3]); // flow 2, the oldest closed still there, went
    applyEvent(capped, tick(S));
    expect(capped.totals.closedShed).toBe(1);
    expect(capped.totals.evicted).toBe(0);
  });

  it('gives a short history back when its flow leaves: the next flow reads only its own rates', () => {
    const s = createCoreState({ lingerNs: 1.5 * S });
    applyBatch(s, [tick(0), open(1, 0.1 * S), counters(0.2 * S, 1, 700, 900), close(0.3 * S, 1, 800, 900), tick(S)]);
    const gone = s.flows.get(1)!;
    expect(typeof gone.history).toBe('number');
    expect(rateHistory(s, gone)).toEqual({ tx: [800], rx: [900] });
    applyBatch(s, [tick(2 * S), tick(3 * S)]); // linger over: the flow leaves the state
    expect(s.flows.has(1)).toBe(false);
    expect(gone.history).toBeNull();
    applyBatch(s, [open(2, 3.1 * S), counters(3.2 * S, 2, 0, 50), tick(4 * S)]);
    expect(rateHistory(s, s.flows.get(2)!)).toEqual({ tx: [0], rx: [50] });
  });

  it('keeps up to 31 state changes per flow, in order, with any state name', () => {
    const s = createCoreState();
    const states = Array.from({ length: 40 }, (_, i) => (i % 3 === 0 ? `STATE_${i}` : i % 3 === 1 ? 'FIN_WAIT1' : 'CLOSE_WAIT'));
    applyBatch(s, [open(1, 1), ...states.map((state, i): AppEvent => ({ type: 'flow-state', ts: 10 + i, flowId: 1, state }))]);
    const f = s.flows.get(1)!;
    expect(f.state).toBe(states[39]);
    expect(flowLifecycle(f)).toEqual([{ ts: 1, what: 'ESTABLISHED' }, ...states.slice(0, 31).map((what, i) => ({ ts: 10 + i, what }))]);
  });

  it('is deterministic: the same events give the same state', () => {
    const run = () => {
      const s = createCoreState({ lingerNs: 3 * S, maxFlows: 300 });
      for (const b of syntheticBatches({ seconds: 15, seed: 7 })) applyBatch(s, b);
      return JSON.stringify({ flows: [...s.flows.values()], totals: s.totals, procs: [...s.processes.entries()] });
    };
    const a = run();
    expect(run()).toBe(a);
    expect(a.length).toBeGreaterThan(1000);
  });
});
