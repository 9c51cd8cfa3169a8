// `sockscope live --format jsonl --duration D` as a user runs it (the bundled CLI), with
// traffic from processes the test knows: the CONTRACT fields, exact bytes, owners. And
// the same on a machine where tracefs is not mounted (a fresh boot): the run happens in a
// private mount namespace where the test unmounts /sys/kernel/tracing, so the host (and
// everything else using tracefs) is untouched; the loader must mount it again itself (no
// hook in HOOKS is a classic `tp` since the accept tracepoints went: a run without tracefs
// must still work, as it would if one came back).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JSON_FLOW_FIELDS } from '../../src/core/flow-json';
import { HOOKS } from '../../src/loader/hooks';
import { DRAIN_AUTOGROUP_NICE, parseAutogroupNice } from '../../src/live/drain-priority';
import { CLI, ensureBuilt, ROOT } from '../helpers/cli';
import { canCapture, skipWhy } from './helpers/capture';
import { bpfFds } from './fixtures/bpf-fds';
import { killAllHelpers, PYTHON, runTraffic, tcpServer, TRAFFIC_PY } from './helpers/procs';

const ATTACHED = HOOKS.filter((h) => h.kind === 'tp_btf' || h.kind === 'tp' || h.kind === 'cgroup').length;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Flow = Record<string, any>;

/** Starts `sockscope live --format jsonl`, behind `prefix` (in a session of its own with
 * `ownSession`), and waits until every hook is attached (the kernel's view: BPF links in
 * the process's fd table). */
async function startLive(durationS: number, prefix: string[] = [], interval = '200ms', ownSession = false) {
  const argv = [...prefix, process.execPath, CLI, 'live', '--format', 'jsonl', '--duration', `${durationS}s`, '--interval', interval];
  const child = spawn(argv[0], argv.slice(1), { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: ownSession });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const t0 = performance.now();
  // The prefix execs in place (same pid), so the links show up in child.pid's fds.
  while (bpfFds(child.pid!).linkIds.length < ATTACHED) {
    if (child.exitCode !== null) throw new Error(`live exited early (${child.exitCode}): ${stderr}`);
    if (performance.now() - t0 > 15_000) throw new Error(`live never attached its hooks: ${stderr}`);
    await sleep(20);
  }
  const readyMs = performance.now() - t0;
  await sleep(300); // the start-up listing and the first interval
  return {
    readyMs,
    pid: child.pid!,
    async flows(): Promise<Flow[]> {
      const code = await exited;
      expect(stderr).toBe('');
      expect(code).toBe(0);
      return stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
    },
  };
}

async function exchange() {
  const { server, port } = await tcpServer('127.0.0.1', ['--expect', '12345', '--reply', '54321']);
  const client = runTraffic(['client-tcp', '127.0.0.1', String(port), '--send', '12345', '--recv', '54321']);
  const { lport } = (await client.next('connected')) as unknown as { lport: number };
  expect(await client.exited).toBe(0);
  expect(await server.exited).toBe(0);
  return { server, client, port, lport };
}

function checkExchange(flows: Flow[], x: Awaited<ReturnType<typeof exchange>>) {
  const out = flows.filter((f) => f.proto === 'tcp' && f.lport === x.lport && f.rport === x.port);
  const inn = flows.filter((f) => f.proto === 'tcp' && f.lport === x.port && f.rport === x.lport);
  expect(out).toHaveLength(1);
  expect(inn).toHaveLength(1);
  expect(out[0]).toMatchObject({
    direction: 'outbound', pid: x.client.pid, comm: 'python3.11', exe: PYTHON, uid: 0, user: 'root',
    bytes_sent: 12345, bytes_received: 54321, state: 'closed', seen_at_start: false,
  });
  expect(out[0].connect_latency_us).toBeGreaterThan(0);
  // The inbound owner comes from the server's first receive (tp_btf sock_recv_length).
  expect(inn[0]).toMatchObject({ direction: 'inbound', pid: x.server.pid, bytes_sent: 54321, bytes_received: 12345, state: 'closed' });
  return out[0];
}

describe.skipIf(!canCapture.ok)(`sockscope live --format jsonl${skipWhy}`, () => {
  beforeAll(() => ensureBuilt());
  afterAll(() => killAllHelpers());

  it('prints every flow of the window with the CONTRACT fields, owners and exact bytes', async () => {
    const live = await startLive(2);
    const x = await exchange();
    const udp = runTraffic(['udp-multi', '4']);
    const { aport, bport } = (await udp.next('done')) as unknown as { aport: number; bport: number };
    const flows = await live.flows();
    for (const f of flows) expect(Object.keys(f)).toEqual([...JSON_FLOW_FIELDS]);
    const out = checkExchange(flows, x);
    expect(Date.parse(out.end)).toBeGreaterThanOrEqual(Date.parse(out.start));
    const ab = flows.filter((f) => f.proto === 'udp' && f.lport === aport && f.rport === bport);
    expect(ab).toHaveLength(1);
    expect(ab[0]).toMatchObject({ pid: udp.pid, bytes_sent: 1000, bytes_received: 300, state: 'closed', retransmits: null });
    console.log(`live ready (hooks attached) in ${live.readyMs.toFixed(0)} ms; ${flows.length} flows in 2 s`);
  });

  it('a process that execs, sends and exits at once has its command line (captured in the kernel at exec)', async () => {
    // An interval of 1 s: the enricher looks long after the client (alive ~30 ms) is gone
    // from /proc, so the command line can only come from the exec record.
    const live = await startLive(3, [], '1s');
    const { server, port } = await tcpServer('127.0.0.1', ['--expect', '777']);
    const args = ['client-tcp', '127.0.0.1', String(port), '--send', '777', '--exit-now'];
    const client = runTraffic(args);
    const { lport } = (await client.next('connected')) as unknown as { lport: number };
    expect(await client.exited).toBe(0);
    expect(await server.exited).toBe(0);
    const flows = await live.flows();
    const out = flows.filter((f) => f.proto === 'tcp' && f.lport === lport && f.rport === port);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ pid: client.pid, exe: PYTHON, bytes_sent: 777, state: 'closed' });
    expect(out[0].cmdline).toBe([PYTHON, TRAFFIC_PY, ...args].join(' '));
  });

  // A session leader's autogroup is its own (raised); a child of this test's session
  // shares ours, which stays as it was (drain-priority.ts).
  const autogroups = existsSync('/proc/self/autogroup');
  it.skipIf(!autogroups)(`raises its own autogroup, never its shell's${autogroups ? '' : ' (skipped: no /proc/self/autogroup, autogroups off in this kernel)'}`, async () => {
    const niceOf = (pid: number | 'self') => parseAutogroupNice(readFileSync(`/proc/${pid}/autogroup`, 'utf8'));
    const ours = readFileSync('/proc/self/autogroup', 'utf8');
    // Each is read as soon as it has attached: under load the second start can take longer
    // than the first one's whole run, and an exited pid has no autogroup to read.
    const leader = await startLive(2, [], '200ms', true);
    expect(niceOf(leader.pid)).toBe(DRAIN_AUTOGROUP_NICE);
    const child = await startLive(2);
    expect(readFileSync(`/proc/${child.pid}/autogroup`, 'utf8')).toBe(ours);
    await Promise.all([leader.flows(), child.flows()]);
    expect(readFileSync('/proc/self/autogroup', 'utf8')).toBe(ours);
  });

  it('works where tracefs is not mounted: the loader mounts it (private mount namespace)', async () => {
    const noTracefs = ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', 'umount /sys/kernel/tracing 2>/dev/null; test ! -e /sys/kernel/tracing/events && exec "$@"', 'sh'];
    const live = await startLive(2, noTracefs);
    const x = await exchange();
    checkExchange(await live.flows(), x);
  });
});
