// The ring buffer is drained from a timer with ring_buffer__consume (never a blocking
// poll): while a child floods the ring with exec records, the event loop stays free and
// a 20 ms timer keeps its schedule.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BpfObject } from '../../src/loader';
import { canRunBpf, decodeFixtureEvent, FIXTURE } from './fixtures/loader-fixture';

describe.skipIf(!canRunBpf.ok)(`ring buffer drain${canRunBpf.ok ? '' : ` (skipped: ${canRunBpf.why})`}`, () => {
  it('keeps the event loop free while records flow', async () => {
    const obj = BpfObject.open(FIXTURE);
    try {
      obj.setAutoload('fixture_missing_tp_btf', false);
      obj.setRodata({ target_tgid: 0 }); // every exec on the host: the test filters by parent
      obj.load();
      obj.attach('fixture_exec');
      let shell = -1;
      let fromShell = 0;
      const ring = obj.ringBuffer('events', (data) => {
        if (decodeFixtureEvent(data).ppid === shell) fromShell++;
      });
      ring.start(10);

      const ticks: number[] = [];
      const ticker = setInterval(() => ticks.push(performance.now()), 20);
      const sh = spawn('sh', ['-c', 'i=0; while [ $i -lt 400 ]; do /bin/true; i=$((i+1)); done'], { stdio: 'ignore' });
      shell = sh.pid!;
      const started = performance.now();
      await new Promise<void>((resolve) => sh.on('close', () => resolve()));
      await new Promise((r) => setTimeout(r, 100)); // a last drain
      const elapsed = performance.now() - started;
      clearInterval(ticker);
      ring.stop();

      expect(fromShell).toBe(400);
      expect(ring.running).toBe(false);
      const gaps = ticks.slice(1).map((t, i) => t - ticks[i]);
      // On schedule: about one tick per 20 ms, and never a stall.
      expect(ticks.length).toBeGreaterThan((elapsed / 20) * 0.7);
      expect(Math.max(...gaps)).toBeLessThan(150);
    } finally {
      obj.close();
    }
  });

  it('a handler error under start() stops the timer and goes to onError', async () => {
    const obj = BpfObject.open(FIXTURE);
    try {
      obj.setAutoload('fixture_missing_tp_btf', false);
      obj.setRodata({ target_tgid: process.pid });
      obj.load();
      obj.attach('fixture_exec');
      const ring = obj.ringBuffer('events', () => {
        throw new Error('bad record');
      });
      const failed = new Promise<unknown>((resolve) => ring.start(5, resolve));
      spawn('/bin/true');
      expect(await failed).toMatchObject({ message: 'bad record' });
      expect(ring.running).toBe(false);
    } finally {
      obj.close();
    }
  });
});
