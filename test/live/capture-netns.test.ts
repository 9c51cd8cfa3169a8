// Traffic across a veth pair into a network namespace the test creates: both ends are
// attributed to their processes, with exact bytes, and each socket carries its own
// network namespace. TCP both ways (server inside, then client inside), UDP, and a
// lossy path (nftables drops) where retransmits show and bytes stay exact.
import { readlinkSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byPorts, canCapture, closedFlow, skipWhy, startCapture, type Capture } from './helpers/capture';
import { createNetns, type Netns } from './helpers/netns';
import { PYTHON, runTraffic, tcpServer, type Helper } from './helpers/procs';

const hostNetns = Number(/\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/net'))![1]);

describe.skipIf(!canCapture.ok)(`live capture across a veth pair into a network namespace${skipWhy}`, () => {
  let cap: Capture;
  let ns: Netns;
  const helpers: Helper[] = [];
  beforeAll(async () => {
    ns = createNetns();
    cap = await startCapture({ intervalMs: 200 });
  });
  afterAll(async () => {
    for (const h of helpers) h.kill();
    await Promise.all(helpers.map((h) => h.exited));
    await cap?.stop();
    ns?.remove();
  });

  const netnsOf = (flowId: number) => cap.state.flows.get(flowId)!.owner.netns;

  async function exchange(serverHost: string, serverPrefix: string[], clientHost: string, clientPrefix: string[]) {
    const { server, port } = await tcpServer(serverHost, ['--expect', '100000', '--reply', '250000'], serverPrefix);
    helpers.push(server);
    const client = runTraffic(['client-tcp', clientHost, String(port), '--send', '100000', '--recv', '250000'], { prefix: clientPrefix });
    helpers.push(client);
    const { lport } = (await client.next('connected')) as unknown as { lport: number };
    expect(await client.exited).toBe(0);
    expect(await server.exited).toBe(0);
    const out = await closedFlow(cap, 'the client flow', byPorts('tcp', lport, port));
    const inn = await closedFlow(cap, 'the server flow', byPorts('tcp', port, lport));
    return { out, inn, server, client };
  }

  it('host client -> server inside the namespace', async () => {
    const { out, inn, server, client } = await exchange(ns.nsAddr, ns.exec, ns.nsAddr, []);
    expect(out).toMatchObject({ laddr: ns.hostAddr, raddr: ns.nsAddr, direction: 'outbound', pid: client.pid, exe: PYTHON, bytes_sent: 100000, bytes_received: 250000 });
    expect(inn).toMatchObject({ laddr: ns.nsAddr, raddr: ns.hostAddr, direction: 'inbound', pid: server.pid, exe: PYTHON, bytes_sent: 250000, bytes_received: 100000 });
    expect(out.connect_latency_us).toBeGreaterThan(0);
    expect(netnsOf(out.flowId)).toBe(hostNetns);
    expect(netnsOf(inn.flowId)).toBe(ns.inode);
  });

  it('client inside the namespace -> host server', async () => {
    const { out, inn, server, client } = await exchange(ns.hostAddr, [], ns.hostAddr, ns.exec);
    expect(out).toMatchObject({ laddr: ns.nsAddr, raddr: ns.hostAddr, direction: 'outbound', pid: client.pid, bytes_sent: 100000, bytes_received: 250000 });
    expect(inn).toMatchObject({ laddr: ns.hostAddr, raddr: ns.nsAddr, direction: 'inbound', pid: server.pid, bytes_sent: 250000, bytes_received: 100000 });
    expect(netnsOf(out.flowId)).toBe(ns.inode);
    expect(netnsOf(inn.flowId)).toBe(hostNetns);
  });

  it('UDP inside the namespace: per-peer flows with exact bytes', async () => {
    const p = runTraffic(['udp-multi', '4'], { prefix: ns.exec });
    helpers.push(p);
    const { aport, bport } = (await p.next('done')) as unknown as { aport: number; bport: number };
    const ab = await closedFlow(cap, 'A -> B', byPorts('udp', aport, bport));
    expect(ab).toMatchObject({ pid: p.pid, bytes_sent: 1000, bytes_received: 300 });
    expect(netnsOf(ab.flowId)).toBe(ns.inode);
  });

  it('a lossy path: retransmits counted, payload bytes still exact (retransmitted bytes once)', async () => {
    const { server, port } = await tcpServer(ns.nsAddr, ['--expect', '300000', '--reply', '1000'], ns.exec);
    helpers.push(server);
    ns.dropEvery(port, 5);
    const client = runTraffic(['client-tcp', ns.nsAddr, String(port), '--send', '300000', '--recv', '1000']);
    helpers.push(client);
    const { lport } = (await client.next('connected')) as unknown as { lport: number };
    expect(await client.exited).toBe(0);
    const out = await closedFlow(cap, 'the lossy client flow', byPorts('tcp', lport, port));
    expect(out).toMatchObject({ pid: client.pid, bytes_sent: 300000, bytes_received: 1000 });
    expect(out.retransmits).toBeGreaterThan(0);
    expect(out.srtt_us).toBeGreaterThan(0);
    console.log(`lossy path: ${out.retransmits} retransmits, ${out.packets_sent} data segments out, srtt ${out.srtt_us} us`);
  });
});
