// Typed errors end to end: the built CLI (dist/sockscope.mjs) run the way users run it,
// without privileges, without libbpf, without kernel BTF. Each failure is one line on
// stderr with the exit code of CONTRACT.md, and never a stack trace.
import { spawnSync } from 'node:child_process';
import { chmodSync, statSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, ensureBuilt, runCli } from '../helpers/cli';

const isRoot = process.getuid?.() === 0;
const NOBODY = ['--reuid', '65534', '--regid', '65534', '--clear-groups', '--inh-caps=-all'];

/** The CLI as uid 65534 (nobody) with no capabilities at all. */
function runAsNobody(args: string[]) {
  const r = spawnSync('setpriv', [...NOBODY, process.execPath, CLI, ...args], {
    encoding: 'utf8', timeout: 60_000, cwd: '/', stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** One line on stderr, starting "sockscope: ", no stack frames. */
function expectOneLine(stderr: string): string {
  expect(stderr).not.toMatch(/^\s+at /m);
  const lines = stderr.split('\n').filter(Boolean);
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^sockscope: /);
  return lines[0];
}

beforeAll(() => {
  ensureBuilt();
  // uid 65534 must be able to read the bundle (a umask of 077 would hide it).
  if ((statSync(CLI).mode & 0o004) === 0) chmodSync(CLI, 0o755);
});

describe.runIf(isRoot)('without privileges (uid 65534, no capabilities)', () => {
  it('live --format jsonl exits 3 with one line naming the missing capabilities', () => {
    const r = runAsNobody(['live', '--format', 'jsonl', '--duration', '1s']);
    const line = expectOneLine(r.stderr);
    expect(r.code).toBe(3);
    expect(line).toMatch(/CAP_BPF/);
    expect(line).toMatch(/CAP_PERFMON/);
    expect(line).toMatch(/uid 65534/);
    expect(r.stdout).toBe('');
  });

  it('doctor exits 3 (only privileges missing) and says so', () => {
    const r = runAsNobody(['doctor']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^missing\s+privileges\s+uid 65534; no BPF capabilities/m);
    expect(r.stdout).toMatch(/live capture: not possible: .*CAP_BPF/);
  });

  it('plain sockscope without a terminal is the usage one-liner (exit 2)', () => {
    const r = runAsNobody([]);
    const line = expectOneLine(r.stderr);
    expect(r.code).toBe(2);
    expect(line).toMatch(/not a terminal: use `sockscope live --format jsonl`/);
  });
});

describe('libbpf missing (SOCKSCOPE_LIBBPF=/nonexistent/libbpf.so.1)', () => {
  const env = { ...process.env, SOCKSCOPE_LIBBPF: '/nonexistent/libbpf.so.1' };

  it('live --format jsonl exits 4 naming the Debian package libbpf1', () => {
    const r = runCli(['live', '--format', 'jsonl', '--duration', '1s'], { env });
    const line = expectOneLine(r.stderr);
    expect(r.code).toBe(4);
    expect(line).toMatch(/\/nonexistent\/libbpf\.so\.1/);
    expect(line).toMatch(/package libbpf1\b/);
  });

  it('doctor exits 4 and still reports the other checks', () => {
    const r = runCli(['doctor', '--json'], { env });
    expect(r.code).toBe(4);
    const report = JSON.parse(r.stdout);
    expect(report.libbpf).toMatchObject({ ok: false, version: null });
    expect(report.problem).toMatch(/libbpf1/);
    expect(report.kernel.ok).toBe(true);
  });
});

describe('no kernel BTF (SOCKSCOPE_BTF=/nonexistent)', () => {
  const env = { ...process.env, SOCKSCOPE_BTF: '/nonexistent' };

  it('live --format jsonl exits 4 saying there is no BTF', () => {
    const r = runCli(['live', '--format', 'jsonl', '--duration', '1s'], { env });
    const line = expectOneLine(r.stderr);
    expect(r.code).toBe(4);
    expect(line).toMatch(/no kernel BTF: \/nonexistent \(from SOCKSCOPE_BTF\)/);
  });

  it('doctor exits 4 with the BTF check and the BTF tracepoints missing', () => {
    const r = runCli(['doctor'], { env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(4);
    expect(r.stdout).toMatch(/^missing\s+BTF\s+\/nonexistent/m);
    expect(r.stdout).toMatch(/^missing\s+tracepoint sock:inet_sock_set_state\s+needs kernel BTF/m);
  });
});

describe.runIf(isRoot)('as root on this machine', () => {
  it('doctor exits 0, one line per check, ready', () => {
    const r = runCli(['doctor']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const label of ['kernel', 'BTF', 'ring buffer', 'tracepoint sock:inet_sock_set_state', 'privileges', 'libbpf', 'cgroup v2', 'tracefs']) {
      expect(r.stdout).toMatch(new RegExp(`^ok\\s+${label}\\s`, 'm'));
    }
    expect(r.stdout.trim().split('\n').at(-1)).toBe('live capture: ready');
  });

  it('doctor --json is valid JSON with each check', () => {
    const r = runCli(['doctor', '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    for (const key of ['kernel', 'btf', 'ringBuffer', 'privileges', 'libbpf', 'cgroup2', 'tracefs']) {
      expect(report[key], key).toMatchObject({ ok: true, detail: expect.any(String) });
    }
    expect(report.libbpf.version).toMatch(/^1\.\d+$/);
    expect(report.privileges.canTrace).toBe(true);
    expect(report.tracepoints.length).toBeGreaterThanOrEqual(5);
    for (const t of report.tracepoints) expect(t).toMatchObject({ name: expect.stringMatching(/^\w+:\w+$/), ok: true });
    expect(report).toMatchObject({ ready: true, problem: null, exitCode: 0 });
  });

  it('plain sockscope without a terminal is the usage one-liner (exit 2), root or not', () => {
    const r = runCli([], { stdio: ['ignore', 'pipe', 'pipe'] });
    expectOneLine(r.stderr);
    expect(r.code).toBe(2);
  });
});

describe('bad usage', () => {
  it('an unknown doctor flag is exit 2, one line', () => {
    const r = runCli(['doctor', '--bogus']);
    expect(expectOneLine(r.stderr)).toMatch(/unknown argument '--bogus'/);
    expect(r.code).toBe(2);
  });
});
