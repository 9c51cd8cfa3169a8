// `sockscope doctor`: what this kernel, libbpf and user can do for live capture, one line
// per fact, and what is missing. Exit 0 ready, 4 kernel/library lacks something, 3 only
// privileges are missing (CONTRACT.md exit codes).
import { UsageError } from '../errors';
import { probe, type Check, type ProbeReport } from '../loader/probe';
import { doctorExitCode, liveCaptureBlocker } from '../loader/readiness';

const HELP = `usage: sockscope doctor [--json]

Checks the kernel (release, BTF, BPF ring buffer, every tracepoint sockscope uses),
libbpf, your privileges, the cgroup v2 mount and tracefs, and says what is missing.
Exit 0 when live capture can run, 4 when the kernel or libbpf lacks something,
3 when only privileges are missing.`;

export async function run(argv: string[]): Promise<number> {
  let json = false;
  for (const arg of argv) {
    if (arg === '--json') json = true;
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${HELP}\n`);
      return 0;
    } else throw new UsageError(`doctor: unknown argument '${arg}'; try 'sockscope doctor --help'`);
  }
  const report = probe();
  const code = doctorExitCode(report);
  const blocker = liveCaptureBlocker(report);
  if (json) {
    process.stdout.write(`${JSON.stringify({ ...report, ready: blocker === null, problem: blocker?.message ?? null, exitCode: code }, null, 2)}\n`);
  } else {
    process.stdout.write(formatReport(report));
    process.stdout.write(blocker === null ? 'live capture: ready\n' : `live capture: not possible: ${blocker.message}\n`);
  }
  return code;
}

/** One line per fact: status column, what, detail. */
export function formatReport(r: ProbeReport): string {
  const rows: Array<[string, string, string]> = [];
  const add = (label: string, c: Check, optional = false) =>
    rows.push([c.ok ? 'ok' : 'missing', label, c.ok || !optional ? c.detail : `${c.detail} [optional]`]);
  add('kernel', r.kernel);
  add('BTF', r.btf);
  add('ring buffer', r.ringBuffer);
  for (const t of r.tracepoints) add(`tracepoint ${t.name}`, t, t.optional);
  add('privileges', r.privileges);
  add('libbpf', r.libbpf);
  add('cgroup v2', r.cgroup2, true);
  add('tracefs', r.tracefs);
  const width = Math.max(...rows.map((row) => row[1].length));
  return rows.map(([status, label, detail]) => `${status.padEnd(8)} ${label.padEnd(width)}  ${detail}\n`).join('');
}
