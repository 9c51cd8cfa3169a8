// BPF links are detached and freed when the process ends: on a signal, on an uncaught
// error and on exit. The child (fixtures/loader-child.ts) loads and attaches the fixture,
// reports its link and program ids, and ends the way the test asks; the kernel's view
// afterwards (bpftool) must not have them. A dead process's fds are closed by the kernel
// anyway, so the child also reports, from its own 'exit' listener, that the loader had
// already closed its link fds itself (where the process lives on long enough to see it).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { buildSync } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli';
import { waitGone } from './fixtures/bpf-fds';
import { canRunBpf, FIXTURE } from './fixtures/loader-fixture';

let dir: string;
let child: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sockscope-shutdown-'));
  child = join(dir, 'loader-child.cjs');
  // CommonJS so that NODE_PATH finds koffi in the checkout's node_modules.
  buildSync({ entryPoints: [join(import.meta.dirname, 'fixtures', 'loader-child.ts')], outfile: child, bundle: true, platform: 'node', format: 'cjs', external: ['koffi'], logLevel: 'error' });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Ended {
  ready: { pid: number; linkIds: number[]; progIds: number[] };
  code: number | null;
  signal: NodeJS.Signals | null;
  reports: Array<Record<string, unknown>>;
  stderr: string;
}

/** Runs the child in `mode`; once it is attached, sends `signal` (if any); waits for the end. */
function runChild(mode: string, signal?: NodeJS.Signals): Promise<Ended> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [child, FIXTURE, mode], {
      env: { ...process.env, NODE_PATH: join(ROOT, 'node_modules') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let ready: Ended['ready'] | null = null;
    let stderr = '';
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    createInterface({ input: p.stdout }).on('line', (line) => {
      ready = JSON.parse(line);
      if (signal) p.kill(signal);
    });
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`child '${mode}' did not end: ${stderr}`));
    }, 20_000);
    p.on('close', (code, sig) => {
      clearTimeout(timer);
      if (!ready) return reject(new Error(`child '${mode}' never got ready (code ${code}): ${stderr}`));
      const reports = stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
      resolve({ ready, code, signal: sig, reports, stderr });
    });
  });
}

async function expectGone(ready: Ended['ready']): Promise<void> {
  expect(ready.linkIds).toHaveLength(2);
  expect(await waitGone('link', ready.linkIds)).toEqual([]);
  expect(await waitGone('prog', ready.progIds)).toEqual([]);
}

describe.skipIf(!canRunBpf.ok)(`detach on process end${canRunBpf.ok ? '' : ` (skipped: ${canRunBpf.why})`}`, () => {
  it('SIGTERM without a shutdown hook: links closed, then the process dies of SIGTERM', async () => {
    const r = await runChild('wait', 'SIGTERM');
    expect(r.signal).toBe('SIGTERM');
    expect(r.code).toBeNull();
    await expectGone(r.ready);
  });

  it('SIGINT without a shutdown hook: the same, with SIGINT', async () => {
    const r = await runChild('wait', 'SIGINT');
    expect(r.signal).toBe('SIGINT');
    await expectGone(r.ready);
  });

  it('SIGTERM with a shutdown hook: the hook runs first with links still up, exit code is the hook\'s, links closed before exit', async () => {
    const r = await runChild('hook', 'SIGTERM');
    expect(r.signal).toBeNull();
    expect(r.code).toBe(0);
    expect(r.reports).toContainEqual({ hook: 'SIGTERM', linksDuringHook: 2 });
    expect(r.reports).toContainEqual({ atExit: { linkIds: [], progIds: [] }, code: 0 });
    await expectGone(r.ready);
  });

  it('SIGTERM that the program handles itself: nothing is closed under its handler; freed at exit', async () => {
    const r = await runChild('own', 'SIGTERM');
    expect(r.code).toBe(0);
    expect(r.reports).toContainEqual({ own: 'SIGTERM', linksDuringHandler: 2 });
    expect(r.reports).toContainEqual({ atExit: { linkIds: [], progIds: [] }, code: 0 });
    await expectGone(r.ready);
  });

  it('an uncaught error: links closed before the process exits with 1', async () => {
    const r = await runChild('throw');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/boom from loader-child/);
    expect(r.reports).toContainEqual({ atExit: { linkIds: [], progIds: [] }, code: 1 });
    await expectGone(r.ready);
  });

  it('process.exit(0): links closed by the exit listener', async () => {
    const r = await runChild('exit');
    expect(r.code).toBe(0);
    expect(r.reports).toContainEqual({ atExit: { linkIds: [], progIds: [] }, code: 0 });
    await expectGone(r.ready);
  });
});
