// Section 1's targets are judged on the median of 9 noisy ratios; the report must say when the
// interval that median lies in holds the 0.98 line instead of calling a pass or miss by which
// side of it the median happened to fall (bench/lib/stats.mjs, bench/report.mjs targets).
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a JavaScript module of the benchmark, without types
import { medianInterval } from '../../bench/lib/stats.mjs';

describe('medianInterval', () => {
  it('takes the order statistics whose binomial coverage reaches the level', () => {
    const nine = [0.9, 1.02, 0.95, 0.97, 0.99, 0.93, 1.0, 0.96, 0.98];
    expect(medianInterval(nine)).toEqual({ lo: 0.93, hi: 1.0, level: 1 - 2 * (10 / 512) });
    expect(medianInterval([1, 2, 3, 4, 5, 6, 7, 8]).level).toBeCloseTo(1 - 2 / 256, 12);
    expect(medianInterval([1, 2, 3, 4, 5, 6, 7, 8])).toMatchObject({ lo: 1, hi: 8 });
  });
  it('gives none where no pair of order statistics reaches the level', () => {
    expect(medianInterval([1, 2, 3, 4, 5])).toBeNull();
    expect(medianInterval([1, 2, 3, 4, 5, NaN])).toBeNull();
  });
});
