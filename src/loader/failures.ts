// Turns a libbpf failure (a negative errno plus the log lines it printed) into one of the
// typed errors of src/errors.ts, with one line that says what is wrong and what to do.
// Pure functions: the privileges and the log are inputs, so this is unit-testable.
import { constants } from 'node:os';
import { NotSupportedError, PermissionError, RuntimeError, SockscopeError } from '../errors';
import { privilegeHint, type BpfPrivileges } from './caps';
import { explainingLine, type LogLine } from './libbpf-log';

const ERRNO_NAMES = new Map<number, string>(
  Object.entries(constants.errno).map(([name, num]) => [num, name]),
);

/** "ENOENT" for 2; libbpf-specific codes (4000+) and unknown numbers as "errno N". */
export function errnoName(err: number): string {
  const e = Math.abs(err);
  return ERRNO_NAMES.get(e) ?? LIBBPF_ERRNO_NAMES.get(e) ?? `errno ${e}`;
}

// libbpf's own error codes (libbpf.h enum libbpf_errno).
const LIBBPF_ERRNO_NAMES = new Map<number, string>([
  [4000, 'LIBBPF_ERRNO__LIBELF'],
  [4001, 'LIBBPF_ERRNO__FORMAT'],
  [4002, 'LIBBPF_ERRNO__KVERSION'],
  [4003, 'LIBBPF_ERRNO__ENDIAN'],
  [4004, 'LIBBPF_ERRNO__INTERNAL'],
  [4005, 'LIBBPF_ERRNO__RELOC'],
  [4006, 'LIBBPF_ERRNO__LOAD'],
  [4007, 'LIBBPF_ERRNO__VERIFY'],
  [4008, 'LIBBPF_ERRNO__PROG2BIG'],
  [4009, 'LIBBPF_ERRNO__KVER'],
  [4010, 'LIBBPF_ERRNO__PROGTYPE'],
  [4011, 'LIBBPF_ERRNO__WRNGPID'],
  [4012, 'LIBBPF_ERRNO__INVSEQ'],
  [4013, 'LIBBPF_ERRNO__NLPARSE'],
]);

const E = constants.errno;

export interface FailureContext {
  /** What was being done, e.g. "loading bpf/dist/sockscope.bpf.o". */
  what: string;
  /** errno as libbpf returned it (negative or positive). */
  err: number;
  privileges: BpfPrivileges;
  log: LogLine[];
}

function because(ctx: FailureContext): string {
  const line = explainingLine(ctx.log);
  return line ? `${errnoName(ctx.err)}: ${line}` : errnoName(ctx.err);
}

/** The object could not be opened (parsed): a bad or foreign file is a runtime failure. */
export function openFailure(ctx: FailureContext): SockscopeError {
  const e = Math.abs(ctx.err);
  if (e === E.ENOENT) return new RuntimeError(`${ctx.what} failed: the BPF object file does not exist (reinstall sockscope)`);
  if (e === E.EACCES || e === E.EPERM) return new PermissionError(`${ctx.what} failed: ${because(ctx)}`);
  return new RuntimeError(`${ctx.what} failed (${because(ctx)}): the BPF object is damaged or was built for another libbpf`);
}

/** bpf_object__load failed: privileges, a kernel without BTF or a hook, or the verifier. */
export function loadFailure(ctx: FailureContext): SockscopeError {
  const e = Math.abs(ctx.err);
  if ((e === E.EPERM || e === E.EACCES) && !ctx.privileges.canTrace) {
    return new PermissionError(privilegeHint(ctx.privileges));
  }
  const text = ctx.log.map((l) => l.text).join('\n');
  if (/vmlinux BTF|kernel BTF is missing|failed to find valid kernel BTF/i.test(text)) {
    return new NotSupportedError(
      `${ctx.what} failed: this kernel has no BTF (/sys/kernel/btf/vmlinux): sockscope needs a kernel built with CONFIG_DEBUG_INFO_BTF=y (5.8 or newer)`,
    );
  }
  const missingHook = /failed to find kernel BTF type ID of '([^']+)'/.exec(text);
  if (missingHook) {
    return new NotSupportedError(
      `${ctx.what} failed: this kernel has no hook '${missingHook[1].replace(/^btf_trace_/, '')}' (${because(ctx)}); try a newer kernel`,
    );
  }
  if (e === E.E2BIG || e === E.EINVAL || e === E.ENOTSUP || e === E.EOPNOTSUPP || e === 524) {
    return new NotSupportedError(`${ctx.what} failed: this kernel does not support what sockscope uses (${because(ctx)})`);
  }
  if (e === E.EPERM) {
    return new NotSupportedError(
      `${ctx.what} failed even with BPF privileges (${because(ctx)}): a lockdown or security module may forbid it`,
    );
  }
  return new NotSupportedError(`${ctx.what} failed (${because(ctx)})`);
}

/** A load that failed while libbpf's log was off (BpfObject.loadOffThread): the error
 * without libbpf's explaining line. Load again with the log on to get that line. */
export class QuietLoadFailure extends SockscopeError {
  readonly exitCode: number;
  constructor(readonly unexplained: SockscopeError) {
    super(unexplained.message);
    this.exitCode = unexplained.exitCode;
  }
}

/** bpf_program__attach* failed. */
export function attachFailure(ctx: FailureContext & { hook: string }): SockscopeError {
  const e = Math.abs(ctx.err);
  if ((e === E.EPERM || e === E.EACCES) && !ctx.privileges.canTrace) {
    return new PermissionError(privilegeHint(ctx.privileges));
  }
  if (e === E.ENOENT || e === E.ESRCH) {
    return new NotSupportedError(`${ctx.what} failed: this kernel has no ${ctx.hook} (${because(ctx)})`);
  }
  if (e === E.EPERM || e === E.EACCES) {
    return new PermissionError(`${ctx.what} failed: ${because(ctx)} (is this a container without CAP_NET_ADMIN / CAP_SYS_ADMIN?)`);
  }
  return new NotSupportedError(`${ctx.what} failed (${because(ctx)})`);
}

/** A generic syscall-level failure (map access, test run) after a successful load. */
export function runtimeFailure(what: string, err: number): SockscopeError {
  const e = Math.abs(err);
  if (e === E.EPERM || e === E.EACCES) return new PermissionError(`${what} failed: ${errnoName(err)}`);
  if (e === E.ENOTSUP || e === E.EOPNOTSUPP || e === 524) return new NotSupportedError(`${what} failed: ${errnoName(err)} (not supported by this kernel)`);
  return new RuntimeError(`${what} failed: ${errnoName(err)}`);
}
