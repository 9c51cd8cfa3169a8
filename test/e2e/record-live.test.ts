// `sockscope record` end to end as root: real BPF capture of traffic this test makes on
// loopback, then the file read back by `replay` and `info` the way a user does.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, statfsSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ensureBuilt, ROOT, runCli } from '../helpers/cli';
import type { AppEvent } from '../../src/events/types';
import { expandStored } from '../../src/record/check-events';
import { runsFromEvents } from '../../src/record/runs-from-events';
import { readAll, writeRecording } from '../replay/recording-helpers';

const isRoot = process.getuid?.() === 0;
const dir = mkdtempSync(join(tmpdir(), 'sockscope-rec-e2e-'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Replay prints every flow of the host, busy or not: room for all of it. */
const BIG = { maxBuffer: 1 << 30 };

/** A loopback server that answers each connection's `n` bytes with 2n bytes, then closes. */
async function echoServer(): Promise<{ port: number; close(): void }> {
  const server = net.createServer((s) => {
    let got = 0;
    s.on('data', (d) => {
      got += d.length;
      if (got >= 1000) s.end(Buffer.alloc(2 * got, 0x61));
    });
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as net.AddressInfo).port, close: () => server.close() };
}

/** One client connection sending exactly 1000 bytes and reading the 2000-byte answer. */
function exchange(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const c = net.connect(port, '127.0.0.1', () => c.write(Buffer.alloc(1000, 0x62)));
    let got = 0;
    c.on('data', (d) => (got += d.length));
    c.on('end', () => {
      c.end();
      resolve(got);
    });
    c.on('error', reject);
  });
}

/** Keeps traffic going until stopped: one exchange every `everyMs`. */
function trafficLoop(port: number, everyMs: number): () => Promise<number> {
  let on = true;
  let count = 0;
  const done = (async () => {
    while (on) {
      await exchange(port);
      count++;
      await sleep(everyMs);
    }
  })();
  return async () => {
    on = false;
    await done;
    return count;
  };
}

function startRecord(file: string, extra: string[] = []) {
  const child = spawn(process.execPath, [CLI, 'record', '-o', file, ...extra], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | string>((r) => child.on('exit', (code, sig) => r(code ?? String(sig))));
  return { child, exited, stderr: () => stderr };
}

/** Waits until the recorder has written its header (BPF is loaded, capture runs). */
async function waitForFile(file: string, minBytes = 1): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (existsSync(file) && statSync(file).size >= minBytes) return;
    await sleep(50);
  }
  throw new Error(`${file} never appeared`);
}

function jsonl(stdout: string): Array<Record<string, any>> {
  return stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

describe.runIf(isRoot)('sockscope record (live, root)', () => {
  let srv: Awaited<ReturnType<typeof echoServer>>;
  beforeAll(async () => {
    ensureBuilt();
    srv = await echoServer();
  });
  afterAll(() => {
    srv?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records a run with --duration: mode 0600, complete, and replays our flows with exact bytes', async () => {
    const file = join(dir, 'duration.ssrec');
    const rec = startRecord(file, ['--duration', '3s', '--interval', '500ms']);
    await waitForFile(file);
    await sleep(300);
    const stop = trafficLoop(srv.port, 100);
    await sleep(1200);
    const n = await stop();
    expect(await rec.exited).toBe(0);
    expect(rec.stderr()).toMatch(/^recorded .*duration\.ssrec: \d+:\d\d:\d\d elapsed, \d+ flows, \d+ events, \d+ lost, [\d.]+ [KM]iB written\n$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const info = runCli(['info', file, '--format', 'json']);
    expect(info.code).toBe(0);
    const summary = JSON.parse(info.stdout).summary;
    expect(summary).toMatchObject({ complete: true, damage: null });
    const replay = runCli(['replay', file, '--format', 'jsonl'], BIG);
    expect(replay.code).toBe(0);
    const mine = jsonl(replay.stdout).filter((f) => f.proto === 'tcp' && f.rport === srv.port && f.raddr === '127.0.0.1');
    expect(mine.length).toBe(n);
    for (const f of mine) {
      expect(f).toMatchObject({ pid: process.pid, direction: 'outbound', bytes_sent: 1000, bytes_received: 2000, state: 'closed', user: 'root' });
    }
    const served = jsonl(replay.stdout).filter((f) => f.proto === 'tcp' && f.lport === srv.port && f.direction === 'inbound');
    expect(served.length).toBe(n);
    for (const f of served) expect(f).toMatchObject({ bytes_sent: 2000, bytes_received: 1000 });
  });

  it('a real capture re-encoded as scripts/record-fixture.mjs does (runs, compact) reads back the same, our flows all in runs', async () => {
    const file = join(dir, 'reencode.ssrec');
    const rec = startRecord(file, ['--duration', '2500ms', '--interval', '500ms']);
    await waitForFile(file);
    await sleep(300);
    const stop = trafficLoop(srv.port, 50);
    await sleep(1200);
    expect(await stop()).toBeGreaterThan(5);
    expect(await rec.exited).toBe(0);
    const { batches, damage } = await readAll(file);
    expect(damage).toBeNull();
    const ours = new Set<number>();
    for (const e of batches.flat()) if (e.type === 'flow-open' && e.proto === 'tcp' && (e.rport === srv.port || e.lport === srv.port)) ours.add(e.flowId);
    expect(ours.size).toBeGreaterThan(10);
    const stored = batches.map(runsFromEvents);
    for (let i = 0; i < batches.length; i++) expect(expandStored(stored[i] as never)).toEqual(batches[i]);
    // Decoded from the kernel's records, our flows' events encode back exactly: none stays loose.
    const loose = stored.flat().filter((e) => (e.type === 'flow-open' || e.type === 'flow-close' || e.type === 'flow-state') && ours.has(e.flowId));
    expect(loose).toEqual([]);
    const plain = writeRecording(join(dir, 'reencoded.ssrec'), stored);
    writeRecording(join(dir, 'compact.ssrec'), stored, { compact: true, structures: plain.structures() });
    for (const f of ['reencoded.ssrec', 'compact.ssrec']) {
      const again = await readAll(join(dir, f));
      expect(again.damage).toBeNull();
      expect(again.batches as AppEvent[][]).toEqual(batches);
    }
  });

  it.each(['SIGINT', 'SIGTERM'] as const)('%s finishes the file cleanly and exits 0', async (sig) => {
    const file = join(dir, `${sig}.ssrec`);
    const rec = startRecord(file);
    await waitForFile(file);
    const stop = trafficLoop(srv.port, 100);
    await sleep(1500);
    rec.child.kill(sig);
    expect(await rec.exited).toBe(0);
    await stop();
    const info = runCli(['info', file, '--format', 'json']);
    expect(info.code).toBe(0);
    expect(JSON.parse(info.stdout).summary).toMatchObject({ complete: true, damage: null });
  });

  it('SIGKILL leaves a file that replays up to its last flushed chunk, at most ~1 s old', async () => {
    const file = join(dir, 'killed.ssrec');
    const rec = startRecord(file, ['--interval', '250ms']);
    await waitForFile(file);
    const stop = trafficLoop(srv.port, 50);
    await sleep(3000);
    const killedAt = Date.now();
    rec.child.kill('SIGKILL');
    expect(await rec.exited).toBe('SIGKILL');
    await stop();
    const replay = runCli(['replay', file, '--format', 'jsonl'], BIG);
    expect(replay.code).toBe(5);
    expect(replay.stderr).toMatch(/^sockscope: .*killed\.ssrec: truncated at byte \d+ after chunk \d+: no end marker.*\n$/);
    expect(jsonl(replay.stdout).filter((f) => f.rport === srv.port).length).toBeGreaterThan(5);
    const info = runCli(['info', file, '--format', 'json']);
    expect(info.code).toBe(5);
    const { summary } = JSON.parse(info.stdout);
    expect(summary.complete).toBe(false);
    // flushed at least once a second: the last recorded event is recent
    expect(killedAt - Date.parse(summary.end)).toBeLessThan(1800);
  });

  it('shows a one-line progress display on a terminal', () => {
    const file = join(dir, 'tty.ssrec');
    // 3.5 s: frames at 0, 1, 2 and 3 s; a loaded machine once delayed all but one of 2.5 s's.
    const cmd = `${process.execPath} ${CLI} record -o ${file} --duration 3500ms`;
    const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(0);
    const frames = r.stdout.split('\r\x1b[2K');
    expect(frames.filter((f) => /^\d+:\d\d:\d\d elapsed, \d+ flows, \d+ events, \d+ lost, [\d.]+ [KM]iB written$/.test(f)).length).toBeGreaterThanOrEqual(2);
    expect(r.stdout).toMatch(/recorded .*tty\.ssrec: 0:00:0[345] elapsed/);
  });

  it('a full disk ends with one line and exit 1, keeping what was flushed', async () => {
    const mnt = join(dir, 'tmpfs');
    mkdirSync(mnt);
    expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mnt]).status).toBe(0);
    try {
      // Leave a few pages free: the header fits, a few chunks of our traffic overflow them.
      const st = statfsSync(mnt);
      writeFileSync(join(mnt, 'filler'), Buffer.alloc((st.bavail - 3) * st.bsize));
      const file = join(mnt, 'full.ssrec');
      const rec = startRecord(file, ['--interval', '250ms', '--duration', '20s']);
      await waitForFile(file);
      const stop = trafficLoop(srv.port, 5);
      const code = await rec.exited;
      await stop();
      expect(code).toBe(1);
      expect(rec.stderr()).toMatch(/^sockscope: disk full writing .*full\.ssrec: the recording keeps what was flushed \(\d+ bytes\) and replays up to there\n$/);
      const kept = Number(/flushed \((\d+) bytes\)/.exec(rec.stderr())![1]);
      expect(kept).toBeGreaterThan(12); // preamble and header at least
      // The frame being written when the disk filled is cut: replay stops exactly where the
      // recorder said its good data ends, after replaying every whole chunk before it.
      const replay = runCli(['replay', file, '--format', 'jsonl'], BIG);
      expect(replay.code).toBe(5);
      expect(replay.stderr).toMatch(new RegExp(`^sockscope: .*full\\.ssrec: chunk \\d+ at byte ${kept}: truncated frame .*\n$`));
      for (const f of jsonl(replay.stdout)) expect(f.proto).toMatch(/^(tcp|udp)$/);
    } finally {
      spawnSync('umount', [mnt]);
    }
  });

  it('a character device that is always full (/dev/full): exit 1, one line, device mode untouched', () => {
    const before = statSync('/dev/full').mode;
    const r = runCli(['record', '-o', '/dev/full', '--duration', '3s']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^sockscope: disk full writing \/dev\/full: .*\n$/);
    expect(statSync('/dev/full').mode).toBe(before);
  });
});
