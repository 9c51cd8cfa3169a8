// The loader's pure helpers: section names, capabilities, mountinfo, kernel releases and
// rodata encoding.
import { describe, expect, it } from 'vitest';
import { describeHook } from '../../src/loader/sections';
import { bpfPrivileges, CAPS, hasCap, parseCapEff, privilegeHint } from '../../src/loader/caps';
import { cgroup2MountPoint, parseMountinfo, tracefsMountPoints } from '../../src/loader/mountinfo';
import { kernelTooOld, parseKernelRelease } from '../../src/loader/probe';
import { writeScalar } from '../../src/loader/bpf-object';
import { HOOKS, TRACEPOINTS } from '../../src/loader/hooks';

describe('describeHook', () => {
  it.each([
    ['tp/sched/sched_process_fork', { kind: 'tp', category: 'sched', event: 'sched_process_fork', label: 'tracepoint sched:sched_process_fork' }],
    ['tracepoint/syscalls/sys_exit_accept4', { kind: 'tp', category: 'syscalls', event: 'sys_exit_accept4', label: 'tracepoint syscalls:sys_exit_accept4' }],
    ['tp_btf/inet_sock_set_state', { kind: 'tp_btf', event: 'inet_sock_set_state', label: 'BTF tracepoint inet_sock_set_state' }],
    ['raw_tp/foo', { kind: 'raw_tp', event: 'foo', label: 'raw tracepoint foo' }],
    ['cgroup/sendmsg4', { kind: 'cgroup', label: 'cgroup hook cgroup/sendmsg4' }],
    ['raw_tp', { kind: 'other', label: 'section raw_tp' }],
  ])('%s', (section, want) => expect(describeHook(section)).toEqual(want));
});

describe('capabilities', () => {
  const bit = (c: keyof typeof CAPS) => 1n << BigInt(CAPS[c]);
  it('parses CapEff from /proc/<pid>/status text', () => {
    expect(parseCapEff('Name:\tx\nCapEff:\t000001ffffffffff\nCapBnd:\t0\n')).toBe(0x1ffffffffffn);
    expect(parseCapEff('Name:\tx\n')).toBeNull();
    expect(hasCap(0x1ffffffffffn, CAPS.CAP_BPF)).toBe(true);
  });
  it('CAP_SYS_ADMIN alone, or CAP_BPF + CAP_PERFMON, can trace; cgroups also want CAP_NET_ADMIN', () => {
    expect(bpfPrivileges(bit('CAP_SYS_ADMIN'))).toMatchObject({ canTrace: true, canAttachCgroup: true, missing: [] });
    expect(bpfPrivileges(bit('CAP_BPF') | bit('CAP_PERFMON'))).toMatchObject({ canTrace: true, canAttachCgroup: false });
    expect(bpfPrivileges(bit('CAP_BPF') | bit('CAP_PERFMON') | bit('CAP_NET_ADMIN')).canAttachCgroup).toBe(true);
    expect(bpfPrivileges(bit('CAP_BPF'))).toMatchObject({ canTrace: false, missing: ['CAP_PERFMON'] });
    const none = bpfPrivileges(0n);
    expect(none.missing).toEqual(['CAP_BPF', 'CAP_PERFMON']);
    expect(privilegeHint(none)).toMatch(/^live capture needs root or the capabilities CAP_BPF \+ CAP_PERFMON: .*setcap/);
  });
});

describe('mountinfo', () => {
  const text = [
    '25 30 0:22 / /sys rw,nosuid shared:7 - sysfs sysfs rw',
    '31 25 0:26 / /sys/fs/cgroup ro shared:9 - tmpfs tmpfs ro,mode=755',
    '32 31 0:27 / /sys/fs/cgroup/unified rw shared:10 - cgroup2 cgroup2 rw,nsdelegate',
    '33 31 0:28 / /sys/fs/cgroup/systemd rw shared:11 - cgroup cgroup rw,name=systemd',
    '40 25 0:12 / /sys/kernel/tracing rw shared:20 - tracefs tracefs rw',
    '41 30 0:40 / /mnt/second\\040cgroup\\040v2\\040mount rw - cgroup2 cgroup2 rw',
    'garbage line',
  ].join('\n');
  it('finds the cgroup v2 mount (shortest path), tracefs, and unescapes paths', () => {
    const entries = parseMountinfo(text);
    expect(entries).toHaveLength(6);
    expect(cgroup2MountPoint(entries)).toBe('/sys/fs/cgroup/unified');
    expect(tracefsMountPoints(entries)).toEqual(['/sys/kernel/tracing']);
    expect(entries.at(-1)!.mountPoint).toBe('/mnt/second cgroup v2 mount');
    expect(cgroup2MountPoint(parseMountinfo(''))).toBeNull();
  });
});

describe('kernel release', () => {
  it('parses and compares with the 5.8 minimum', () => {
    expect(parseKernelRelease('6.18.0-1-amd64')).toEqual([6, 18]);
    expect(parseKernelRelease('weird')).toBeNull();
    expect(kernelTooOld('5.4.0-150-generic')).toBe(true);
    expect(kernelTooOld('5.8.0')).toBe(false);
    expect(kernelTooOld('4.19.0')).toBe(true);
    expect(kernelTooOld('6.1.0-cloud')).toBe(false);
    expect(kernelTooOld('weird')).toBe(false);
  });
});

describe('writeScalar (rodata encoding)', () => {
  it('writes little-endian values of the variable size and refuses what does not fit', () => {
    const d = Buffer.alloc(16);
    writeScalar(d, 0, 4, 0x01020304, 'a');
    writeScalar(d, 4, 1, true, 'b');
    writeScalar(d, 8, 8, -2n, 'c');
    expect([...d.subarray(0, 5)]).toEqual([4, 3, 2, 1, 1]);
    expect(d.readBigInt64LE(8)).toBe(-2n);
    expect(() => writeScalar(d, 0, 1, 256, 'x')).toThrow(/cannot hold 256/);
    expect(() => writeScalar(d, 12, 8, 1, 'x')).toThrow(/outside .rodata/);
    expect(() => writeScalar(d, 0, 3, 1, 'x')).toThrow(/pass a Buffer/);
    writeScalar(d, 0, 3, Buffer.from([9, 9, 9]), 'x');
    expect([...d.subarray(0, 3)]).toEqual([9, 9, 9]);
    expect(() => writeScalar(d, 0, 3, Buffer.from([1]), 'x')).toThrow(RangeError);
  });
});

describe('hooks table', () => {
  it('every tracepoint doctor checks comes from a hook, named category:event', () => {
    expect(TRACEPOINTS.length).toBe(new Set(HOOKS.filter((h) => h.kind === 'tp' || h.kind === 'tp_btf').map((h) => h.target)).size);
    for (const t of TRACEPOINTS) expect(t.name).toMatch(/^\w+:\w+$/);
    expect(TRACEPOINTS.find((t) => t.name === 'sock:inet_sock_set_state')?.optional).toBeUndefined();
  });
});
