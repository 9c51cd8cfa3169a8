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

  it('keeps samples across growth and starts over with zeros once all are back', () => {
    const h = new ShortHistories();
    const slots = Array.from({ length: 200 }, (_, i) => {
      const s = h.take();
      h.set(s, i % 4, i, -i);
      return s;
    });
    slots.forEach((s, i) => expect([h.tx(s, i % 4), h.rx(s, i % 4)]).toEqual([i, -i]));
    for (const s of slots) h.release(s);
    const fresh = Array.from({ length: 40 }, () => h.take());
    for (const s of fresh) for (let age = 0; age < 4; age++) expect([h.tx(s, age), h.rx(s, age)]).toEqual([0, 0]);
  });
});
