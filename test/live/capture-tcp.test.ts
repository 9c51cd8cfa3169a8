// TCP as sockscope reports it, against real processes on loopback whose pid, uid and
// payload the test knows: outbound and inbound ownership (a forked worker that accepts,
// a second thread that connects), exact payload bytes both ways, connect latency, close
// with final counters, IPv6 and IPv4-mapped peers, refused and timed-out connects (events,
// no flow), and a process that exits right after sending.
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byPorts, canCapture, closedFlow, flowWhere, skipWhy, startCapture, type Capture } from './helpers/capture';
import { PYTHON, runTraffic, tcpServer, type Helper } from './helpers/procs';

/** A port nothing listens on: bound then released by this process. */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe.skipIf(!canCapture.ok)(`live TCP capture${skipWhy}`, () => {
  let cap: Capture;
  const helpers: Helper[] = [];
  const track = (h: Helper) => (helpers.push(h), h);

  beforeAll(async () => {
    cap = await startCapture({ intervalMs: 200 });
  });
  afterAll(async () => {
    for (const h of helpers) h.kill();
    await cap?.stop();
  });

  /** One exchange: the client sends `send` bytes, the server replies `reply`, both close. */
  async function exchange(serverHost: string, clientHost: string, send: number, reply: number, serverArgs: string[] = []) {
    const t0 = Date.now();
    const { server, port, worker } = await tcpServer(serverHost, ['--expect', String(send), '--reply', String(reply), ...serverArgs]);
    track(server);
    const client = track(runTraffic(['client-tcp', clientHost, String(port), '--send', String(send), '--recv', String(reply)]));
    const { lport } = (await client.next('connected')) as unknown as { lport: number };
    expect(await client.exited).toBe(0);
    expect(await server.exited).toBe(0);
    const out = await closedFlow(cap, 'the client flow', byPorts('tcp', lport, port));
    const inn = await closedFlow(cap, 'the server flow', byPorts('tcp', port, lport));
    return { out, inn, client, server, worker, port, lport, t0, t1: Date.now() };
  }

  it('outbound and inbound on 127.0.0.1: owners, exact payload both ways, latency, close', async () => {
    const { out, inn, client, server, t0, t1 } = await exchange('127.0.0.1', '127.0.0.1', 12345, 54321);
    expect(out).toMatchObject({
      family: 4, laddr: '127.0.0.1', raddr: '127.0.0.1', direction: 'outbound',
      pid: client.pid, tid: client.pid, ppid: process.pid, comm: 'python3.11', exe: PYTHON, uid: 0, gid: 0, user: 'root',
      bytes_sent: 12345, bytes_received: 54321, state: 'closed', seen_at_start: false, retransmits: 0,
    });
    expect(inn).toMatchObject({
      family: 4, direction: 'inbound', pid: server.pid, comm: 'python3.11', exe: PYTHON, uid: 0,
      bytes_sent: 54321, bytes_received: 12345, state: 'closed', connect_latency_us: null, retransmits: 0,
    });
    expect(out.connect_latency_us).toBeGreaterThan(0);
    expect(out.connect_latency_us).toBeLessThan(1_000_000);
    for (const f of [out, inn]) {
      expect(f.srtt_us).toBeGreaterThan(0);
      expect(f.packets_sent).toBeGreaterThanOrEqual(1);
      expect(f.packets_received).toBeGreaterThanOrEqual(1);
      // Wall-clock start/end inside the test's own window (1 s slack for clock rounding).
      const start = Date.parse(f.start!);
      const end = Date.parse(f.end!);
      expect(end).toBeGreaterThanOrEqual(start);
      expect(start).toBeGreaterThanOrEqual(t0 - 1000);
      expect(end).toBeLessThanOrEqual(t1 + 1000);
    }
    console.log(`connect latency ${out.connect_latency_us} us, srtt ${out.srtt_us}/${inn.srtt_us} us`);
  });

  it('inbound accepted by a forked worker that never called listen(): the worker owns it', async () => {
    const { inn, out, server, worker, client } = await exchange('127.0.0.1', '127.0.0.1', 4000, 6000, ['--fork']);
    expect(worker).not.toBeNull();
    expect(worker).not.toBe(server.pid);
    expect(inn).toMatchObject({ direction: 'inbound', pid: worker, tid: worker, ppid: server.pid, bytes_received: 4000, bytes_sent: 6000 });
    expect(out).toMatchObject({ pid: client.pid, bytes_sent: 4000, bytes_received: 6000 });
  });

  it('inbound accepted and closed without any send or receive: the task that closed it owns it', async () => {
    // No send or receive ever names this socket's owner: its release does (cgroup/sock_release,
    // in the closing task), as bench/c/tcp_churn.c's server does it at full rate.
    const { server, port } = await tcpServer('127.0.0.1', ['--close-at-once']);
    track(server);
    const client = track(runTraffic(['client-tcp', '127.0.0.1', String(port)]));
    const { lport } = (await client.next('connected')) as unknown as { lport: number };
    expect(await client.exited).toBe(0);
    expect(await server.exited).toBe(0);
    const inn = await closedFlow(cap, 'the server flow', byPorts('tcp', port, lport));
    expect(inn).toMatchObject({ direction: 'inbound', pid: server.pid, tid: server.pid, comm: 'python3.11', bytes_sent: 0, bytes_received: 0, state: 'closed' });
  });

  it('inbound waiting in the accept queue, untouched: listed after a second without an owner, then its reader\'s', async () => {
    // Only a task's send, receive or release names an inbound socket's owner; a connection
    // nobody touches (the server has not accepted it) is announced without one after 1 s
    // (SS_UNNAMED_AFTER_NS), so that it is listed at all. The server's first receive, once
    // it accepts, names it: a FLOW_OWNER record moves the flow to the server.
    const { server, port } = await tcpServer('127.0.0.1', ['--wait-stdin']);
    track(server);
    const client = track(runTraffic(['client-tcp', '127.0.0.1', String(port), '--wait-stdin']));
    const { lport } = (await client.next('connected')) as unknown as { lport: number };
    const t0 = Date.now();
    try {
      const inn = await flowWhere(cap, 'the waiting server flow', byPorts('tcp', port, lport), (f) => f.state === 'ESTABLISHED');
      expect(Date.now() - t0).toBeGreaterThanOrEqual(800);
      expect(inn).toMatchObject({ direction: 'inbound', end: null, bytes_sent: 0, bytes_received: 0 });
      expect(inn.pid ?? 0).toBe(0);
    } finally {
      server.send('go');
      client.send('go');
    }
    expect(await client.exited).toBe(0);
    expect(await server.exited).toBe(0);
    const closed = await closedFlow(cap, 'the server flow, closed', byPorts('tcp', port, lport));
    expect(closed).toMatchObject({ direction: 'inbound', state: 'closed', pid: server.pid, comm: 'python3.11' });
  });

  it('inbound accepted by one process and served by a child it forks: the child owns it (first send/receive)', async () => {
    // The owner is the first task that sends or receives on the socket, not the accepting
    // one (sockscope has no accept hook): a pre-forking server's handler, not its acceptor.
    const { server, port } = await tcpServer('127.0.0.1', ['--handoff', '--expect', '700', '--reply', '900']);
    track(server);
    const client = track(runTraffic(['client-tcp', '127.0.0.1', String(port), '--send', '700', '--recv', '900']));
    const { lport } = (await client.next('connected')) as unknown as { lport: number };
    const { child } = (await server.next('handed')) as unknown as { child: number };
    expect(await client.exited).toBe(0);
    expect(await server.exited).toBe(0);
    const inn = await closedFlow(cap, 'the server flow', byPorts('tcp', port, lport));
    expect(inn).toMatchObject({ direction: 'inbound', pid: child, ppid: server.pid, bytes_received: 700, bytes_sent: 900 });
  });

  it('IPv6 on ::1', async () => {
    const { out, inn, client, server } = await exchange('::1', '::1', 3333, 7777);
    expect(out).toMatchObject({ family: 6, laddr: '::1', raddr: '::1', pid: client.pid, direction: 'outbound', bytes_sent: 3333, bytes_received: 7777 });
    expect(inn).toMatchObject({ family: 6, laddr: '::1', raddr: '::1', pid: server.pid, direction: 'inbound', bytes_sent: 7777, bytes_received: 3333 });
    expect(out.connect_latency_us).toBeGreaterThan(0);
  });

  it('an IPv4 client of a dual-stack (::) server: the mapped peer is family 4 with dotted addresses', async () => {
    const { out, inn, server } = await exchange('::', '127.0.0.1', 1111, 2222);
    expect(inn).toMatchObject({ family: 4, laddr: '127.0.0.1', raddr: '127.0.0.1', pid: server.pid, bytes_received: 1111, bytes_sent: 2222 });
    expect(out).toMatchObject({ family: 4, laddr: '127.0.0.1', raddr: '127.0.0.1' });
  });

  it('a refused connect is a connect-fail event with its owner, and no flow', async () => {
    const port = await freePort('127.0.0.1');
    const client = track(runTraffic(['refused', '127.0.0.1', String(port)]));
    expect((await client.next('refused')).errno).toBe(111);
    const fail = await cap.waitFor('the connect failure', () => cap.state.failures.find((f) => f.owner.pid === client.pid && f.rport === port));
    expect(fail).toMatchObject({ what: 'refused', raddr: '127.0.0.1', owner: { pid: client.pid, uid: 0, comm: 'python3.11' } });
    expect(cap.state.totals.connectFailures).toBeGreaterThanOrEqual(1);
    await cap.nextTick();
    // The client's own flows to that port (another test's server may bind the port, freed
    // again, while the files run in parallel: its flows are not this connect's).
    expect(cap.flows().filter((f) => f.pid === client.pid && (f.rport === port || f.lport === port))).toEqual([]);
  });

  it('a process that exits right after sending is still attributed, exe included', async () => {
    const { server, port } = await tcpServer('127.0.0.1', ['--expect', '5000']);
    track(server);
    const client = track(runTraffic(['client-tcp', '127.0.0.1', String(port), '--send', '5000', '--exit-now']));
    const { lport } = (await client.next('connected')) as unknown as { lport: number };
    expect(await client.exited).toBe(0);
    const out = await closedFlow(cap, 'the flow of the exited client', byPorts('tcp', lport, port));
    expect(out).toMatchObject({ pid: client.pid, comm: 'python3.11', exe: PYTHON, uid: 0, user: 'root', bytes_sent: 5000, bytes_received: 0 });
  });

  it('a connection made by a second thread: pid is the process, tid the thread', async () => {
    const { server, port } = await tcpServer('127.0.0.1', ['--expect', '100', '--reply', '200']);
    track(server);
    const client = track(runTraffic(['client-tcp', '127.0.0.1', String(port), '--send', '100', '--recv', '200', '--thread']));
    const { lport, tid } = (await client.next('connected')) as unknown as { lport: number; tid: number };
    expect(tid).not.toBe(client.pid);
    expect(await client.exited).toBe(0);
    const out = await closedFlow(cap, 'the threaded client flow', byPorts('tcp', lport, port));
    expect(out).toMatchObject({ pid: client.pid, tid, ppid: process.pid, bytes_sent: 100, bytes_received: 200 });
  });

  it('a connect that times out (SYNs dropped by a full accept queue) is a timeout failure', async () => {
    // Backlog 0 and no accept: the first connection fills the queue, later SYNs are
    // dropped. TCP_SYNCNT=1: one retransmission, then ETIMEDOUT after about 3 s.
    const { server, port } = await tcpServer('127.0.0.1', ['--backlog', '0', '--wait-stdin']);
    track(server);
    const filler = track(runTraffic(['hold-tcp', '127.0.0.1', String(port), '1']));
    await filler.next('holding');
    const client = track(runTraffic(['refused', '127.0.0.1', String(port), '--syncnt', '1']));
    expect((await client.next('refused')).errno).toBe(110);
    const fail = await cap.waitFor('the timeout', () => cap.state.failures.find((f) => f.owner.pid === client.pid && f.rport === port));
    expect(fail.what).toBe('timeout');
    expect(cap.flows().filter((f) => f.pid === client.pid)).toEqual([]);
    filler.child.stdin!.end();
  });

  it('an open connection: exact counters each interval from the snapshot, before any close', async () => {
    const { server, port } = await tcpServer('127.0.0.1', ['--expect', '4096', '--reply', '2048']);
    track(server);
    const client = track(runTraffic(['client-tcp', '127.0.0.1', String(port), '--pre', '4096', '--wait-stdin']));
    const { lport } = (await client.next('connected')) as unknown as { lport: number };
    try {
      const open = (f: { state: string; bytes_sent: number; bytes_received: number }) => f.state === 'ESTABLISHED' && f.bytes_sent === 4096 && f.bytes_received === 2048;
      const out = await flowWhere(cap, 'the open client flow with its counters', byPorts('tcp', lport, port), open);
      const inn = await flowWhere(cap, 'the open server flow with its counters', byPorts('tcp', port, lport), (f) => f.state === 'ESTABLISHED' && f.bytes_received === 4096 && f.bytes_sent === 2048);
      expect(out).toMatchObject({ pid: client.pid, end: null, retransmits: 0 });
      expect(out.srtt_us).toBeGreaterThan(0);
      expect(inn).toMatchObject({ pid: server.pid, end: null });
    } finally {
      client.send('go');
    }
    expect(await client.exited).toBe(0);
    const closed = await closedFlow(cap, 'the client flow, closed', byPorts('tcp', lport, port));
    expect(closed).toMatchObject({ bytes_sent: 4096, bytes_received: 2048 });
  });

  it('TCP states between open and close are sampled each interval: the server closes first, both ends stay open', async () => {
    const { server, port } = await tcpServer('127.0.0.1', ['--expect', '100', '--reply', '50', '--shut-first']);
    track(server);
    const client = track(runTraffic(['client-tcp', '127.0.0.1', String(port), '--pre', '100', '--wait-stdin']));
    const { lport } = (await client.next('connected')) as unknown as { lport: number };
    await server.next('shut');
    try {
      const out = await flowWhere(cap, 'the client flow in CLOSE_WAIT', byPorts('tcp', lport, port), (f) => f.state === 'CLOSE_WAIT');
      const inn = await flowWhere(cap, 'the server flow in FIN_WAIT2', byPorts('tcp', port, lport), (f) => f.state === 'FIN_WAIT2');
      expect(out).toMatchObject({ pid: client.pid, end: null, bytes_sent: 100, bytes_received: 50 });
      expect(inn).toMatchObject({ pid: server.pid, end: null, bytes_sent: 50, bytes_received: 100 });
      // The change is a flow-state event (sampled from tcp_socks), after the flow's open.
      const flowId = cap.flows().find((f) => f.lport === lport && f.rport === port)!.flowId;
      const events = cap.batches.flat().filter((e) => 'flowId' in e && e.flowId === flowId);
      expect(events.map((e) => e.type).slice(0, 2)).toEqual(['flow-open', 'flow-state']);
      expect(events.find((e) => e.type === 'flow-state')).toMatchObject({ state: 'CLOSE_WAIT' });
    } finally {
      client.send('go');
    }
    expect(await client.exited).toBe(0);
    expect(await server.exited).toBe(0);
    const closed = await closedFlow(cap, 'the client flow, closed', byPorts('tcp', lport, port));
    expect(closed).toMatchObject({ bytes_sent: 100, bytes_received: 50, state: 'closed' });
  });
});
