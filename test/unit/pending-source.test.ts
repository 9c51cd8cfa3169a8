// PendingSource: the TUI mounts on it while the kernel load runs. Its info is the host's
// until the source opens, its batches are the source's, close() closes the source once it
// is open, and a failed open makes batches() fail and close() a no-op. R waits for it.
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { PendingSource } from '../../src/live/pending-source';
import type { RecordedEventSource } from '../../src/live/source';
import type { RecordedEvent } from '../../src/events/kernel-records';
import { LiveFeed } from '../../src/tui/live-feed';

function openedSource(batches: RecordedEvent[][]): RecordedEventSource & { closed: number } {
  return {
    closed: 0,
    info: { mode: 'live', hostname: 'h', kernel: 'k', cpus: 2, bootTimeMs: 1, cgroupRoot: '/sys/fs/cgroup', hooks: ['on_inet_sock_set_state'], intervalMs: 1000, sockscopeVersion: 't' },
    async *batches() {
      yield* batches;
    },
    async close() {
      this.closed++;
    },
  };
}

function deferred<T>(): { promise: Promise<T>; resolve(v: T): void; reject(e: unknown): void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe('PendingSource', () => {
  it('says the host until the source opens, then what the source says; yields its batches', async () => {
    const d = deferred<RecordedEventSource>();
    const p = new PendingSource(d.promise, 500);
    expect(p.opening).toBe(true);
    expect(p.info).toMatchObject({ mode: 'live', hostname: os.hostname(), kernel: os.release(), hooks: [], cgroupRoot: null, intervalMs: 500 });
    const tick = [{ type: 'tick' }] as unknown as RecordedEvent[];
    const real = openedSource([tick, tick]);
    const got: RecordedEvent[][] = [];
    const reading = (async () => {
      for await (const b of p.batches()) got.push(b);
    })();
    d.resolve(real);
    await reading;
    expect(got).toEqual([tick, tick]);
    expect(p.opening).toBe(false);
    expect(p.info.hooks).toEqual(['on_inet_sock_set_state']);
    await p.close();
    expect(real.closed).toBe(1);
  });

  it('close() before the source opens closes it once it has', async () => {
    const d = deferred<RecordedEventSource>();
    const p = new PendingSource(d.promise, 1000);
    const closing = p.close();
    const real = openedSource([]);
    d.resolve(real);
    await closing;
    expect(real.closed).toBe(1);
  });

  it('a failed open: batches() fails with its error, close() does nothing, ready rejects', async () => {
    const d = deferred<RecordedEventSource>();
    const p = new PendingSource(d.promise, 1000);
    d.reject(new Error('load failed'));
    await expect(p.ready).rejects.toThrow('load failed');
    await expect((async () => { for await (const b of p.batches()) void b; })()).rejects.toThrow('load failed');
    await expect(p.close()).resolves.toBeUndefined();
  });

  it('R while the source opens records nothing and says so', async () => {
    const d = deferred<RecordedEventSource>();
    const feed = new LiveFeed(new PendingSource(d.promise, 1000), { recordDir: os.tmpdir() });
    feed.recorder.toggle();
    expect(feed.status().recording).toBeNull();
    expect(feed.status().note).toMatch(/still starting/);
    d.resolve(openedSource([]));
    await feed.close();
  });
});
