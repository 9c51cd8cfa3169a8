// isoTime must write exactly what Date.prototype.toISOString writes.
import { describe, expect, it } from 'vitest';
import { isoTime, isoTimeAt } from '../../src/core/iso-time';

describe('isoTime', () => {
  it('matches toISOString for times in and out of order, across seconds, days and years', () => {
    const times = [0, 1, 9, 10, 99, 100, 999, 1000, 1001, 951_782_399_999, 951_782_400_000, 1_764_131_530_342, 1_764_131_530_342,
      1_764_131_530_007, 1_764_131_529_999, 1_764_131_531_000, 253_402_300_799_999, 9_999_999_999_999, 1e13, 1e13 + 5, -1, -1001, 8.64e15];
    let x = 1_700_000_000_000;
    for (let i = 0; i < 5000; i++) {
      x += Math.floor(Math.random() * 3000) - 1000;
      times.push(x);
    }
    const b = Buffer.alloc(64);
    for (const ms of times) {
      expect(isoTime(ms)).toBe(new Date(ms).toISOString());
      // The bytes version, after a byte of something else.
      const end = isoTimeAt(b, 1, ms);
      expect(b.toString('latin1', 1, end)).toBe(new Date(ms).toISOString());
    }
  });

  it('throws as toISOString does for a time it cannot write', () => {
    expect(() => isoTime(NaN)).toThrow(RangeError);
    expect(() => isoTime(8.64e15 + 1)).toThrow(RangeError);
  });
});
