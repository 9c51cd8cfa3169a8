// From a probe report to a verdict: can live capture run, and if not, the typed error that
// says why in one line. Pure (the report is the input), so doctor's exit codes are tested
// without root.
import { LibraryMissingError, NotSupportedError, PermissionError, type SockscopeError } from '../errors';
import type { ProbeReport } from './probe';

/**
 * Null when live capture can run; otherwise the first blocker, kernel/library problems
 * before privileges (more privileges would not help with those).
 */
export function liveCaptureBlocker(r: ProbeReport): SockscopeError | null {
  if (!r.libbpf.ok) {
    return r.libbpf.version === null ? new LibraryMissingError(r.libbpf.detail) : new NotSupportedError(`libbpf ${r.libbpf.detail}: install libbpf 1.1 or newer`);
  }
  if (r.kernel.tooOld) return new NotSupportedError(`kernel ${r.kernel.detail}: sockscope needs Linux 5.8 or newer`);
  if (!r.btf.ok) return new NotSupportedError(`no kernel BTF: ${r.btf.detail}; sockscope needs a kernel built with CONFIG_DEBUG_INFO_BTF=y (5.8 or newer)`);
  if (!r.ringBuffer.ok) return new NotSupportedError(`BPF ring buffer: ${r.ringBuffer.detail}`);
  const missing = r.tracepoints.filter((t) => !t.ok && !t.optional);
  if (missing.length > 0) {
    return new NotSupportedError(`this kernel lacks the tracepoint${missing.length > 1 ? 's' : ''} ${missing.map((t) => t.name).join(', ')} that sockscope needs`);
  }
  if (!r.tracefs.ok && r.tracepoints.some((t) => t.via === 'tp')) {
    return r.privileges.euid === 0
      ? new NotSupportedError(`tracefs: ${r.tracefs.detail}`)
      : new PermissionError(`tracefs is not mounted and only root can mount it: run sockscope with sudo`);
  }
  if (!r.privileges.canTrace) {
    const who = r.privileges.euid === null ? 'this user' : `uid ${r.privileges.euid}`;
    return new PermissionError(
      `live capture needs root or ${r.privileges.missing.join(' + ') || 'CAP_BPF + CAP_PERFMON'}, which ${who} lacks: run it with sudo, or replay a recording`,
    );
  }
  return null;
}

/** doctor's exit code: 0 ready, 4 kernel or library lacks something, 3 only privileges. */
export function doctorExitCode(r: ProbeReport): number {
  const blocker = liveCaptureBlocker(r);
  return blocker === null ? 0 : blocker.exitCode;
}
