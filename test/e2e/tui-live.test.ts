// The live TUI in a real terminal (tmux), as root: `sockscope live` shows LIVE and the
// flow of a client this test starts; R records the session from the screen to a
// complete file in the current directory; q exits 0. And plain `sockscope` as a user
// without BPF privileges says why in one line and opens the demo recording as a replay.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ROOT, ensureBuilt } from '../helpers/cli';
import { TmuxScreen, tableRows } from '../tui/tmux';
import { asWritten } from '../replay/recording-helpers';
import { openRecording } from '../../src/record/reader';
import type { AppEvent } from '../../src/events/types';

const isRoot = process.getuid?.() === 0;
const hasBtf = existsSync('/sys/kernel/btf/vmlinux');
const why = !isRoot ? 'not root' : !hasBtf ? 'no /sys/kernel/btf/vmlinux' : '';
const screens: TmuxScreen[] = [];
let server: Server;
let port = 0;
let client: ChildProcess | null = null;

/** A python3 client that keeps sending 1000 bytes every 100 ms to the test's server. */
function startClient(): ChildProcess {
  const py = `import socket,time\ns=socket.create_connection(('127.0.0.1',${port}))\nfor i in range(400):\n  s.sendall(b'x'*1000); time.sleep(0.1)\n`;
  return spawn('/usr/bin/python3', ['-c', py], { stdio: 'ignore' });
}

beforeAll(async () => {
  ensureBuilt();
  server = createServer((sock) => sock.on('data', (d) => sock.write(d)).on('error', () => {}));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});

afterAll(() => {
  for (const t of screens) t.kill();
  if (client && client.exitCode === null) client.kill('SIGKILL');
  server?.close();
});

describe.skipIf(why !== '')(`sockscope live in a terminal${why ? ` (skipped: ${why})` : ''}`, () => {
  it('shows LIVE and the test\'s flow; R records the session; q exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sockscope-tui-live-'));
    const t = new TmuxScreen(`${process.execPath} ${CLI} live`, 120, 40, {}, dir);
    screens.push(t);
    await t.waitFor((s) => /^sockscope\s+LIVE /m.test(s), 'the live screen', 30_000);
    client = startClient();
    t.send('/');
    t.type(`port:${port}`);
    t.send('Enter');
    // The client's side (python3 -> :port) and the server's side (node, accepted).
    let s = await t.waitFor((x) => tableRows(x).some((l) => l.includes('python3') && l.includes(`127.0.0.1:${port}`)), 'the client flow', 15_000);
    const row = tableRows(s).find((l) => l.includes('python3'))!;
    expect(row).toMatch(new RegExp(`^\\s*${client.pid} python3 .* tcp .*127\\.0\\.0\\.1:${port}\\s+ESTAB`));
    s = await t.waitFor((x) => /python3 .* ESTAB\s+\d[\d.]* (B|KiB)/.test(x), 'a TX rate on the client flow', 10_000);

    t.send('R');
    s = await t.waitFor((x) => /● REC sockscope-\d{8}-\d{6}\.ssrec/.test(x), 'recording to start');
    // A few intervals, counted on the header's clock (the time of the last tick shown),
    // not a fixed wait: on a loaded machine an interval takes longer than its second.
    const clock = (x: string) => / (\d\d:\d\d:\d\d) UTC/.exec(x)?.[1];
    for (let i = 0; i < 3; i++) {
      const before = clock(s);
      s = await t.waitFor((x) => clock(x) !== undefined && clock(x) !== before, 'an interval while recording', 10_000);
    }
    t.send('R');
    s = await t.waitFor((x) => /recorded .*sockscope-\d{8}-\d{6}\.ssrec \(\d+ events\)/.test(x), 'recording to stop');
    expect(s).not.toContain('● REC');

    t.send('q');
    expect(await t.exitCode(15_000)).toBe(0);

    const files = readdirSync(dir).filter((f) => f.endsWith('.ssrec'));
    expect(files).toHaveLength(1);
    const rec = await openRecording(join(dir, files[0]));
    const events: AppEvent[] = [];
    for await (const b of rec.batches()) events.push(...asWritten(b)); // counters as objects
    expect(rec.damage()).toBeNull();
    expect(rec.end()).not.toBeNull();
    // The flow was open when recording started: the snapshot restates it, and the
    // counters of the intervals recorded follow.
    const open = events.find((e) => e.type === 'flow-open' && e.rport === port && e.owner.pid === client!.pid);
    expect(open).toBeDefined();
    const flowId = open!.type === 'flow-open' ? open!.flowId : -1;
    const sent = events.flatMap((e) => (e.type === 'counters' ? e.flows.filter((c) => c.flowId === flowId) : []));
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.at(-1)!.bytesSent).toBeGreaterThan(0);
    expect(events.filter((e) => e.type === 'tick').length).toBeGreaterThanOrEqual(2);
  });
});

// The screen comes while the kernel still verifies the BPF programs (runLiveTuiWhileOpening):
// a load that fails then must close it and end as a failure before it would have: one line,
// exit 4. The failure is real: a copy of this kernel's BTF in which no struct has a member
// named srtt_us, so the CO-RE relocation of tcp_sock's srtt_us fails the load.
describe.skipIf(why !== '')(`sockscope live when the kernel load fails after the screen came${why ? ` (skipped: ${why})` : ''}`, () => {
  it('closes the screen, says why in one line and exits 4; plain sockscope shows the demo instead', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sockscope-tui-btf-'));
    const btf = readFileSync('/sys/kernel/btf/vmlinux');
    const renamed = Buffer.from(btf.toString('latin1').replace('\0srtt_us\0', '\0srtt_zz\0'), 'latin1');
    expect(renamed.equals(btf)).toBe(false);
    writeFileSync(join(dir, 'vmlinux'), renamed);
    const t = new TmuxScreen(`${process.execPath} ${CLI} live`, 120, 40, { SOCKSCOPE_BTF: join(dir, 'vmlinux') }, dir);
    screens.push(t);
    expect(await t.exitCode(15_000)).toBe(4);
    // One line, wrapped at the pane's 120 columns.
    const lines = t.screen().split('\n').filter((l) => l.trim() !== '').join('');
    expect(lines).toMatch(/^sockscope: loading BPF object \S+ failed: this kernel does not support what sockscope uses/);
    // The verifier's log (one libbpf message of several KB, read whole) names the cause.
    expect(lines).toMatch(/failed to resolve CO-RE relocation .*struct tcp_sock\.srtt_us/);
    expect(lines).not.toMatch(/LIVE|flows/);
    // Plain sockscope takes the same failure as "cannot capture here": the demo replay.
    const d = new TmuxScreen(`${process.execPath} ${CLI}`, 120, 40, { SOCKSCOPE_BTF: join(dir, 'vmlinux') }, dir);
    screens.push(d);
    await d.waitFor((x) => /^sockscope\s+REPLAY /m.test(x) && x.includes('demo.ssrec'), 'the demo replay', 15_000);
    d.send('q');
    expect(await d.exitCode()).toBe(0);
  });
});

const DEMO = join(ROOT, 'recordings', 'demo.ssrec');
// A fresh checkout has the demo world-readable; a recording just written by the recorder
// is 0600 (it holds command lines), and uid 65534 cannot read it then.
const demoWhy = !isRoot ? 'needs root to switch to uid 65534' : !existsSync(DEMO) ? '' : (statSync(DEMO).mode & 0o004) === 0 ? 'recordings/demo.ssrec is not world-readable in this checkout' : '';

describe.skipIf(demoWhy !== '')(`plain sockscope without BPF privileges${demoWhy ? ` (skipped: ${demoWhy})` : ''}`, () => {
  it('explains in one line and opens the demo recording as a replay', async () => {
    if (!existsSync(DEMO)) return expect.fail('recordings/demo.ssrec is missing: plain sockscope has no demo to show');
    const t = new TmuxScreen(`setpriv --reuid 65534 --regid 65534 --clear-groups ${process.execPath} ${CLI}`, 120, 40, {}, ROOT);
    screens.push(t);
    const s = await t.waitFor((x) => /^sockscope\s+REPLAY /m.test(x) && x.includes('demo.ssrec') && tableRows(x).length > 0, 'the demo replay', 15_000);
    // The note may wrap over two lines: read it as one.
    expect(s.replace(/\s+/g, ' ')).toMatch(/live capture is not possible: .*65534.*Showing the bundled demo recording \(a replay\) instead\./);
    expect(tableRows(s).length).toBeGreaterThan(0);
    t.send('q');
    expect(await t.exitCode()).toBe(0);
    // The same line stays on the terminal after the screen closes.
    expect(t.screen()).toMatch(/^sockscope: live capture is not possible: /m);
  });
});
