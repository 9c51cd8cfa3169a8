// RecentIds: the reducer skips its id Map lookup when this says an id was never opened, so
// it must never say so of an id it was told about; and it should say so of most others.
import { describe, expect, it } from 'vitest';
import { RecentIds } from '../../src/core/recent-ids';
import { applyEvent, createCoreState } from '../../src/core/reducer';
import type { FlowOpenEvent, Owner } from '../../src/events/types';

describe('RecentIds', () => {
  it('has every id noted, in any order, across the window and the u32 range', () => {
    let seed = 7;
    const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    for (const start of [0, 2 ** 31 - 5000, 2 ** 32 - 400_000]) {
      const r = new RecentIds();
      const noted: number[] = [];
      const notedSet = new Set<number>();
      let next = start;
      let unknownSaidNo = 0;
      let unknownAsked = 0;
      for (let i = 0; i < 60_000; i++) {
        // Mostly new ids a little out of order, sometimes a far jump, sometimes an old one.
        const x = rand();
        const id = x < 0.002 ? (next += 300_000) : x < 0.01 && noted.length > 0 ? noted[Math.floor(rand() * noted.length)] : Math.max(start, next - Math.floor(rand() * 2000));
        next += 1;
        if (id > 0xffffffff) break;
        const seen = notedSet.has(id);
        if (!seen) {
          unknownAsked++;
          if (!r.mayHave(id)) unknownSaidNo++;
        } else expect(r.mayHave(id)).toBe(true);
        r.note(id);
        noted.push(id);
        notedSet.add(id);
        expect(r.mayHave(id)).toBe(true);
      }
      for (const id of noted) expect(r.mayHave(id)).toBe(true);
      expect(unknownSaidNo).toBeGreaterThan(unknownAsked * 0.9);
    }
  }, 60_000);

  it('says "maybe" of ids it cannot track', () => {
    const r = new RecentIds();
    r.note(10);
    for (const id of [-1, 1.5, 2 ** 32, NaN]) {
      r.note(id);
      expect(r.mayHave(id)).toBe(true);
    }
    expect(r.mayHave(11)).toBe(false);
    expect(r.mayHave(9)).toBe(false);
  });

  it('lets the reducer replace a flow whose id comes again below the largest', () => {
    const owner: Owner = { pid: 1, tid: 1, ppid: 0, uid: 0, gid: 0, comm: 'x', cgroupId: 0, netns: 0 };
    const open = (flowId: number, ts: number): FlowOpenEvent => ({
      type: 'flow-open', ts, flowId, cookie: flowId, direction: 'outbound', owner, proto: 'tcp', family: 4,
      laddr: '10.0.0.1', lport: flowId, raddr: '10.0.0.2', rport: 80, state: 'ESTABLISHED', connectLatencyUs: null, seenAtStart: false,
    });
    const state = createCoreState({ historyLength: 0 });
    applyEvent(state, open(5, 1));
    applyEvent(state, open(9, 2));
    applyEvent(state, open(7, 3));
    applyEvent(state, open(5, 4));
    expect([...state.flows.keys()]).toEqual([9, 7, 5]);
    expect(state.flows.get(5)!.startTs).toBe(4);
    expect(state.totals.flowsOpen).toBe(3);
  });
});
