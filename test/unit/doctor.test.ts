// doctor's verdict and its exit code from a probe report (pure), its text format, and a
// real probe of this machine (reads files and BTF; the ring buffer check needs root).
import { describe, expect, it } from 'vitest';
import { doctorExitCode, liveCaptureBlocker } from '../../src/loader/readiness';
import { probe, type ProbeReport } from '../../src/loader/probe';
import { formatReport } from '../../src/commands/doctor';
import { LibraryMissingError, NotSupportedError, PermissionError } from '../../src/errors';

function ready(): ProbeReport {
  const caps = { CAP_NET_ADMIN: true, CAP_SYS_ADMIN: true, CAP_SYS_RESOURCE: true, CAP_PERFMON: true, CAP_BPF: true };
  return {
    kernel: { ok: true, release: '6.18.0', tooOld: false, detail: '6.18.0 (x86_64)' },
    btf: { ok: true, detail: '/sys/kernel/btf/vmlinux' },
    ringBuffer: { ok: true, detail: 'BPF_MAP_TYPE_RINGBUF (probed)' },
    tracepoints: [
      { name: 'sock:inet_sock_set_state', via: 'tp_btf', optional: false, why: 'TCP lifecycle', ok: true, detail: 'tp_btf, TCP lifecycle' },
      { name: 'sock:sock_send_length', via: 'tp_btf', optional: true, why: 'UDP bytes', ok: true, detail: 'tp_btf, UDP bytes' },
      { name: 'syscalls:sys_exit_accept4', via: 'tp', optional: false, why: 'inbound owner', ok: true, detail: 'tp, inbound owner' },
    ],
    privileges: { ok: true, euid: 0, capEff: '000001ffffffffff', caps, canTrace: true, canAttachCgroup: true, missing: [], detail: 'root; all' },
    libbpf: { ok: true, version: '1.1', detail: '1.1 (libbpf.so.1)' },
    cgroup2: { ok: true, mountPoint: '/sys/fs/cgroup/unified', detail: '/sys/fs/cgroup/unified' },
    tracefs: { ok: true, mountPoint: '/sys/kernel/tracing', mountable: false, detail: '/sys/kernel/tracing' },
  };
}

function nobody(r: ProbeReport): ProbeReport {
  const caps = { CAP_NET_ADMIN: false, CAP_SYS_ADMIN: false, CAP_SYS_RESOURCE: false, CAP_PERFMON: false, CAP_BPF: false };
  r.privileges = { ...r.privileges, ok: false, euid: 65534, caps, canTrace: false, canAttachCgroup: false, missing: ['CAP_BPF', 'CAP_PERFMON'] };
  return r;
}

describe('liveCaptureBlocker / doctorExitCode', () => {
  it('ready: no blocker, exit 0', () => {
    expect(liveCaptureBlocker(ready())).toBeNull();
    expect(doctorExitCode(ready())).toBe(0);
  });

  it('only privileges missing: PermissionError naming the capabilities and the uid, exit 3', () => {
    const b = liveCaptureBlocker(nobody(ready()))!;
    expect(b).toBeInstanceOf(PermissionError);
    expect(b.message).toMatch(/root or CAP_BPF \+ CAP_PERFMON, which uid 65534 lacks/);
    expect(doctorExitCode(nobody(ready()))).toBe(3);
  });

  it('libbpf missing outranks privileges: LibraryMissingError, exit 4', () => {
    const r = nobody(ready());
    r.libbpf = { ok: false, version: null, detail: 'cannot load libbpf.so.1: ...; install the Debian/Ubuntu package libbpf1' };
    expect(liveCaptureBlocker(r)).toBeInstanceOf(LibraryMissingError);
    expect(doctorExitCode(r)).toBe(4);
  });

  it('libbpf too old: NotSupportedError asking for 1.1', () => {
    const r = ready();
    r.libbpf = { ok: false, version: '0.8', detail: '0.8 is older than 1.1' };
    expect(liveCaptureBlocker(r)?.message).toMatch(/install libbpf 1.1 or newer/);
  });

  it.each([
    ['kernel too old', (r: ProbeReport) => { r.kernel = { ...r.kernel, ok: false, tooOld: true, detail: '5.4 is older than 5.8' }; }, /Linux 5.8 or newer/],
    ['no BTF', (r: ProbeReport) => { r.btf = { ok: false, detail: '/sys/kernel/btf/vmlinux is missing' }; }, /no kernel BTF/],
    ['no ring buffer', (r: ProbeReport) => { r.ringBuffer = { ok: false, detail: 'no' }; }, /ring buffer/],
    ['a required tracepoint', (r: ProbeReport) => { r.tracepoints[0] = { ...r.tracepoints[0], ok: false }; }, /lacks the tracepoint sock:inet_sock_set_state/],
  ])('%s: NotSupportedError, exit 4, even without privileges', (_, spoil, message) => {
    const r = nobody(ready());
    spoil(r);
    const b = liveCaptureBlocker(r)!;
    expect(b).toBeInstanceOf(NotSupportedError);
    expect(b.message).toMatch(message);
    expect(doctorExitCode(r)).toBe(4);
  });

  it('an optional tracepoint missing does not block', () => {
    const r = ready();
    r.tracepoints[1] = { ...r.tracepoints[1], ok: false };
    expect(liveCaptureBlocker(r)).toBeNull();
  });

  it('tracefs unavailable: root gets NotSupported, others a permission error', () => {
    const r = ready();
    r.tracefs = { ok: false, mountPoint: null, mountable: false, detail: 'not mounted and this kernel has no tracefs' };
    expect(liveCaptureBlocker(r)).toBeInstanceOf(NotSupportedError);
    const n = nobody(ready());
    n.tracefs = { ...r.tracefs };
    expect(liveCaptureBlocker(n)).toBeInstanceOf(PermissionError);
  });
});

describe('formatReport', () => {
  it('one aligned line per check, optional misses marked', () => {
    const r = ready();
    r.tracepoints[1] = { ...r.tracepoints[1], ok: false, detail: 'no btf_trace_sock_send_length' };
    r.cgroup2 = { ok: false, mountPoint: null, detail: 'no cgroup2 mount' };
    const lines = formatReport(r).trimEnd().split('\n');
    expect(lines).toHaveLength(3 + 3 + 3 + 1); // kernel, BTF, ring; 3 tracepoints; privileges, libbpf, cgroup; tracefs
    expect(lines[0]).toMatch(/^ok {7}kernel {2,}6\.18\.0 \(x86_64\)$/);
    expect(lines).toContain(lines.find((l) => l.startsWith('missing  tracepoint sock:sock_send_length') && l.endsWith('no btf_trace_sock_send_length [optional]')));
    expect(lines.find((l) => l.includes('cgroup v2'))).toMatch(/^missing .*no cgroup2 mount \[optional\]$/);
    // Status in 8 columns, labels padded to the longest, then the detail: columns line up.
    const width = 'tracepoint syscalls:sys_exit_accept4'.length;
    for (const l of lines) expect(l).toMatch(new RegExp(`^(ok {7}|missing  ).{${width}}  \\S`));
  });
});

describe('probe() on this machine', () => {
  it('finds this kernel, its BTF, libbpf 1.x and the cgroup v2 mount', () => {
    const r = probe(true);
    expect(r.kernel.ok).toBe(true);
    expect(r.btf).toMatchObject({ ok: true, detail: '/sys/kernel/btf/vmlinux' });
    expect(r.libbpf.version).toMatch(/^1\.\d+$/);
    expect(r.cgroup2.mountPoint).toMatch(/^\/sys\/fs\/cgroup/);
    expect(r.tracepoints.find((t) => t.name === 'sock:inet_sock_set_state')).toMatchObject({ ok: true, via: 'tp_btf' });
    expect(r.privileges.euid).toBe(process.geteuid!());
    expect(doctorExitCode(r)).toBe(process.geteuid!() === 0 ? 0 : 3);
  });
});
