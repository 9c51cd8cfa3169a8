import { describe, expect, it } from 'vitest';
import { IntStack } from '../../src/core/int-stack';

describe('IntStack', () => {
  it('pops in reverse order of pushing, -1 when empty', () => {
    const s = new IntStack();
    expect(s.pop()).toBe(-1);
    s.push(3);
    s.push(0);
    s.push(7);
    expect(s.length).toBe(3);
    expect([s.pop(), s.pop(), s.pop(), s.pop()]).toEqual([7, 0, 3, -1]);
    expect(s.length).toBe(0);
  });

  it('keeps every value across growing past its first room', () => {
    const s = new IntStack();
    for (let i = 0; i < 5000; i++) s.push(i * 3);
    for (let i = 4999; i >= 2000; i--) expect(s.pop()).toBe(i * 3);
    for (let i = 0; i < 10; i++) s.push(100000 + i);
    expect(s.length).toBe(2010);
    for (let i = 9; i >= 0; i--) expect(s.pop()).toBe(100000 + i);
    expect(s.pop()).toBe(1999 * 3);
  });
});
