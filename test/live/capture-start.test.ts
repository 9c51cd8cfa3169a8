// Connections that exist before capture starts: found by the start-up iterator, marked
// seen_at_start, owned by the process that holds them, and counted from that moment on
// (the bytes exchanged before are not in the flow). Also a connection waiting in an
// accept queue at start, a connect() in flight at start, and UDP sockets open at start.
import { afterAll, describe, expect, it } from 'vitest';
import { byPorts, canCapture, closedFlow, skipWhy, startCapture, type Capture } from './helpers/capture';
import { PYTHON, runTraffic, tcpServer, type Helper } from './helpers/procs';

describe.skipIf(!canCapture.ok)(`live capture: connections open before start${skipWhy}`, () => {
  let cap: Capture | null = null;
  const helpers: Helper[] = [];
  afterAll(async () => {
    for (const h of helpers) h.kill();
    await cap?.stop();
  });

  it('a TCP connection open at start: seen_at_start, owner, bytes from then on', async () => {
    // Before capture: connect and send 1000 bytes. After: 7000 more, and a 3000 reply.
    const { server, port } = await tcpServer('127.0.0.1', ['--expect', '8000', '--reply', '3000']);
    helpers.push(server);
    const client = runTraffic(['client-tcp', '127.0.0.1', String(port), '--pre', '1000', '--wait-stdin', '--send', '7000', '--recv', '3000']);
    helpers.push(client);
    const { lport } = (await client.next('connected')) as unknown as { lport: number };
    await new Promise((r) => setTimeout(r, 100)); // the 1000 bytes are delivered and acked

    cap = await startCapture({ intervalMs: 200 });
    const atStart = cap.flows().find(byPorts('tcp', lport, port));
    expect(atStart).toMatchObject({ seen_at_start: true, state: 'ESTABLISHED', pid: client.pid, bytes_sent: 0, bytes_received: 0 });

    client.send('go');
    expect(await client.exited).toBe(0);
    expect(await server.exited).toBe(0);
    const out = await closedFlow(cap, 'the client flow', byPorts('tcp', lport, port));
    const inn = await closedFlow(cap, 'the server flow', byPorts('tcp', port, lport));
    expect(out).toMatchObject({
      seen_at_start: true, direction: 'unknown', pid: client.pid, comm: 'python3.11', exe: PYTHON, uid: 0,
      bytes_sent: 7000, bytes_received: 3000, connect_latency_us: null, state: 'closed',
    });
    expect(inn).toMatchObject({ seen_at_start: true, pid: server.pid, bytes_sent: 3000, bytes_received: 7000, state: 'closed' });
    // Listening sockets are not flows.
    expect(cap.flows().filter((f) => f.lport === port && f.rport === 0)).toEqual([]);
  });

  it('a connection established before start but accepted after: the acceptor owns it, seen_at_start', async () => {
    await cap?.stop();
    cap = null;
    const { server, port } = await tcpServer('127.0.0.1', ['--wait-stdin', '--expect', '6000', '--reply', '2500']);
    helpers.push(server);
    const client = runTraffic(['client-tcp', '127.0.0.1', String(port), '--pre', '1000', '--wait-stdin', '--send', '5000', '--recv', '2500']);
    helpers.push(client);
    const { lport } = (await client.next('connected')) as unknown as { lport: number };
    await new Promise((r) => setTimeout(r, 100));
    cap = await startCapture({ intervalMs: 200 });
    // The client's 5000 bytes arrive while the connection still waits in the accept
    // queue: after start, so counted, although the accept comes later.
    client.send('go');
    await new Promise((r) => setTimeout(r, 100));
    server.send('accept');
    expect(await client.exited).toBe(0);
    expect(await server.exited).toBe(0);
    const inn = await closedFlow(cap, 'the accepted flow', byPorts('tcp', port, lport));
    // The 1000 bytes sent before start are not counted; the 5000 after are.
    expect(inn).toMatchObject({ pid: server.pid, direction: 'inbound', seen_at_start: true, bytes_received: 5000, bytes_sent: 2500 });
  });

  it('a connect in flight at start (SYN_SENT) that completes after: owned by the connecting process', async () => {
    await cap?.stop();
    cap = null;
    // A full accept queue (backlog 0, one connection waiting) drops the client's SYN;
    // its retransmission after 1 s finds room once the server accepts.
    const { server, port } = await tcpServer('127.0.0.1', ['--backlog', '0', '--wait-stdin', '--count', '2', '--expect', '300', '--reply', '0']);
    helpers.push(server);
    const filler = runTraffic(['client-tcp', '127.0.0.1', String(port), '--send', '300']);
    helpers.push(filler);
    await filler.next('connected');
    const client = runTraffic(['client-tcp', '127.0.0.1', String(port), '--send', '300']);
    helpers.push(client);
    await new Promise((r) => setTimeout(r, 200)); // its SYN is out and dropped
    cap = await startCapture({ intervalMs: 200 });
    server.send('accept');
    const { lport } = (await client.next('connected')) as unknown as { lport: number };
    expect(await client.exited).toBe(0);
    const out = await closedFlow(cap, 'the flow of the connect in flight', byPorts('tcp', lport, port));
    expect(out).toMatchObject({ pid: client.pid, comm: 'python3.11', direction: 'outbound', seen_at_start: true, bytes_sent: 300, connect_latency_us: null });
  });

  it('UDP sockets open at start: their flows are marked seen_at_start, bytes exact', async () => {
    // The sockets are bound before capture starts; the datagrams flow after.
    await cap?.stop();
    cap = null;
    const p = runTraffic(['udp-multi', '4', '--wait-before']);
    helpers.push(p);
    const { aport, bport, cport } = (await p.next('ready')) as unknown as { aport: number; bport: number; cport: number };
    cap = await startCapture({ intervalMs: 200 });
    p.send('go');
    expect(await p.exited).toBe(0);
    const ab = await closedFlow(cap, 'A -> B', byPorts('udp', aport, bport));
    const ca = await closedFlow(cap, 'C <- A', byPorts('udp', cport, aport));
    expect(ab).toMatchObject({ seen_at_start: true, pid: p.pid, direction: 'outbound', bytes_sent: 1000, bytes_received: 300 });
    expect(ca).toMatchObject({ seen_at_start: true, pid: p.pid, direction: 'inbound', bytes_sent: 700, bytes_received: 2000 });
  });

  it('a UDP socket opened after start is not marked seen_at_start', async () => {
    const p = runTraffic(['udp-multi', '4']);
    helpers.push(p);
    const { aport, bport } = (await p.next('done')) as unknown as { aport: number; bport: number };
    const ab = await closedFlow(cap!, 'A -> B', byPorts('udp', aport, bport));
    expect(ab).toMatchObject({ seen_at_start: false, bytes_sent: 1000, bytes_received: 300 });
  });
});
