// The ring buffer read from its own mapping (RingReader access 'mmap') and through libbpf's
// ring_buffer__consume (the fallback), on the fixture's 64 KiB ring in the real kernel:
// every record intact and in order across several trips around the ring, discarded
// records skipped, the mapping gone after close, and the drain timer backing off when idle.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BpfObject, RingReader } from '../../src/loader';
import { canRunBpf, decodeFixtureEvent, FIXTURE, type FixtureEvent } from './fixtures/loader-fixture';

const RING_BYTES = 64 * 1024; // the fixture's events map
const RECORD_BYTES = 48; // 40-byte fixture_event + 8-byte header, a multiple of 8
const MAGIC = 0x5eed_cafe_f00dn;

/** A shell that runs `n` execs of /bin/true per line it reads, and answers "done" after each batch. */
class ExecShell {
  private readonly sh: ChildProcessWithoutNullStreams;
  private out = '';
  constructor() {
    this.sh = spawn('sh', ['-c', 'while read n; do i=0; while [ $i -lt $n ]; do /bin/true; i=$((i+1)); done; echo done; done']);
    this.sh.stdout.on('data', (d) => (this.out += d));
  }
  get pid(): number {
    return this.sh.pid!;
  }
  async run(n: number): Promise<void> {
    const before = this.out.split('done').length;
    this.sh.stdin.write(`${n}\n`);
    while (this.out.split('done').length === before) await new Promise((r) => setTimeout(r, 5));
  }
  end(): void {
    this.sh.stdin.end();
    this.sh.kill();
  }
}

/** The fixture, emitting records only for execs by children of `tgid` (the shell). */
function openFor(tgid: number, discardEvery = 0): BpfObject {
  const obj = BpfObject.open(FIXTURE);
  obj.setAutoload('fixture_missing_tp_btf', false);
  obj.setRodata({ target_tgid: tgid, magic: MAGIC, flag_byte: 7, discard_every: discardEvery });
  obj.load();
  obj.attach('fixture_exec');
  return obj;
}

function bpfMappings(): number {
  return readFileSync('/proc/self/maps', 'utf8').split('\n').filter((l) => l.includes('bpf-map')).length;
}

describe.skipIf(!canRunBpf.ok)(`ring buffer access${canRunBpf.ok ? '' : ` (skipped: ${canRunBpf.why})`}`, () => {
  for (const access of ['mmap', 'libbpf'] as const) {
    describe(access, () => {
      it('hands every record intact and in order, around the ring more than twice', async () => {
        const sh = new ExecShell();
        const obj = openFor(sh.pid);
        try {
          const got: FixtureEvent[] = [];
          const ring = obj.ringBuffer('events', (d) => got.push(decodeFixtureEvent(d)), { access });
          expect(ring.access).toBe(access);
          const batches = [500, 500, 500, 500, 500, 500];
          for (const n of batches) {
            await sh.run(n);
            expect(ring.drain()).toBe(n);
          }
          const total = batches.reduce((a, b) => a + b, 0);
          expect(total * RECORD_BYTES).toBeGreaterThan(2 * RING_BYTES);
          expect(got).toHaveLength(total);
          expect(ring.records).toBe(total);
          // seq counts every reserve in the program: 0..total-1 means none lost, none repeated.
          expect(got.map((e) => e.seq)).toEqual(Array.from({ length: total }, (_, i) => i));
          for (const e of got) expect(e).toMatchObject({ ppid: sh.pid, magic: MAGIC, comm: 'true', kind: 7 });
          expect(ring.drain()).toBe(0);
        } finally {
          sh.end();
          obj.close();
        }
      });

      it('skips the records the program discarded', async () => {
        const sh = new ExecShell();
        const obj = openFor(sh.pid, 3);
        try {
          const seqs: number[] = [];
          const ring = obj.ringBuffer('events', (d) => seqs.push(decodeFixtureEvent(d).seq), { access });
          // Discarded records hold their ring space until consumed: drain after each batch.
          let n = 0;
          for (let i = 0; i < 3; i++) {
            await sh.run(400);
            n += ring.drain();
          }
          const kept = Array.from({ length: 1200 }, (_, i) => i).filter((i) => i % 3 !== 0);
          expect(n).toBe(kept.length);
          expect(seqs).toEqual(kept);
        } finally {
          sh.end();
          obj.close();
        }
      });

      it('unmaps the ring on close', () => {
        const obj = openFor(process.pid);
        try {
          const before = bpfMappings();
          const ring = obj.ringBuffer('events', () => {}, { access });
          // consumer page + producer page and data (mapped once, the kernel maps the data twice)
          expect(bpfMappings()).toBe(before + 2);
          ring.close();
          expect(bpfMappings()).toBe(before);
          expect(() => ring.drain()).toThrow(/used after close/);
        } finally {
          obj.close();
        }
      });
    });
  }

  it('auto reads through the mapping, and falls back to libbpf when the ring cannot be mapped', async () => {
    const sh = new ExecShell();
    const obj = openFor(sh.pid);
    try {
      const fd = obj.map('events').fd;
      const byDefault = obj.ringBuffer('events', () => {});
      expect(byDefault.access).toBe('mmap');
      expect(byDefault.fallbackReason).toBeNull();
      byDefault.close();
      // A size the mapping refuses (the walk's 32-bit masks): auto falls back, mmap throws.
      expect(() => new RingReader('events', fd, 2 ** 31, () => {}, { access: 'mmap' })).toThrow(/too large to map/);
      const seqs: number[] = [];
      const fallback = new RingReader('events', fd, 2 ** 31, (d) => seqs.push(decodeFixtureEvent(d).seq));
      try {
        expect(fallback.access).toBe('libbpf');
        expect(fallback.fallbackReason).toMatch(/too large to map/);
        await sh.run(3);
        expect(fallback.drain()).toBe(3);
        expect(seqs).toEqual([0, 1, 2]);
      } finally {
        fallback.close();
      }
    } finally {
      sh.end();
      obj.close();
    }
  });

  it('mapping a map that is not a ring buffer fails with the map named', () => {
    const obj = openFor(process.pid);
    try {
      const m = obj.map('exec_counts');
      expect(() => new RingReader('exec_counts', m.fd, 4096, () => {}, { access: 'mmap' })).toThrow(/mapping ring buffer 'exec_counts'.*failed/);
    } finally {
      obj.close();
    }
  });

  it('a record kept past close reads as empty, not as unmapped memory', async () => {
    const sh = new ExecShell();
    const obj = openFor(sh.pid);
    try {
      let kept: Buffer | null = null;
      const ring = obj.ringBuffer('events', (d) => (kept ??= d), { access: 'mmap' });
      await sh.run(1);
      expect(ring.drain()).toBe(1);
      expect(kept!.length).toBe(40);
      ring.close();
      expect(kept!.length).toBe(0);
    } finally {
      sh.end();
      obj.close();
    }
  });

  it('the drain timer backs off while the ring is empty and comes back when records arrive', async () => {
    const sh = new ExecShell();
    const obj = openFor(sh.pid);
    try {
      let n = 0;
      const ring = obj.ringBuffer('events', () => n++, { maxIdlePeriodMs: 80 });
      ring.start(10);
      expect(ring.periodMs).toBe(10);
      await new Promise((r) => setTimeout(r, 300)); // 10+20+40+80: at the ceiling
      expect(ring.periodMs).toBe(80);
      await sh.run(3);
      const t0 = performance.now();
      while (n < 3) await new Promise((r) => setTimeout(r, 2));
      expect(performance.now() - t0).toBeLessThan(200);
      expect(ring.periodMs).toBe(10);
      ring.stop();
      expect(ring.periodMs).toBe(0);
    } finally {
      sh.end();
      obj.close();
    }
  });
});
