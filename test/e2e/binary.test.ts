// The single binary works on a machine with no Node: copied alone into an empty folder and
// run with a PATH that has no node on it. As root it captures live, records a recording of
// real loopback traffic and replays it; as uid 65534 it explains what is missing.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer, connect, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli';

const dir = mkdtempSync(join(tmpdir(), 'sockscope-bin-'));
const bin = join(dir, 'sockscope');
// No node_modules/.bin, and not /usr/bin either: this machine has a Node 20 there.
const env = { PATH: '/usr/sbin:/sbin', HOME: dir, LANG: 'C.UTF-8' };
const isRoot = process.getuid?.() === 0;
const NO_STACK = /^\s+at /m;

function run(args: string[], timeout = 60_000) {
  const r = spawnSync(bin, args, { cwd: dir, env, encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'] });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs the binary while `during` makes traffic; resolves with its output at exit. */
function runWhile(args: string[], during: () => Promise<void>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(bin, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
    // Capture is up well within a second here; traffic then, and again later.
    setTimeout(() => during().catch(reject), 1200);
  });
}

let server: Server;
let port = 0;
/** One TCP connection from this process to its own loopback server: 5 bytes out, 3 back. */
function exchange(): Promise<number> {
  return new Promise((resolve, reject) => {
    let localPort = 0;
    const c = connect(port, '127.0.0.1', () => {
      localPort = c.localPort!;
      c.write('hello');
    });
    c.on('data', () => c.end());
    c.on('close', () => resolve(localPort));
    c.on('error', reject);
  });
}

beforeAll(async () => {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-binary.mjs')], { cwd: ROOT, stdio: 'pipe' });
  copyFileSync(join(ROOT, 'dist', 'sockscope'), bin);
  chmodSync(bin, 0o755);
  server = createServer((s) => s.once('data', () => s.end('bye')));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
}, 300_000);

afterAll(() => {
  server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('dist/sockscope, alone in an empty folder, with no node on PATH', () => {
  it('has no node to lean on, and is smaller than the Node it embeds plus a bit', () => {
    expect(spawnSync('/bin/sh', ['-c', 'command -v node || command -v nodejs'], { env }).status).not.toBe(0);
    expect(readdirSync(dir)).toEqual(['sockscope']);
    // Stripped of Node's symbol tables by build-binary.mjs (unstripped it is ~122 MB).
    expect(statSync(bin).size).toBeLessThan(120 * 1024 * 1024);
  });

  it('--version', async () => {
    const { version } = (await import('../../package.json', { with: { type: 'json' } })).default;
    const r = run(['--version']);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(version);
    expect(r.code).toBe(0);
  });

  it('doctor', () => {
    const r = run(['doctor']);
    expect(r.stdout).toMatch(/BTF/);
    expect(r.stdout).toMatch(/libbpf\s+1\.\d+/);
    expect(r.code).toBe(isRoot ? 0 : 3);
  });

  it('a bad argument is one line and exit 2', () => {
    const r = run(['replay']);
    expect(r.code).toBe(2);
    expect(r.stderr).not.toMatch(NO_STACK);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  const demo = existsSync(join(ROOT, 'recordings', 'demo.ssrec'));
  it.runIf(demo)(`replays the bundled demo recording as JSON lines${demo ? '' : ' (skipped: recordings/demo.ssrec is not there yet; the recording made below is replayed instead)'}`, () => {
    const r = run(['replay', join(ROOT, 'recordings', 'demo.ssrec'), '--format', 'jsonl']);
    expect(r.code).toBe(0);
    const flows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(flows.length).toBeGreaterThan(0);
    expect(flows[0]).toHaveProperty('proto');
    expect(flows[0]).toHaveProperty('pid');
  });

  it.runIf(isRoot)('captures live for 3 s as root, with this test\'s connection attributed to it', async () => {
    let clientPort = 0;
    const r = await runWhile(['live', '--format', 'jsonl', '--duration', '3s'], async () => {
      clientPort = await exchange();
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const flows = r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const mine = flows.find((f) => f.proto === 'tcp' && f.lport === clientPort && f.rport === port);
    expect(mine, `no flow 127.0.0.1:${clientPort} -> :${port} in ${flows.length} flows`).toMatchObject({ pid: process.pid, raddr: '127.0.0.1', direction: 'outbound' });
  });

  it.runIf(isRoot)('records 2 s of live traffic, then replays that recording', async () => {
    const file = join(dir, 'two-seconds.ssrec');
    let clientPort = 0;
    const rec = await runWhile(['record', '-o', file, '--duration', '2s'], async () => {
      clientPort = await exchange();
    });
    expect(rec.stderr).not.toMatch(NO_STACK);
    expect(rec.code).toBe(0);
    expect(statSync(file).size).toBeGreaterThan(0);
    const r = run(['replay', file, '--format', 'jsonl']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const flows = r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(flows.find((f) => f.proto === 'tcp' && f.lport === clientPort && f.rport === port)).toMatchObject({ pid: process.pid });
  });

  it.runIf(isRoot)('as uid 65534 with an unwritable home: unpacks elsewhere, live exits 3 with one line', () => {
    // Its own temp folder, so that the unpacked files go away with `dir`.
    const tmp = join(dir, 'tmp');
    mkdirSync(tmp, { mode: 0o1777 });
    chmodSync(tmp, 0o1777);
    chmodSync(dir, 0o755);
    const r = spawnSync('/usr/bin/setpriv', ['--reuid', '65534', '--regid', '65534', '--clear-groups', '--inh-caps=-all', bin, 'live', '--format', 'jsonl'], {
      cwd: '/', env: { ...env, HOME: '/nonexistent', TMPDIR: tmp }, encoding: 'utf8', timeout: 60_000,
    });
    expect(readdirSync(tmp)).toEqual(['sockscope-65534']);
    expect(r.stderr).not.toMatch(NO_STACK);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/CAP_BPF/);
    expect(r.status).toBe(3);
  });
});
