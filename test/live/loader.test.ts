// src/loader/ against the real kernel with a small fixture object
// (test/live/fixtures/loader-fixture.bpf.c): every phase, the typed error of each phase's
// failures, and that close() really detaches (the kernel's own view: fdinfo and bpftool).
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BpfObject, readStructLayouts, BPF_NOEXIST } from '../../src/loader';
import { cgroup2MountPoint, readMountinfo } from '../../src/loader/mountinfo';
import { NotSupportedError, RuntimeError } from '../../src/errors';
import { bpfFds, waitGone } from './fixtures/bpf-fds';
import { canRunBpf, FIXTURE, decodeFixtureEvent, u32, u64 } from './fixtures/loader-fixture';

const MAGIC = 0x5eed_cafe_f00dn;

/** Open + configure the fixture the way most tests want it. */
function openFixture(rodata: Record<string, number | bigint> = { target_tgid: process.pid, magic: MAGIC, flag_byte: 3 }): BpfObject {
  const obj = BpfObject.open(FIXTURE);
  obj.setAutoload('fixture_missing_tp_btf', false);
  obj.setRodata(rodata);
  return obj;
}

describe.skipIf(!canRunBpf.ok)(`loader phases on the fixture object${canRunBpf.ok ? '' : ` (skipped: ${canRunBpf.why})`}`, () => {
  it('the fixture record layout is what the test decodes', () => {
    expect(readStructLayouts(FIXTURE, ['fixture_event']).fixture_event).toEqual({
      size: 40,
      members: {
        pid: { offset: 0, size: 4 }, ppid: { offset: 4, size: 4 }, magic: { offset: 8, size: 8 },
        comm: { offset: 16, size: 16 }, kind: { offset: 32, size: 1 }, _pad: { offset: 33, size: 3 },
        seq: { offset: 36, size: 4 },
      },
    });
  });

  describe('a full life: open -> rodata -> load -> attach -> drain -> maps -> test run -> close', () => {
    let obj: BpfObject;
    let cgroupDir: string | null = null;
    afterAll(() => {
      obj?.close();
      if (cgroupDir) rmdirSync(cgroupDir);
    });

    it('opens and lists programs and maps before anything reaches the kernel', () => {
      obj = openFixture();
      expect(obj.programNames().sort()).toEqual(
        ['fixture_egress', 'fixture_exec', 'fixture_fork_tp', 'fixture_missing_tp', 'fixture_missing_tp_btf', 'fixture_snapshot'],
      );
      expect(obj.mapNames()).toEqual(expect.arrayContaining(['events', 'exec_counts', 'percpu_packets', 'snapshot']));
      expect(obj.mapNames().some((m) => m.endsWith('.rodata'))).toBe(true);
      expect(obj.programSection('fixture_exec')).toBe('tp_btf/sched_process_exec');
      expect(obj.isLoaded).toBe(false);
    });

    it('loads, and attaches a BTF tracepoint, a classic tracepoint and a cgroup program', () => {
      const before = bpfFds();
      obj.setMapMaxEntries('exec_counts', 256);
      obj.load();
      expect(obj.isLoaded).toBe(true);
      obj.attach('fixture_exec');
      obj.attach('fixture_fork_tp');
      const v2 = cgroup2MountPoint(readMountinfo());
      expect(v2, 'cgroup v2 mount').not.toBeNull();
      cgroupDir = join(v2!, `sockscope-loader-test-${process.pid}`);
      mkdirSync(cgroupDir);
      obj.attachCgroup('fixture_egress', cgroupDir);
      expect(obj.attachments()).toEqual([
        { prog: 'fixture_exec', target: 'BTF tracepoint sched_process_exec' },
        { prog: 'fixture_fork_tp', target: 'tracepoint sched:sched_process_fork' },
        { prog: 'fixture_egress', target: `cgroup ${cgroupDir}` },
      ]);
      const after = bpfFds();
      expect(after.linkIds.length - before.linkIds.length).toBe(3);
      // Five programs loaded: the one with autoload off is not in the kernel.
      expect(after.progIds.length - before.progIds.length).toBe(5);
      expect(obj.map('exec_counts').maxEntries).toBe(256);
    });

    it('drains the ring buffer: one decoded record per exec of a child, with the rodata values', () => {
      const records: ReturnType<typeof decodeFixtureEvent>[] = [];
      const ring = obj.ringBuffer('events', (data) => records.push(decodeFixtureEvent(data)));
      const pids: number[] = [];
      for (let i = 0; i < 5; i++) {
        const r = spawnSync('/bin/true');
        expect(r.status).toBe(0);
        pids.push(r.pid!);
      }
      expect(ring.drain()).toBe(records.length);
      const mine = records.filter((r) => pids.includes(r.pid));
      expect(mine.map((r) => r.pid).sort()).toEqual([...pids].sort());
      for (const r of mine) {
        expect(r).toMatchObject({ ppid: process.pid, magic: MAGIC, comm: 'true', kind: 3 });
      }
      expect(ring.records).toBe(records.length);
      expect(ring.drain()).toBe(0); // nothing left
    });

    it('reads, updates, deletes and batch-reads a hash map the program fills', () => {
      const m = obj.map('exec_counts');
      expect(m.keySize).toBe(4);
      expect(m.valueSize).toBe(8);
      const child = spawnSync('/bin/true');
      const key = u32(child.pid!);
      expect(m.lookup(key)?.readBigUInt64LE(0)).toBe(1n);
      m.update(key, u64(41n));
      expect(m.lookup(key)?.readBigUInt64LE(0)).toBe(41n);
      expect(() => m.update(key, u64(1n), BPF_NOEXIST)).toThrow(/EEXIST/);
      // entries() goes through BPF_MAP_LOOKUP_BATCH: put more than a few in.
      for (let k = 1; k <= 100; k++) m.update(u32(0x7000_0000 + k), u64(BigInt(k)));
      const entries = new Map(m.entries().map(([k, v]) => [k.readUInt32LE(0), v.readBigUInt64LE(0)]));
      for (let k = 1; k <= 100; k++) expect(entries.get(0x7000_0000 + k)).toBe(BigInt(k));
      expect(entries.get(child.pid!)).toBe(41n);
      expect(m.keys().length).toBe(entries.size);
      // forEachEntry: the same pairs, as views of one buffer the map reuses between calls.
      const seen = new Map<number, bigint>();
      const buffers = new Set<ArrayBufferLike>();
      for (let pass = 0; pass < 2; pass++) {
        m.forEachEntry((k, v) => {
          seen.set(k.readUInt32LE(0), v.readBigUInt64LE(0));
          buffers.add(v.buffer);
        });
      }
      expect(seen).toEqual(entries);
      expect(buffers.size).toBe(1);
      expect(() => m.forEachEntry(() => m.entries())).toThrow(/read again from inside/);
      expect(m.entries().length).toBe(entries.size); // still usable after that error
      expect(m.delete(key)).toBe(true);
      expect(m.delete(key)).toBe(false);
      expect(m.lookup(key)).toBeNull();
      expect(() => m.lookup(Buffer.alloc(3))).toThrow(RangeError);
    });

    it('a cgroup program counts the packets of a process moved into its cgroup (per-CPU map)', () => {
      const send = `require('node:fs').writeFileSync(${JSON.stringify(join(cgroupDir!, 'cgroup.procs'))}, String(process.pid));
        const s = require('node:dgram').createSocket('udp4');
        let n = 0; const go = () => s.send('x', 9, '127.0.0.1', () => (++n < 5 ? go() : s.close()));
        go();`;
      const r = spawnSync(process.execPath, ['-e', send], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      const m = obj.map('percpu_packets');
      expect(m.isPerCpu).toBe(true);
      const perCpu = m.lookupPerCpu(u32(0))!;
      const total = perCpu.reduce((sum, v) => sum + v.readBigUInt64LE(0), 0n);
      expect(total).toBeGreaterThanOrEqual(5n);
    });

    it('counts forks in the classic tracepoint program', () => {
      spawnSync('/bin/true');
      expect(obj.map('snapshot').lookup(u32(1))!.readBigUInt64LE(0)).toBeGreaterThan(0n);
    });

    it('runs a raw_tp program on demand (BPF_PROG_TEST_RUN)', () => {
      expect(obj.runProgram('fixture_snapshot')).toBe(42);
      expect(obj.map('snapshot').lookup(u32(0))!.readBigUInt64LE(0)).toBe(MAGIC + 1n);
    });

    it('close() detaches every link and frees every program (fdinfo and bpftool agree)', async () => {
      const held = bpfFds();
      const ring = obj.ringBuffer('events', () => {});
      const m = obj.map('exec_counts');
      expect(held.linkIds.length).toBeGreaterThanOrEqual(3);
      obj.close();
      expect(obj.isClosed).toBe(true);
      const after = bpfFds();
      expect(after.linkIds.filter((id) => held.linkIds.includes(id))).toEqual([]);
      expect(after.progIds.filter((id) => held.progIds.includes(id))).toEqual([]);
      expect(await waitGone('link', held.linkIds)).toEqual([]);
      expect(await waitGone('prog', held.progIds)).toEqual([]);
      // Use after close is a typed error, never a crash on a freed pointer.
      expect(() => obj.attach('fixture_exec')).toThrow(RuntimeError);
      expect(() => obj.attach('fixture_exec')).toThrow(/after close/);
      expect(() => obj.map('exec_counts')).toThrow(/after close/);
      expect(() => obj.runProgram('fixture_snapshot')).toThrow(/after close/);
      expect(() => obj.programNames()).toThrow(/used after close/);
      expect(() => ring.drain()).toThrow(/used after close/);
      expect(() => m.lookup(u32(1))).toThrow(/used after its BPF object was closed/);
      expect(() => obj.close()).not.toThrow();
    });
  });

  describe('each phase fails with its typed error', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'sockscope-loader-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('open: a missing file', () => {
      const err = catchErr(() => BpfObject.open(join(dir, 'nope.bpf.o')));
      expect(err).toBeInstanceOf(RuntimeError);
      expect(err.message).toMatch(/nope\.bpf\.o.*does not exist/);
    });

    it('open: a file that is not a BPF object', () => {
      const garbage = join(dir, 'garbage.bpf.o');
      writeFileSync(garbage, Buffer.from('this is not an ELF file at all'.repeat(20)));
      const err = catchErr(() => BpfObject.open(garbage));
      expect(err).toBeInstanceOf(RuntimeError);
      expect(err.message).toMatch(/garbage\.bpf\.o failed .*damaged/);
      const truncated = join(dir, 'truncated.bpf.o');
      writeFileSync(truncated, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]));
      expect(() => BpfObject.open(truncated)).toThrow(RuntimeError);
    });

    it('rodata: an unknown variable names the ones that exist; a value too big is refused', () => {
      const obj = BpfObject.open(FIXTURE);
      try {
        const err = catchErr(() => obj.setRodata({ no_such_var: 1 }));
        expect(err).toBeInstanceOf(RuntimeError);
        expect(err.message).toMatch(/no rodata variable 'no_such_var' \(it has: .*target_tgid/);
        expect(() => obj.setRodata({ flag_byte: 256 })).toThrow(/cannot hold 256/);
      } finally {
        obj.close();
      }
    });

    it('configure after load: setMapMaxEntries, setRodata and setAutoload are refused', () => {
      const obj = openFixture();
      try {
        obj.load();
        const err = catchErr(() => obj.setMapMaxEntries('exec_counts', 10));
        expect(err).toBeInstanceOf(RuntimeError);
        expect(err.message).toMatch(/setMapMaxEntries\(\) called after load/);
        expect(() => obj.setRodata({ magic: 1 })).toThrow(/after load/);
        expect(() => obj.setAutoload('fixture_exec', false)).toThrow(/after load/);
        expect(() => obj.load()).toThrow(/after load/);
      } finally {
        obj.close();
      }
    });

    it('before load: attach and map access are refused', () => {
      const obj = openFixture();
      try {
        expect(() => obj.attach('fixture_exec')).toThrow(/attach\(\) called before load/);
        expect(() => obj.map('events')).toThrow(/before load/);
      } finally {
        obj.close();
      }
    });

    it('load: a program on a BTF tracepoint this kernel lacks is NotSupportedError naming it, and closes the object', () => {
      const obj = BpfObject.open(FIXTURE);
      const err = catchErr(() => obj.load());
      expect(err).toBeInstanceOf(NotSupportedError);
      expect(err.message).toMatch(/sockscope_no_such_tracepoint/);
      expect(err.message.split('\n')).toHaveLength(1);
      expect(obj.isClosed).toBe(true);
    });

    it('attach: a classic tracepoint this kernel lacks is NotSupportedError naming it', () => {
      const obj = openFixture();
      try {
        obj.load();
        const err = catchErr(() => obj.attach('fixture_missing_tp'));
        expect(err).toBeInstanceOf(NotSupportedError);
        expect(err.message).toMatch(/this kernel has no tracepoint sockscope_none:no_such_event/);
        expect(obj.attachments()).toEqual([]);
      } finally {
        obj.close();
      }
    });

    it('attach: an unknown program, an unknown map, a map that is not a ring, a missing cgroup', () => {
      const obj = openFixture();
      try {
        obj.load();
        expect(() => obj.attach('nope')).toThrow(/has no program 'nope' \(it has: .*fixture_exec/);
        expect(() => obj.map('nope')).toThrow(/has no map 'nope'/);
        expect(() => obj.ringBuffer('exec_counts', () => {})).toThrow(/not a ring buffer/);
        const err = catchErr(() => obj.attachCgroup('fixture_egress', join(dir, 'no-cgroup')));
        expect(err).toBeInstanceOf(NotSupportedError);
        expect(err.message).toMatch(/ENOENT/);
        expect(() => obj.runProgram('fixture_missing_tp_btf')).toThrow(/not loaded/);
      } finally {
        obj.close();
      }
    });

    it('a record handler that throws stops the drain and the error reaches the caller', () => {
      const obj = openFixture();
      try {
        obj.load();
        obj.attach('fixture_exec');
        const seen: number[] = [];
        const ring = obj.ringBuffer('events', (d) => {
          seen.push(d.readUInt32LE(0));
          if (seen.length === 2) throw new Error('handler bug');
        });
        for (let i = 0; i < 4; i++) spawnSync('/bin/true');
        expect(() => ring.drain()).toThrow('handler bug');
        expect(seen).toHaveLength(2);
        ring.drain(); // the rest is still there, and the reader still works
        expect(seen.length).toBeGreaterThanOrEqual(4);
      } finally {
        obj.close();
      }
    });
  });
});

function catchErr(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a throw');
}

describe.skipIf(!canRunBpf.ok)('SOCKSCOPE_BTF: CO-RE against another BTF file', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sockscope-btf-'));
  });
  afterAll(() => {
    delete process.env.SOCKSCOPE_BTF;
    rmSync(dir, { recursive: true, force: true });
  });

  it('a copy of the kernel BTF works like the original', () => {
    process.env.SOCKSCOPE_BTF = join(dir, 'vmlinux.btf');
    copyFileSync('/sys/kernel/btf/vmlinux', process.env.SOCKSCOPE_BTF);
    const obj = openFixture();
    try {
      obj.load();
      obj.attach('fixture_exec');
      expect(obj.attachments()).toHaveLength(1);
    } finally {
      obj.close();
    }
  });

  it('a file that is not BTF fails the load with a typed error naming it', () => {
    process.env.SOCKSCOPE_BTF = join(dir, 'garbage.btf');
    writeFileSync(process.env.SOCKSCOPE_BTF, Buffer.alloc(4096, 0xab));
    const obj = openFixture();
    const err = catchErr(() => obj.load());
    expect(err).toBeInstanceOf(NotSupportedError);
    expect(err.message).toMatch(/garbage\.btf/);
    expect(obj.isClosed).toBe(true);
  });

  it('a missing file is NotSupportedError before anything reaches the kernel', () => {
    process.env.SOCKSCOPE_BTF = join(dir, 'absent.btf');
    const obj = openFixture();
    const err = catchErr(() => obj.load());
    expect(err).toBeInstanceOf(NotSupportedError);
    expect(err.message).toMatch(/absent\.btf \(from SOCKSCOPE_BTF\) does not exist/);
  });
});
