// The TUI's malloc_trim in quiet intervals: only once resident memory grew by 2 MiB from its
// low since the last trim, never while the interval was busy. libbpf's bindings are
// replaced by a counter (no native heap is trimmed), RSS by a value the test sets.
import { afterEach, describe, expect, it, vi } from 'vitest';

const trims = vi.hoisted(() => ({ count: 0 }));
vi.mock('../../src/loader/libbpf', () => ({
  libbpf: () => ({ trimNativeHeap: () => { trims.count++; return true; }, limitNativeArenas: () => true }),
}));
const { MemoryReturner } = await import('../../src/live/native-memory');

const MiB = 2 ** 20;
let rss = 100 * MiB;
afterEach(() => vi.restoreAllMocks());

describe('MemoryReturner, trimming when quiet', () => {
  it('trims once RSS grew 2 MiB from its low since the last trim, and only in quiet intervals', () => {
    vi.spyOn(process.memoryUsage, 'rss').mockImplementation(() => rss);
    trims.count = 0;
    const m = new MemoryReturner({ trimWhenQuiet: true });
    m.maybeReclaim(true); // the first reading: the low
    rss += 1.5 * MiB;
    m.maybeReclaim(true);
    expect(trims.count).toBe(0);
    rss += 1 * MiB; // 2.5 MiB above the low, but a busy interval
    m.maybeReclaim(false);
    expect(trims.count).toBe(0);
    m.maybeReclaim(true);
    expect(trims.count).toBe(1);
    m.maybeReclaim(true); // right after a trim: no growth since
    expect(trims.count).toBe(1);
    rss -= 3 * MiB; // a lower low ...
    m.maybeReclaim(true);
    rss += 2 * MiB; // ... from which 2 MiB counts
    m.maybeReclaim(true);
    expect(trims.count).toBe(2);
  });

  it('without trimWhenQuiet a steady process never trims', () => {
    vi.spyOn(process.memoryUsage, 'rss').mockImplementation(() => rss);
    trims.count = 0;
    const m = new MemoryReturner();
    for (let i = 0; i < 5; i++) {
      rss += 4 * MiB;
      m.maybeReclaim(true);
    }
    expect(trims.count).toBe(0);
  });
});
