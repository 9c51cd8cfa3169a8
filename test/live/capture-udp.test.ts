// UDP per (socket, peer): one unconnected socket A talks to two peers B and C
// (test/live/helpers/traffic.py udp-multi). Each pair is its own flow with exact bytes
// and datagrams both ways; MSG_PEEK reads are not counted; closing the sockets closes the
// flows with their final counters. IPv4, IPv6 and a v6 socket talking to mapped v4 peers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byPorts, canCapture, closedFlow, flowWhere, skipWhy, startCapture, type Capture } from './helpers/capture';
import { killAllHelpers, PYTHON, runTraffic } from './helpers/procs';

describe.skipIf(!canCapture.ok)(`live UDP capture${skipWhy}`, () => {
  let cap: Capture;
  beforeAll(async () => {
    cap = await startCapture({ intervalMs: 200 });
  });
  afterAll(async () => {
    killAllHelpers();
    await cap?.stop();
  });

  for (const [family, host, peerHost, fam] of [
    ['4', '127.0.0.1', '127.0.0.1', 4],
    ['6', '::1', '::1', 6],
    ['mapped', '::', '127.0.0.1', 4],
  ] as const) {
    it(`family ${family}: two peers, two flows, exact bytes and datagrams each way, peeks not counted`, async () => {
      const p = runTraffic(['udp-multi', family]);
      const done = (await p.next('done')) as unknown as { aport: number; bport: number; cport: number; received: number };
      expect(done.received).toBe(1000); // 300 from B + 700 from C, each peeked once first
      expect(await p.exited).toBe(0);
      const { aport, bport, cport } = done;
      const ab = await closedFlow(cap, 'A -> B', byPorts('udp', aport, bport));
      const ac = await closedFlow(cap, 'A -> C', byPorts('udp', aport, cport));
      const ba = await closedFlow(cap, 'B <- A', byPorts('udp', bport, aport));
      const ca = await closedFlow(cap, 'C <- A', byPorts('udp', cport, aport));
      const owner = { pid: p.pid, comm: 'python3.11', exe: PYTHON, uid: 0, user: 'root', state: 'closed', seen_at_start: false };
      expect(ab).toMatchObject({ ...owner, family: fam, raddr: peerHost, direction: 'outbound', bytes_sent: 1000, packets_sent: 3, bytes_received: 300, packets_received: 1 });
      expect(ac).toMatchObject({ ...owner, family: fam, raddr: peerHost, direction: 'outbound', bytes_sent: 2000, packets_sent: 2, bytes_received: 700, packets_received: 2 });
      expect(ba).toMatchObject({ ...owner, family: fam, direction: 'inbound', bytes_received: 1000, packets_received: 3, bytes_sent: 300, packets_sent: 1 });
      expect(ca).toMatchObject({ ...owner, family: fam, direction: 'inbound', bytes_received: 2000, packets_received: 2, bytes_sent: 700, packets_sent: 2 });
      for (const f of [ab, ac, ba, ca]) {
        expect(f.retransmits).toBeNull();
        expect(f.srtt_us).toBeNull();
        expect(f.connect_latency_us).toBeNull();
        expect(Date.parse(f.end!)).toBeGreaterThanOrEqual(Date.parse(f.start!));
      }
      // Exactly one flow per (socket, peer): nothing double-counted under another key.
      expect(cap.flows().filter((f) => f.proto === 'udp' && (f.lport === aport || f.rport === aport))).toHaveLength(4);
      if (host !== '::') expect(ab.laddr).toBe(host);
    });
  }

  it('counters of an open UDP flow arrive each interval, before the socket closes', async () => {
    const p = runTraffic(['udp-multi', '4', '--wait-stdin']);
    try {
      const { aport, bport } = (await p.next('done')) as unknown as { aport: number; bport: number };
      const ab = await flowWhere(cap, 'open A -> B with its counters', byPorts('udp', aport, bport), (f) => f.bytes_sent === 1000 && f.bytes_received === 300);
      expect(ab.state).toBe('open');
      expect(ab.end).toBeNull();
    } finally {
      p.send('close');
      await p.exited;
    }
  });

  for (const [family, peerHost, fam] of [['4', '127.0.0.1', 4], ['6', '::1', 6], ['mapped', '127.0.0.1', 4]] as const) {
    it(`family ${family}: a connected socket (send/recv, no address per call) is one flow with exact bytes`, async () => {
      const p = runTraffic(['udp-connected', family]);
      const { aport, bport, received } = (await p.next('done')) as unknown as { aport: number; bport: number; received: number };
      expect(received).toBe(1500);
      expect(await p.exited).toBe(0);
      const ab = await closedFlow(cap, 'connected A -> B', byPorts('udp', aport, bport));
      const ba = await closedFlow(cap, 'B <- connected A', byPorts('udp', bport, aport));
      expect(ab).toMatchObject({ pid: p.pid, family: fam, raddr: peerHost, direction: 'outbound', bytes_sent: 1000, packets_sent: 2, bytes_received: 1500, packets_received: 1 });
      expect(ba).toMatchObject({ pid: p.pid, family: fam, raddr: peerHost, direction: 'inbound', bytes_sent: 1500, bytes_received: 1000 });
      expect(cap.flows().filter((f) => f.proto === 'udp' && f.lport === aport)).toHaveLength(1);
    });
  }
});
