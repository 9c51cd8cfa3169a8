// capture -> record -> replay gives the flows the live run showed. One live capture of
// known traffic (TCP both ways, UDP to two peers, a refused connect) is tapped into a
// RecordingWriter exactly where `sockscope record` taps it; the file is then read back
// with openRecording and reduced, and also replayed by the CLI. Every flow's CONTRACT
// JSON, the connect failures and the lost/evicted totals must be the same.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyBatch, createCoreState } from '../../src/core/reducer';
import { toJsonFlow } from '../../src/core/flow-json';
import { openRecording } from '../../src/record/reader';
import { RecordingWriter } from '../../src/record/writer';
import { ensureBuilt, ROOT, runCli } from '../helpers/cli';
import { byPorts, canCapture, closedFlow, skipWhy, startCapture, type Capture } from './helpers/capture';
import { runTraffic, tcpServer, type Helper } from './helpers/procs';

describe.skipIf(!canCapture.ok)(`live capture -> recording -> replay${skipWhy}`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'sockscope-roundtrip-'));
  const file = join(dir, 'live.ssrec');
  let cap: Capture;
  let writer: RecordingWriter | null = null;
  let mine: { tcp: number[]; udp: number[]; refusedPort: number } | null = null;
  const helpers: Helper[] = [];

  beforeAll(async () => {
    ensureBuilt();
    cap = await startCapture({
      intervalMs: 200,
      tap: (batch, source) => {
        writer ??= RecordingWriter.create(file, source.info, { capture: { intervalMs: 200 } });
        writer.write(batch);
      },
    });
    const { server, port } = await tcpServer('127.0.0.1', ['--expect', '4321', '--reply', '8765']);
    const client = runTraffic(['client-tcp', '127.0.0.1', String(port), '--send', '4321', '--recv', '8765']);
    helpers.push(server, client);
    const { lport } = (await client.next('connected')) as unknown as { lport: number };
    await Promise.all([client.exited, server.exited]);
    const udp = runTraffic(['udp-multi', '6']);
    const { aport } = (await udp.next('done')) as unknown as { aport: number };
    await udp.exited;
    const refused = runTraffic(['refused', '127.0.0.1', String(port)]);
    await refused.next('refused');
    await closedFlow(cap, 'the TCP client flow', byPorts('tcp', lport, port));
    await cap.waitFor('the UDP flows closed', () => [...cap.state.flows.values()].filter((f) => f.lport === aport && f.state === 'closed').length === 2);
    await cap.waitFor('the refused connect', () => cap.state.failures.some((f) => f.owner.pid === refused.pid));
    await cap.stop(); // the final batch goes through the tap too
    writer!.close();
    mine = { tcp: [lport, port], udp: [aport], refusedPort: port };
  });
  afterAll(async () => {
    for (const h of helpers) h.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the reader gives back the live flows, failures and totals', async () => {
    const source = await openRecording(file);
    const state = createCoreState({ lingerNs: Infinity, maxFlows: Number.MAX_SAFE_INTEGER, historyLength: 0 });
    for await (const batch of source.batches()) applyBatch(state, batch);
    await source.close();
    expect(source.damage()).toBeNull();
    const replayed = [...state.flows.values()].map((f) => ({ ...toJsonFlow(state, f, source.header.bootTimeMs), flowId: f.flowId }));
    const live = cap.flows();
    const byId = (a: { flowId: number }, b: { flowId: number }) => a.flowId - b.flowId;
    expect(replayed.sort(byId)).toEqual(live.sort(byId));
    // The run's own flows are among them, so the comparison covers real content.
    expect(live.filter((f) => mine!.tcp.includes(f.lport) && mine!.tcp.includes(f.rport))).toHaveLength(2);
    expect(live.filter((f) => f.proto === 'udp' && f.lport === mine!.udp[0])).toHaveLength(2);
    expect(state.failures).toEqual(cap.state.failures);
    expect(state.totals.lost).toBe(cap.state.totals.lost);
    expect(state.totals.evicted).toBe(cap.state.totals.evicted);
    expect(state.totals.connectFailures).toBe(cap.state.totals.connectFailures);
    expect(source.info.hooks).toEqual(cap.source.info.hooks);
  });

  it('`sockscope replay --format jsonl` prints the live JSON of each flow', () => {
    const r = runCli(['replay', file, '--format', 'jsonl']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const live = cap.flows().map(({ flowId: _, ...f }) => f);
    const key = (f: { proto: string; lport: number; rport: number; laddr: string; raddr: string; start: string | null }) =>
      `${f.proto} ${f.laddr}:${f.lport} ${f.raddr}:${f.rport} ${f.start}`;
    const sortBy = (a: Parameters<typeof key>[0], b: Parameters<typeof key>[0]) => key(a).localeCompare(key(b));
    expect(lines.sort(sortBy)).toEqual(live.sort(sortBy));
  });
});

// A busy host's recording replays to many MB of JSON lines: the CLI helper must take it
// whole (spawnSync's default maxBuffer of 1 MB killed the child and cut stdout).
describe('`sockscope replay --format jsonl` of a busy recording, through the test CLI helper', () => {
  beforeAll(() => ensureBuilt());

  it('churn.ssrec (wrk against nginx, a connection per request): every flow, > 1 MB of output', () => {
    const r = runCli(['replay', join(ROOT, 'recordings', 'churn.ssrec'), '--format', 'jsonl']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(1024 * 1024);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.filter((f) => f.comm === 'wrk' && f.rport === 8090).length).toBeGreaterThanOrEqual(1000);
    expect(lines.filter((f) => f.lport === 8090 && f.direction === 'inbound').length).toBeGreaterThanOrEqual(1000);
  });
});
