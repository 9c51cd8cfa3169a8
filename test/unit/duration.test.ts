import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/duration';
import { UsageError } from '../../src/errors';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['10s', 10_000],
    ['1.5s', 1500],
    ['5m', 300_000],
    ['1h', 3_600_000],
  ])('%s is %d ms', (text, ms) => expect(parseDuration(text, '--duration')).toBe(ms));

  it.each(['', '10', 's', '-1s', '0s', '10 s', '1d', '1e3ms'])('rejects %j with a UsageError naming the flag', (text) => {
    expect(() => parseDuration(text, '--interval')).toThrow(UsageError);
    expect(() => parseDuration(text, '--interval')).toThrow(/--interval/);
  });
});
