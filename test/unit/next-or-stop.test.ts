import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { nextOrStop } from '../../src/commands/next-or-stop';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('nextOrStop', () => {
  it('gives the value, or null once a stop resolved (also when it already had)', async () => {
    let stop!: () => void;
    const next = nextOrStop([new Promise<void>((r) => (stop = r)), new Promise(() => {})]);
    expect(await next(Promise.resolve(1))).toBe(1);
    const waiting = next(new Promise(() => {}));
    stop();
    expect(await waiting).toBeNull();
    expect(await next(Promise.resolve(2))).toBeNull();
    await expect(nextOrStop([new Promise(() => {})])(Promise.reject(new Error('x')))).rejects.toThrow('x');
  });

  it('does not keep the values it gave while the stop is pending (Promise.race did)', async () => {
    const next = nextOrStop([new Promise(() => {})]);
    const refs: WeakRef<object>[] = [];
    for (let i = 0; i < 20; i++) {
      const batch = { events: new Array(1000).fill(i) };
      refs.push(new WeakRef(batch));
      expect(await next(Promise.resolve(batch))).toBe(batch);
    }
    await new Promise((r) => setTimeout(r, 0));
    gc();
    expect(refs.filter((r) => r.deref() !== undefined).length).toBeLessThanOrEqual(1);
  });
});
