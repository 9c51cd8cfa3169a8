import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { CLI, ROOT, ensureBuilt, runCli } from '../helpers/cli';

beforeAll(() => ensureBuilt());

describe('CLI surface (CONTRACT.md)', () => {
  it('--version prints the package version', async () => {
    const { version } = (await import('../../package.json', { with: { type: 'json' } })).default;
    const r = runCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });

  it('--help lists every command', () => {
    const r = runCli(['--help']);
    expect(r.code).toBe(0);
    for (const cmd of ['live', 'record', 'replay', 'info', 'doctor']) expect(r.stdout).toContain(`sockscope ${cmd}`);
  });

  it('a reader that goes away (| head) ends the output quietly: exit 0, nothing on stderr', () => {
    // churn.ssrec gives ~16,000 lines: far more than the pipe holds once head has exited.
    const script = `"$0" "$1" replay recordings/churn.ssrec --format jsonl 2>"$2" | head -c 100 >/dev/null; echo "\${PIPESTATUS[0]}"`;
    const errFile = `/tmp/sockscope-epipe-${process.pid}.err`;
    const r = spawnSync('bash', ['-c', script, process.execPath, CLI, errFile], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(r.stdout.trim()).toBe('0');
    expect(readFileSync(errFile, 'utf8')).toBe('');
    rmSync(errFile);
  });

  it('an unknown command is bad usage: exit 2, one line, no stack trace', () => {
    const r = runCli(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/unknown command 'frobnicate'/);
  });

  it('a malformed duration is bad usage: exit 2', () => {
    const r = runCli(['live', '--format', 'jsonl', '--duration', '10 parsecs']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--duration takes a duration like/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('--max-flows takes a whole number of at least 1 (live and replay): else exit 2', () => {
    for (const args of [['live', '--format', 'jsonl', '--max-flows', '0'], ['replay', 'x.ssrec', '--max-flows', '1e5']]) {
      const r = runCli(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--max-flows takes a whole number of flows of at least 1/);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(runCli(['--help']).stdout).toContain('--max-flows N');
  });

  it('plain sockscope without a terminal points to --format jsonl', () => {
    const r = runCli([], { stdio: ['ignore', 'pipe', 'pipe'] });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--format jsonl/);
  });
});
