import { describe, expect, it } from 'vitest';
import { FLOW_ID } from '../../src/core/flow-fields';
import { FlowIndex } from '../../src/core/flow-index';
import { FlowStore } from '../../src/core/flow-store';

/** A FlowIndex and the Map it stands for, driven alike: adds allocate a store slot (as the
 * reducer's openFlow does), deletes release it (removeFlow). */
function pair() {
  const store = new FlowStore(0);
  const index = new FlowIndex(store);
  const model = new Map<number, number>();
  return {
    index,
    model,
    add(id: number) {
      const slot = store.alloc();
      store.setNum(slot, FLOW_ID, id);
      index.set(id, slot);
      model.set(id, slot);
    },
    remove(id: number) {
      const slot = model.get(id);
      expect(index.delete(id)).toBe(slot !== undefined);
      if (slot === undefined) return;
      model.delete(id);
      store.release(slot);
    },
    check(probe: number[]) {
      expect(index.size).toBe(model.size);
      expect([...index.entries()]).toEqual([...model.entries()]);
      const each: Array<[number, number]> = [];
      index.forEach((slot, id) => each.push([id, slot]));
      expect(each).toEqual([...model.entries()]);
      for (const id of probe) expect(index.get(id)).toBe(model.get(id));
    },
  };
}

/** A small deterministic generator (xorshift). */
function random(seed: number) {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

describe('flow index', () => {
  it('is a Map in opening order under churn: ids upwards, closing out of order, a few held long', () => {
    const p = pair();
    const rnd = random(7);
    const held: number[] = [];
    const open: number[] = [];
    let next = 1;
    for (let step = 0; step < 200_000; step++) {
      // Records come in close order: an id is added a little after later ones sometimes.
      const id = rnd() < 0.1 && next > 20 ? next - 1 - Math.floor(rnd() * 20) : next++;
      if (!p.model.has(id)) {
        p.add(id);
        if (rnd() < 0.001) held.push(id);
        else open.push(id);
      }
      // The oldest go after a linger of ~5,000 flows (the window grows, then slides).
      while (open.length > 5000) p.remove(open.shift()!);
      if (step % 20_000 === 0) p.check([id, id - 1, id + 1, ...held.slice(0, 5), 0, next + 10_000]);
    }
    // The window slid past the held ones (to the Map) and grew past its first size.
    const { old, capacity } = p.index.layout;
    expect(old).toBeGreaterThan(0);
    expect(capacity).toBeGreaterThan(1024);
    // A window twice the flows it holds at most, not grown to its maximum by the held ones.
    expect(capacity).toBeLessThanOrEqual(16384);
    for (const id of held.slice(0, held.length >> 1)) p.remove(id);
    p.check([...held, ...open.slice(0, 100)]);
  });

  it('keeps ids that are not u32, jumps far ahead, ids below the window and a repeated id', () => {
    const p = pair();
    for (const id of [5, 2 ** 40, 1.5, -3, 3e9, 3e9 + 1, 7, 4_000_000_000, 6, 100, 2 ** 32 - 1]) p.add(id);
    p.check([5, 6, 7, 1.5, -3, 2 ** 40, 3e9, 3e9 + 1, 100, 2 ** 32 - 1, 4]);
    p.remove(5);
    p.remove(5);
    p.add(5); // a repeated id goes to the end of the order, as in a Map
    p.remove(3e9);
    p.add(3e9 + 2);
    p.check([5, 3e9, 3e9 + 2, 7]);
    for (const id of [...p.model.keys()]) p.remove(id);
    p.check([5]);
    for (let id = 10; id < 5000; id++) p.add(id); // empty: the window starts again where the ids are
    p.check([10, 4999, 5000, 3e9 + 2]);
  });

  it('keeps held flows in the window when half their ids come later (accepted ends listed a second after their peer)', () => {
    const p = pair();
    // Connections opened in turn: the connecting end takes the odd id, the accepted end
    // the even one, whose open comes a second later, once the odd ids passed the window.
    for (let id = 1; id < 100_000; id += 2) p.add(id);
    for (let id = 2; id <= 100_000; id += 2) p.add(id);
    p.check([1, 2, 99_999, 100_000, 100_001, 0]);
    expect(p.index.layout.old).toBe(0);
    expect(p.index.layout.capacity).toBeLessThanOrEqual(262_144);
    // Then churn far beyond them: a window less than a quarter full slides past them (to
    // the Map) rather than growing to its maximum.
    for (let id = 200_000; id < 800_000; id++) {
      p.add(id);
      if (id - 200_000 >= 1000) p.remove(id - 1000);
    }
    p.check([1, 2, 100_000, 799_999, 798_999]);
    expect(p.index.layout.old).toBe(100_000);
    expect(p.index.layout.capacity).toBeLessThanOrEqual(1 << 19);
  });
});
