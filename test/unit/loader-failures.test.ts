// From a libbpf failure (errno + its log + our privileges) to the typed error and its one
// line: pure functions, so every branch is checked here without a kernel.
import { describe, expect, it } from 'vitest';
import { constants } from 'node:os';
import { attachFailure, errnoName, loadFailure, openFailure, runtimeFailure } from '../../src/loader/failures';
import { bpfPrivileges, CAPS } from '../../src/loader/caps';
import { appendLog, clearLog, explainingLine, logMark, logSince, type LogLine } from '../../src/loader/libbpf-log';
import { NotSupportedError, PermissionError, RuntimeError } from '../../src/errors';

const E = constants.errno;
const root = bpfPrivileges((1n << BigInt(CAPS.CAP_SYS_ADMIN)) | (1n << BigInt(CAPS.CAP_BPF)) | (1n << BigInt(CAPS.CAP_PERFMON)));
const nobody = bpfPrivileges(0n);
const warn = (text: string): LogLine => ({ level: 0, text });

describe('errnoName', () => {
  it('names errno values either sign, libbpf codes, and unknown numbers', () => {
    expect(errnoName(-E.ENOENT)).toBe('ENOENT');
    expect(errnoName(E.EPERM)).toBe('EPERM');
    expect(errnoName(-4001)).toBe('LIBBPF_ERRNO__FORMAT');
    expect(errnoName(-9999)).toBe('errno 9999');
  });
});

describe('openFailure', () => {
  it('ENOENT is a missing object file', () => {
    const e = openFailure({ what: 'opening x.o', err: -E.ENOENT, privileges: root, log: [] });
    expect(e).toBeInstanceOf(RuntimeError);
    expect(e.message).toMatch(/does not exist/);
  });
  it('a parse error quotes libbpf', () => {
    const e = openFailure({ what: 'opening x.o', err: -4001, privileges: root, log: [warn("libbpf: elf: 'x.o' is not a proper ELF object")] });
    expect(e).toBeInstanceOf(RuntimeError);
    expect(e.message).toBe("opening x.o failed (LIBBPF_ERRNO__FORMAT: elf: 'x.o' is not a proper ELF object): the BPF object is damaged or was built for another libbpf");
  });
  it('EACCES is a permission error', () => {
    expect(openFailure({ what: 'o', err: -E.EACCES, privileges: nobody, log: [] })).toBeInstanceOf(PermissionError);
  });
});

describe('loadFailure', () => {
  it('EPERM without privileges: PermissionError naming the capabilities', () => {
    const e = loadFailure({ what: 'loading', err: -E.EPERM, privileges: nobody, log: [] });
    expect(e).toBeInstanceOf(PermissionError);
    expect(e.exitCode).toBe(3);
    expect(e.message).toMatch(/CAP_BPF \+ CAP_PERFMON/);
  });
  it('EPERM with privileges: a lockdown, not a permission problem the user can fix with sudo', () => {
    const e = loadFailure({ what: 'loading', err: -E.EPERM, privileges: root, log: [] });
    expect(e).toBeInstanceOf(NotSupportedError);
    expect(e.message).toMatch(/lockdown or security module/);
  });
  it('missing kernel BTF in the log', () => {
    const e = loadFailure({ what: 'loading', err: -E.ESRCH, privileges: root, log: [warn('libbpf: failed to find valid kernel BTF')] });
    expect(e).toBeInstanceOf(NotSupportedError);
    expect(e.message).toMatch(/no BTF .*CONFIG_DEBUG_INFO_BTF=y/);
  });
  it('a missing hook is named without the btf_trace_ prefix', () => {
    const log = [warn("libbpf: prog 'p': failed to find kernel BTF type ID of 'btf_trace_sock_send_length': -3"), warn('libbpf: failed to load object')];
    const e = loadFailure({ what: 'loading', err: -E.ESRCH, privileges: root, log });
    expect(e).toBeInstanceOf(NotSupportedError);
    expect(e.message).toMatch(/no hook 'sock_send_length'/);
  });
  it('a verifier rejection quotes the verifier line', () => {
    const log = [
      warn('libbpf: prog \'p\': BPF program load failed: Permission denied'),
      warn('libbpf: prog \'p\': -- BEGIN PROG LOAD LOG --'),
      warn('0: R1=ctx() R10=fp0'),
      warn('R1 invalid mem access \'scalar\''),
      warn('processed 5 insns (limit 1000000) max_states_per_insn 0'),
      warn('-- END PROG LOAD LOG --'),
    ];
    const e = loadFailure({ what: 'loading', err: -E.EINVAL, privileges: root, log });
    expect(e).toBeInstanceOf(NotSupportedError);
    expect(e.message).toMatch(/verifier: R1 invalid mem access 'scalar'/);
    expect(e.message).not.toMatch(/\n/);
  });
});

describe('attachFailure and runtimeFailure', () => {
  it('ENOENT names the hook the kernel lacks', () => {
    const e = attachFailure({ what: 'attaching p', err: -E.ENOENT, privileges: root, log: [], hook: 'tracepoint a:b' });
    expect(e).toBeInstanceOf(NotSupportedError);
    expect(e.message).toMatch(/this kernel has no tracepoint a:b \(ENOENT\)/);
  });
  it('EPERM without privileges is the privilege hint, with privileges a container hint', () => {
    expect(attachFailure({ what: 'a', err: -E.EPERM, privileges: nobody, log: [], hook: 'h' })).toBeInstanceOf(PermissionError);
    expect(attachFailure({ what: 'a', err: -E.EPERM, privileges: root, log: [], hook: 'h' }).message).toMatch(/CAP_NET_ADMIN/);
  });
  it('runtime failures by errno', () => {
    expect(runtimeFailure('reading map m', -E.EPERM)).toBeInstanceOf(PermissionError);
    expect(runtimeFailure('test run', -524)).toBeInstanceOf(NotSupportedError);
    const e = runtimeFailure('reading map m', -E.EBADF);
    expect(e).toBeInstanceOf(RuntimeError);
    expect(e.message).toBe('reading map m failed: EBADF');
  });
});

describe('libbpf log capture', () => {
  it('joins chunks into lines and marks let a phase see only its own', () => {
    clearLog();
    appendLog(0, 'libbpf: first ');
    appendLog(0, 'line\nsecond');
    const mark = logMark(); // flushes "second"
    appendLog(0, 'libbpf: failed to do a thing\n');
    expect(logSince(0).map((l) => l.text)).toEqual(['libbpf: first line', 'second', 'libbpf: failed to do a thing']);
    expect(logSince(mark).map((l) => l.text)).toEqual(['libbpf: failed to do a thing']);
    expect(explainingLine(logSince(mark))).toBe('failed to do a thing');
    expect(explainingLine([])).toBeNull();
    clearLog();
  });

  it('a verifier log longer than the lines kept is still explained by its last line', () => {
    clearLog();
    appendLog(0, "libbpf: prog 'p': -- BEGIN PROG LOAD LOG --\n");
    for (let i = 0; i < 1000; i++) appendLog(0, `${i}: (b7) r${i % 10} = 0\n`);
    appendLog(0, '1000: <invalid CO-RE relocation>\nfailed to resolve CO-RE relocation <byte_off> [9] struct tcp_sock.srtt_us (0:73 @ offset 1680)\nprocessed 1001 insns\n');
    appendLog(0, "libbpf: prog 'p': -- END PROG LOAD LOG --\nlibbpf: failed to load object 'x.bpf.o'\n");
    const kept = logSince(0);
    expect(kept.some((l) => l.text.includes('BEGIN PROG LOAD LOG'))).toBe(false);
    expect(explainingLine(kept)).toBe('verifier: failed to resolve CO-RE relocation <byte_off> [9] struct tcp_sock.srtt_us (0:73 @ offset 1680)');
    clearLog();
  });
});
