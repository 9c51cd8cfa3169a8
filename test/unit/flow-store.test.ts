import { describe, expect, it } from 'vitest';
import { PAGE_SLOTS } from '../../src/core/flow-fields';
import { applyBatch, applyEvent, createCoreState, flowLifecycle, rateHistory } from '../../src/core/reducer';
import type { AppEvent, FlowOpenEvent, Owner } from '../../src/events/types';

const S = 1e9;
const owner: Owner = { pid: 10, tid: 11, ppid: 1, uid: 1000, gid: 1000, comm: 'curl', cgroupId: 77, netns: 1 };

function open(flowId: number, ts: number, extra: Partial<FlowOpenEvent> = {}): FlowOpenEvent {
  return {
    type: 'flow-open', ts, flowId, cookie: 2 ** 40 + flowId, direction: 'outbound', owner, proto: 'tcp', family: 4,
    laddr: '127.0.0.1', lport: 40000 + (flowId % 20000), raddr: `10.0.0.${flowId % 250}`, rport: 80, state: 'SYN_SENT',
    connectLatencyUs: null, seenAtStart: false, ...extra,
  };
}
const close = (ts: number, flowId: number, sent: number, recv: number): AppEvent => ({
  type: 'flow-close', ts, flowId, counters: { bytesSent: sent, bytesReceived: recv, packetsSent: 3, packetsReceived: null, retransmits: 1, srttUs: 60 },
});
const tick = (ts: number): AppEvent => ({ type: 'tick', ts, wallMs: 1_000_000 + ts / 1e6, lost: 0, evicted: 0 });

describe('flow store', () => {
  it('keeps what an old view shows after its flow left and a new flow took its slot', () => {
    const s = createCoreState({ lingerNs: 1.5 * S });
    applyBatch(s, [tick(0), open(1, 0.1 * S), { type: 'flow-state', ts: 0.15 * S, flowId: 1, state: 'ESTABLISHED' }, close(0.3 * S, 1, 700, 900), tick(S)]);
    const old = s.flows.get(1)!;
    const before = JSON.stringify(old);
    const lifecycle = flowLifecycle(old);
    const rates = rateHistory(s, old);
    applyBatch(s, [tick(2 * S), tick(3 * S)]); // linger over: flow 1 leaves
    expect(s.flows.has(1)).toBe(false);
    // A new flow, other values everywhere, in the slot flow 1 had.
    applyBatch(s, [open(2, 3.1 * S, { proto: 'udp', family: 6, laddr: '::1', raddr: '::2', rport: 53, state: 'open', seenAtStart: true, connectLatencyUs: 5 })]);
    applyEvent(s, { type: 'counters', ts: 3.2 * S, flows: [{ flowId: 2, bytesSent: 5, bytesReceived: 6, packetsSent: 7, packetsReceived: 8, retransmits: null, srttUs: null }] });
    const now = s.flows.get(2)!;
    expect(now).not.toBe(old);
    expect([now.flowId, now.proto, now.bytesSent, now.endTs]).toEqual([2, 'udp', 5, null]);
    // The old view is the flow as it left (only its history, which ends as it leaves, moved on).
    const after = JSON.parse(JSON.stringify(old));
    const wasThen = JSON.parse(before);
    expect({ ...after, history: null, historyEnd: 0 }).toEqual({ ...wasThen, history: null, historyEnd: 0 });
    expect([old.flowId, old.cookie, old.bytesSent, old.bytesReceived, old.packetsReceived, old.endTs]).toEqual([1, 2 ** 40 + 1, 700, 900, null, 0.3 * S]);
    expect(flowLifecycle(old)).toEqual(lifecycle);
    // Its short history went back as it left (so it reads zeros), the store's reuse aside.
    expect(rates).toEqual({ tx: [700], rx: [900] });
    expect(rateHistory(s, old)).toEqual({ tx: [0], rx: [0] });
  });

  it('keeps an old view\'s full rate history after its ring went to another flow', () => {
    const s = createCoreState({ lingerNs: 1.5 * S, historyLength: 8 });
    const moves = (flowId: number, from: number, ticks: number, step: number): AppEvent[] => {
      const out: AppEvent[] = [];
      for (let k = 1; k <= ticks; k++) {
        out.push({ type: 'counters', ts: (from + k - 0.5) * S, flows: [{ flowId, bytesSent: k * step, bytesReceived: 0, packetsSent: k, packetsReceived: 0, retransmits: 0, srttUs: 1 }] });
        out.push(tick((from + k) * S));
      }
      return out;
    };
    // Six intervals of moving: past the 4 short samples, into a full ring.
    applyBatch(s, [tick(0), open(1, 0.1 * S), ...moves(1, 0, 6, 100), close(6.2 * S, 1, 600, 0)]);
    const old = s.flows.get(1)!;
    expect(old.history).toBeInstanceOf(Float64Array);
    expect(rateHistory(s, old).tx).toEqual([100, 100, 100, 100, 100, 100]);
    applyBatch(s, [tick(7 * S), tick(8 * S), tick(9 * S)]); // flow 1 leaves
    expect(s.flows.has(1)).toBe(false);
    const rates = rateHistory(s, old); // ending with the interval that found it quiet
    expect(rates.tx).toEqual([100, 100, 100, 100, 100, 100, 0]);
    applyBatch(s, [open(2, 9.1 * S), ...moves(2, 9, 6, 7)]); // flow 2 takes its slot and its ring
    expect(rateHistory(s, s.flows.get(2)!).tx).toEqual([7, 7, 7, 7, 7, 7]);
    expect(rateHistory(s, old)).toEqual(rates);
  });

  it('hands out one view per flow for as long as it is in the state', () => {
    const s = createCoreState();
    applyBatch(s, [open(1, 1), open(2, 2)]);
    const a = s.flows.get(1);
    expect(s.flows.get(1)).toBe(a);
    expect([...s.flows.values()][0]).toBe(a);
    expect([...s.flows.entries()].map(([id, f]) => [id, f.flowId])).toEqual([[1, 1], [2, 2]]);
  });

  it('keeps every flow\'s values across pages, with slots freed and reused in between', () => {
    const n = 2 * PAGE_SLOTS + 100;
    const s = createCoreState({ maxFlows: Number.MAX_SAFE_INTEGER, lingerNs: 0.5 * S, historyLength: 0 });
    const events: AppEvent[] = [];
    // Every third flow closes at once and leaves at the second tick (the first counts its
    // bytes); the rest stay.
    for (let id = 1; id <= n; id++) {
      events.push(open(id, id));
      if (id % 3 === 0) events.push(close(id + 0.5, id, id, 2 * id));
    }
    applyBatch(s, [...events, tick(S), tick(2 * S)]);
    const reopened: AppEvent[] = [];
    for (let id = n + 1; id <= n + n / 3; id++) reopened.push(open(id, 2 * S + id, { rport: 443 }));
    applyBatch(s, reopened);
    const stay = Math.ceil((2 * n) / 3) + Math.floor(n / 3);
    expect(s.flows.size).toBe(stay);
    for (const f of s.flows.values()) {
      const id = f.flowId;
      expect(f.cookie).toBe(2 ** 40 + id);
      expect(f.raddr).toBe(`10.0.0.${id % 250}`);
      expect(f.lport).toBe(40000 + (id % 20000));
      expect(f.rport).toBe(id > n ? 443 : 80);
      expect(f.endTs).toBeNull();
      expect(f.bytesSent).toBe(0);
    }
  });
  it('gives a short history back once its last sample that moved is out of the window, reading the same', () => {
    const hist = 8;
    const s = createCoreState({ historyLength: hist });
    applyBatch(s, [tick(0), open(1, 0.1 * S), open(2, 0.2 * S)]);
    const counters = (k: number, flows: number[], sent: number): AppEvent => ({
      type: 'counters', ts: (k - 0.5) * S,
      flows: flows.map((flowId) => ({ flowId, bytesSent: sent, bytesReceived: 0, packetsSent: 1, packetsReceived: 0, retransmits: 0, srttUs: 1 })),
    });
    // Flow 1 moves in its first interval only; flow 2 in its first and third.
    applyBatch(s, [counters(1, [1, 2], 100), tick(S)]);
    applyBatch(s, [tick(2 * S)]);
    applyBatch(s, [counters(3, [2], 300), tick(3 * S)]);
    const f1 = s.flows.get(1)!;
    const f2 = s.flows.get(2)!;
    for (let k = 4; k <= 14; k++) {
      applyBatch(s, [tick(k * S)]);
      // The window: the last `hist` ticks; flow 1's sample was at tick 1, flow 2's at 1 and 3.
      const window = Array.from({ length: Math.min(hist, k) }, (_, i) => k + 1 - Math.min(hist, k) + i);
      expect(rateHistory(s, f1).tx, `tick ${k}`).toEqual(window.map((t) => (t === 1 ? 100 : 0)));
      expect(rateHistory(s, f2).tx, `tick ${k}`).toEqual(window.map((t) => (t === 1 ? 100 : t === 3 ? 200 : 0)));
      // The slot goes as soon as the last sample that moved has left, not with the last short one.
      expect(f1.history === null, `flow 1 at tick ${k}`).toBe(k >= 1 + hist);
      expect(f2.history === null, `flow 2 at tick ${k}`).toBe(k >= 3 + hist);
    }
  });

  it('lets go of the addresses, owners and words its flows no longer use, and reads each back', () => {
    const s = createCoreState({ lingerNs: 1 * S });
    const store = s.flows.store;
    const other: Owner = { ...owner, pid: 20, tid: 20, comm: 'wget' };
    // Words past lifecycle.ts's vocabulary of 1,024 are stored as rare words: states
    // no kernel has, one per flow (the vocabulary is shared, so fill it whatever it holds).
    const events: AppEvent[] = [tick(0)];
    for (let i = 1; i <= 1100; i++) events.push(open(i, 0.1 * S, { state: `S${i}`, raddr: `10.1.${i >> 8}.${i & 255}`, owner: i % 2 ? owner : other }));
    applyBatch(s, events);
    expect(store.rareWords.size).toBeGreaterThan(0);
    for (const i of [1, 2, 1099, 1100]) {
      const f = s.flows.get(i)!;
      expect([f.state, f.openedAs, f.raddr, f.laddr, f.owner.comm, f.proto, f.direction]).toEqual(
        [`S${i}`, `S${i}`, `10.1.${i >> 8}.${i & 255}`, '127.0.0.1', i % 2 ? 'curl' : 'wget', 'tcp', 'outbound']);
    }
    // A rare word's flow moves to another rare state, then to a known one.
    applyBatch(s, [{ type: 'flow-state', ts: 0.2 * S, flowId: 1100, state: 'S-other' }]);
    expect(s.flows.get(1100)!.state).toBe('S-other');
    expect(flowLifecycle(s.flows.get(1100)!).map((e) => e.what)).toEqual(['S1100', 'S-other']);
    expect(store.addresses.size).toBe(1101);
    expect(store.owners.size).toBe(2);
    // All close; once their linger is over nothing they shared is kept.
    const closes: AppEvent[] = [];
    for (let i = 1; i <= 1100; i++) closes.push(close(0.5 * S, i, i, 0));
    applyBatch(s, [...closes, tick(1 * S), tick(2 * S)]);
    expect(s.flows.size).toBe(0);
    expect([store.addresses.size, store.owners.size, store.rareWords.size]).toEqual([0, 0, 0]);
    // Codes are reused for the next flows.
    applyBatch(s, [open(2000, 2.1 * S, { raddr: '10.9.9.9', state: 'S-again' })]);
    const f = s.flows.get(2000)!;
    expect([f.raddr, f.laddr, f.owner.comm, f.state]).toEqual(['10.9.9.9', '127.0.0.1', 'curl', 'S-again']);
    expect([store.addresses.size, store.owners.size]).toEqual([2, 1]);
  });
});
