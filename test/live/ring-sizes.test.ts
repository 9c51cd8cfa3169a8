// The ring buffers' sizes each command asks for (src/live/source.ts, RING_SIZES), as the
// kernel made them: the RINGBUF maps in the running CLI's fd table. `record` keeps a
// 16 MiB main ring (its file must survive a held-up drain; bpf/README.md, sizes), `live`
// 8 MiB; both a 32 MiB overflow ring.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, ensureBuilt, ROOT } from '../helpers/cli';
import { canCapture, skipWhy } from './helpers/capture';

const BPF_MAP_TYPE_RINGBUF = 27;
const MiB = 1 << 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** max_entries of the RINGBUF maps `pid` holds, smallest first. */
function ringSizes(pid: number): number[] {
  const sizes: number[] = [];
  let fds: string[] = [];
  try {
    fds = readdirSync(`/proc/${pid}/fdinfo`);
  } catch {
    return sizes;
  }
  for (const fd of fds) {
    try {
      const text = readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
      if (Number(/^map_type:\s*(\d+)/m.exec(text)?.[1]) === BPF_MAP_TYPE_RINGBUF) sizes.push(Number(/^max_entries:\s*(\d+)/m.exec(text)![1]));
    } catch {
      // closed meanwhile
    }
  }
  return sizes.sort((a, b) => a - b);
}

/** Runs the CLI with `args` until it holds two rings; returns their sizes. */
async function sizesOf(args: string[]): Promise<number[]> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((r) => child.on('exit', r));
  try {
    const t0 = performance.now();
    for (;;) {
      const sizes = ringSizes(child.pid!);
      if (sizes.length === 2) return sizes;
      if (child.exitCode !== null || performance.now() - t0 > 15_000) throw new Error(`no rings (exit ${child.exitCode}): ${stderr}`);
      await sleep(20);
    }
  } finally {
    child.kill('SIGINT');
    await exited;
  }
}

describe.skipIf(!canCapture.ok)(`ring buffer sizes per command${skipWhy}`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'sockscope-ring-sizes-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('record: a 16 MiB ring and a 32 MiB overflow ring', async () => {
    ensureBuilt();
    expect(await sizesOf(['record', '-o', join(dir, 'r.ssrec')])).toEqual([16 * MiB, 32 * MiB]);
  });

  it('live: an 8 MiB ring and a 32 MiB overflow ring', async () => {
    ensureBuilt();
    expect(await sizesOf(['live', '--format', 'jsonl'])).toEqual([8 * MiB, 32 * MiB]);
  });
});
