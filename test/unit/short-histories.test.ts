import { describe, expect, it } from 'vitest';
import { ShortHistories } from '../../src/core/short-histories';

describe('ShortHistories', () => {
  it('hands out zeroed slots and reuses given-back ones', () => {
    const h = new ShortHistories();
    const a = h.take();
    h.set(a, 1, 5, 7);
    const b = h.take();
    h.release(a);
    const c = h.take();
    expect(c).toBe(a);
    expect([h.tx(c, 1), h.rx(c, 1)]).toEqual([0, 0]);
    expect(b).not.toBe(a);
  });

  it('grows for many slots and shrinks back once none is in use', () => {
    const h = new ShortHistories();
    const small = h.capacityBytes;
    const slots = Array.from({ length: 100_000 }, () => h.take());
    h.set(slots[99_999], 3, 1, 2);
    expect(h.tx(slots[99_999], 3)).toBe(1);
    expect(h.capacityBytes).toBeGreaterThan(100_000 * 64 - 1);
    for (const s of slots.slice(1)) h.release(s);
    expect(h.capacityBytes).toBeGreaterThan(small); // one still in use: its number must stay valid
    h.release(slots[0]);
    expect(h.capacityBytes).toBe(small);
    expect(h.take()).toBe(0);
  });

  it('moves to a bigger buffer past its reservation, samples kept', () => {
    const h = new ShortHistories(4096); // 64 slots of room
    const slots = Array.from({ length: 200 }, (_, i) => {
      const s = h.take();
      h.set(s, i % 4, i, -i);
      return s;
    });
    expect(h.capacityBytes).toBeGreaterThan(200 * 64 - 1);
    slots.forEach((s, i) => expect([h.tx(s, i % 4), h.rx(s, i % 4)]).toEqual([i, -i]));
    for (const s of slots) h.release(s);
    expect(h.capacityBytes).toBe(32 * 64);
  });
});
