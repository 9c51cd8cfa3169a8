// The pool of kernel-records run buffers: reused while the load lasts, let go after a burst.
import { describe, expect, it } from 'vitest';
import { RunBufferPool } from '../../src/events/run-buffers';

describe('RunBufferPool', () => {
  it('hands back what was given, and keeps no more than the busiest recent interval had out', () => {
    const pool = new RunBufferPool(1024);
    const burst = Array.from({ length: 10 }, () => pool.take());
    for (const b of burst) pool.give(b);
    expect(pool.held).toBe(10);
    const again = pool.take();
    expect(burst).toContain(again); // reused, not allocated
    pool.give(again);
    pool.settle(); // this interval had 10 out at once: all 10 stay
    expect(pool.held).toBe(10);
    pool.give(pool.take()); // a quiet interval: one out at a time
    pool.settle();
    expect(pool.held).toBe(1);
  });

  it('does not keep a buffer of another size', () => {
    const pool = new RunBufferPool(1024);
    pool.take();
    pool.give(Buffer.alloc(4096)); // a run that grew past the pool's size
    expect(pool.held).toBe(0);
  });
});
