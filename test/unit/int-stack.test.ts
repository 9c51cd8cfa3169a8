import { describe, expect, it } from 'vitest';
import { IntStack } from '../../src/core/int-stack';

describe('IntStack', () => {
  it('pops what was pushed, last first, past its first room, and -1 when empty', () => {
    const s = new IntStack();
    for (let i = 0; i < 1000; i++) s.push(i * 3);
    expect(s.length).toBe(1000);
    expect(s.at(0)).toBe(0);
    expect(s.at(999)).toBe(2997);
    for (let i = 999; i >= 0; i--) expect(s.pop()).toBe(i * 3);
    expect(s.pop()).toBe(-1);
    expect(s.length).toBe(0);
  });

  it('clear and reset empty it; it is usable after either', () => {
    const s = new IntStack();
    for (let i = 0; i < 200; i++) s.push(i);
    s.clear();
    expect(s.length).toBe(0);
    expect(s.pop()).toBe(-1);
    s.push(7);
    s.reset();
    expect(s.pop()).toBe(-1);
    s.push(8);
    expect(s.pop()).toBe(8);
  });
});
