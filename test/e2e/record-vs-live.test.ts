// Round trip: what `sockscope record` stores and `replay` rebuilds equals what
// `sockscope live --format jsonl` prints, for the same traffic captured by both at once
// (as root; the traffic is this test's own, on loopback).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, ensureBuilt, ROOT, runCli } from '../helpers/cli';

const isRoot = process.getuid?.() === 0;
const dir = mkdtempSync(join(tmpdir(), 'sockscope-rt-'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Replay prints every flow of the host, busy or not: room for all of it. */
const BIG = { maxBuffer: 1 << 30 };

function run(args: string[]): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((r) => child.on('exit', (code, sig) => r({ code: code ?? String(sig), stdout, stderr })));
}

describe.runIf(isRoot)('record -> replay equals live jsonl (root)', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the same flows, owners and byte counts', async () => {
    ensureBuilt();
    const server = net.createServer((s) => {
      s.on('data', (d) => s.write(Buffer.alloc(d.length * 3, 0x7a)));
      s.on('end', () => s.end());
      s.on('error', () => {});
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const file = join(dir, 'rt.ssrec');
    const live = run(['live', '--format', 'jsonl', '--duration', '7s', '--interval', '500ms']);
    const rec = run(['record', '-o', file, '--duration', '7s', '--interval', '500ms']);
    for (let i = 0; i < 200 && !(existsSync(file) && statSync(file).size > 12); i++) await sleep(50);
    await sleep(1500); // both captures are attached by now (each loads in about a second)
    const sent: number[] = [];
    for (let i = 0; i < 12; i++) {
      const n = 100 * (i + 1);
      await new Promise<void>((resolve, reject) => {
        const c = net.connect(port, '127.0.0.1', () => c.end(Buffer.alloc(n, 0x61)));
        c.on('data', () => {});
        c.on('close', () => resolve());
        c.on('error', reject);
      });
      sent.push(n);
      await sleep(100);
    }
    const [l, r] = await Promise.all([live, rec]);
    server.close();
    expect(l.code, l.stderr).toBe(0);
    expect(r.code, r.stderr).toBe(0);
    const replay = runCli(['replay', file, '--format', 'jsonl'], BIG);
    expect(replay.code).toBe(0);
    const ours = (out: string) =>
      out
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((x) => JSON.parse(x))
        .filter((f) => f.proto === 'tcp' && (f.rport === port || f.lport === port))
        .map(({ proto, laddr, lport, raddr, rport, direction, pid, comm, exe, uid, user, bytes_sent, bytes_received, state }) =>
          ({ proto, laddr, lport, raddr, rport, direction, pid, comm, exe, uid, user, bytes_sent, bytes_received, state }))
        .sort((a, b) => a.lport - b.lport || a.rport - b.rport);
    const fromLive = ours(l.stdout);
    const fromReplay = ours(replay.stdout);
    expect(fromLive.length).toBe(2 * sent.length); // both ends of each connection
    expect(fromReplay).toEqual(fromLive);
    const clients = fromLive.filter((f) => f.direction === 'outbound');
    expect(clients.map((f) => f.bytes_sent).sort((a, b) => a - b)).toEqual(sent);
    for (const f of clients) expect(f).toMatchObject({ pid: process.pid, bytes_received: 3 * f.bytes_sent, state: 'closed' });
  });
});
