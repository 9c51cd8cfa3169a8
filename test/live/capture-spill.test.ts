// The overflow ring (bpf/sockscope.bpf.c, reserve()): with `events` shrunk to one page
// and not drained, records go to `events_spill` (32 MiB here: room for other traffic on
// the host too) instead of being lost, and one reader hands over both rings' records in
// the order they were written (main ring first). The order is checked on the records' own
// times: each is stamped right after its reservation, so within a ring they rise but for
// the two CPUs' interleaving (microseconds).
import { afterEach, describe, expect, it } from 'vitest';
import { openKernelCapture, type KernelCapture } from '../../src/live/kernel';
import { decodeRecord } from '../../src/events/decode';
import { STAT } from '../../src/events/layout';
import { SPILL } from '../../src/loader/hooks';
import type { RingReader } from '../../src/loader';
import { MmapRing } from '../../src/loader/ring-mmap';
import { u32 } from './fixtures/loader-fixture';
import { canCapture, skipWhy } from './helpers/capture';
import { runTraffic, stopHelpers, tcpServer, type Helper } from './helpers/procs';
import { openSocketsOfPort, waitUntilClosed } from './helpers/tcp-table';

/** Records' stamps may go back by this much within one ring, which the reader reads in
 * the order of their reservations: two CPUs interleave, and a program interrupted between
 * its reservation and its stamp stamps late (softirqs run for up to 2 ms on an interrupt's
 * exit). Seen with both CPUs busy (2026-11-29): 0.5 ms back within one walk of the spill,
 * and a 1.5 ms step in a run whose reader held nothing back. Records read in the wrong
 * ring order are a drain period (or a whole burst) apart; the reader's rules are checked
 * exactly in test/unit/loader-ring-pair.test.ts. */
const SLACK_NS = 3_000_000;

interface Seen { kind: 'brief' | 'close' | 'open'; flowId: number; ts: number; lport: number; rport: number }

describe.skipIf(!canCapture.ok)(`the overflow ring${skipWhy}`, () => {
  let cap: KernelCapture | null = null;
  let ring: RingReader | null = null;
  const helpers: Helper[] = [];
  afterEach(async () => {
    await stopHelpers(helpers);
    ring?.close();
    ring = null;
    cap?.obj.close();
    cap = null;
  });

  const stat = (i: number) => Number(cap!.obj.map('stats').lookupPerCpu(u32(i))!.reduce((n, b) => n + b.readBigUInt64LE(0), 0n));

  /** A reader of both rings keeping the records of the given ports' connections: the
   * FLOW_BRIEFs, the FLOW_OPENs of client ends, and the FLOW_CLOSEs of those. */
  function reader(ports: number[]): { ring: RingReader; seen: Seen[] } {
    const seen: Seen[] = [];
    const opened = new Map<number, Seen>();
    const r = cap!.obj.ringBufferAt('events', (buf, offset, length) => {
      const rec = decodeRecord(buf.subarray(offset, offset + length));
      if (rec === null) return;
      if (rec.type === 'flow-brief') {
        const { flowId, lport, rport } = rec.open;
        if (ports.includes(rport) || ports.includes(lport)) seen.push({ kind: 'brief', flowId, ts: rec.close.ts, lport, rport });
      } else if (rec.type === 'flow-open' && rec.proto === 'tcp' && ports.includes(rec.rport)) {
        const s: Seen = { kind: 'open', flowId: rec.flowId, ts: rec.ts, lport: rec.lport, rport: rec.rport };
        opened.set(rec.flowId, s);
        seen.push(s);
      } else if (rec.type === 'flow-close' && opened.has(rec.flowId)) {
        seen.push({ ...opened.get(rec.flowId)!, kind: 'close', ts: rec.ts });
      }
    }, { spill: SPILL });
    return { ring: r, seen };
  }

  /** Drains every 20 ms until `done()` or `timeoutMs`; returns the ms it took. */
  async function drainUntil(r: RingReader, done: () => boolean, timeoutMs: number): Promise<number> {
    const t0 = Date.now();
    for (;;) {
      r.drain();
      if (done() || Date.now() - t0 >= timeoutMs) return Date.now() - t0;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** The largest step back in time between two records read one after the other. */
  function worstStepBack(seen: Seen[]): number {
    let worst = 0;
    let max = -Infinity;
    for (const s of seen) {
      worst = Math.max(worst, max - s.ts);
      max = Math.max(max, s.ts);
    }
    return worst;
  }

  it('a full main ring left undrained: the burst and the closes of flows opened in the main ring all come through the spill, in order, none lost', async () => {
    cap = openKernelCapture(undefined, { ringBytes: 4096, spillBytes: 32 << 20 });
    const held = await tcpServer('127.0.0.1', ['--expect', '1', '--count', '5']);
    const burstSrv = await tcpServer('127.0.0.1', ['--expect', '1', '--count', '300']);
    helpers.push(held.server, burstSrv.server);
    const r = reader([held.port, burstSrv.port]);
    ring = r.ring;
    const hold = runTraffic(['hold-tcp', '127.0.0.1', String(held.port), '5']);
    helpers.push(hold);
    await hold.next('holding');
    // Announce the held connections (FLOW_OPEN: main ring only), and read them.
    ring.drain();
    for (let i = 0; i < 8 && cap.obj.runProgram('snapshot') !== 0; i++) ring.drain();
    ring.drain();
    const opened = new Set(r.seen.filter((s) => s.kind === 'open').map((s) => s.flowId));
    expect(opened.size).toBe(5);
    const lost0 = stat(STAT.LOST);
    const spilled0 = stat(STAT.SPILLED);
    // No drain from here on: 300 connections (600 FLOW_BRIEFs, 110 KB) overflow the page,
    // then the held connections close while the main ring is full.
    const burst = runTraffic(['burst-tcp', '127.0.0.1', String(burstSrv.port), '300']);
    helpers.push(burst);
    await burst.next('done');
    expect(await burstSrv.server.exited).toBe(0);
    hold.child.stdin!.end();
    await hold.exited;
    // A process's exit is not its sockets' closes: an end whose FIN or the ACK of it went
    // missing closes at TCP's loss probe, ~200 ms later (the next test). Wait, still without
    // draining, until the kernel has closed every socket of both ports.
    const stillOpen = await waitUntilClosed([held.port, burstSrv.port], 5_000);
    const spilled = stat(STAT.SPILLED) - spilled0;
    const before = r.seen.length;
    ring.drain();
    const after = r.seen.slice(before);
    const briefs = after.filter((s) => s.kind === 'brief' && (s.lport === burstSrv.port || s.rport === burstSrv.port));
    const closes = after.filter((s) => s.kind === 'close');
    console.log(`one-page ring, not drained: ${spilled} records spilled, lost ${stat(STAT.LOST) - lost0}, ${briefs.length} briefs, ${closes.length} closes of announced flows, worst step back ${worstStepBack(after)} ns`);
    expect(stat(STAT.LOST) - lost0).toBe(0);
    const why = `sockets of the ports not closed yet: ${stillOpen.join(', ') || 'none'}`;
    expect(briefs.filter((s) => s.rport === burstSrv.port).length, why).toBe(300);
    expect(briefs.filter((s) => s.lport === burstSrv.port).length, why).toBe(300);
    expect(new Set(closes.map((s) => s.flowId)), why).toEqual(opened);
    // A page holds 22 briefs: all but those went to the spill, the closes among them.
    expect(spilled).toBeGreaterThanOrEqual(600 + 5 - 4096 / 184);
    expect(worstStepBack(after)).toBeLessThan(SLACK_NS);
    // The closes come after the burst's records: it was over before they closed.
    expect(Math.max(...briefs.map((s) => after.indexOf(s)))).toBeLessThan(Math.min(...closes.map((s) => after.indexOf(s))));
    // The spill's data pages are mapped while it holds records, and unmapped by the first
    // drain that finds it empty.
    expect(ring.spillMapped).toBe(true);
    ring.drain();
    expect(ring.spillMapped).toBe(false);
  });

  it('drained while it spills (a one-page main ring, a reader every 20 ms): every connection once, in order, none lost', async () => {
    cap = openKernelCapture(undefined, { ringBytes: 4096, spillBytes: 32 << 20 });
    const n = 2000;
    const { server, port } = await tcpServer('127.0.0.1', ['--expect', '1', '--count', String(n)]);
    helpers.push(server);
    const r = reader([port]);
    ring = r.ring;
    const lost0 = stat(STAT.LOST);
    const spilled0 = stat(STAT.SPILLED);
    ring.start(20);
    const burst = runTraffic(['burst-tcp', '127.0.0.1', String(port), String(n)], { timeoutMs: 40_000 });
    helpers.push(burst);
    await burst.next('done');
    expect(await server.exited).toBe(0);
    ring.stop();
    // The server's exit is not every close: an end whose FIN (or the ACK of it) went missing
    // waits in LAST_ACK for TCP's tail loss probe, 2 x srtt + 200 ms after the FIN. Seen with
    // both CPUs busy (two busy loops): 5 runs in 610, each the server end of one connection
    // closing 246-249 ms after its open, 125-170 ms after the one drain this test made then
    // (its retransmits 1, TcpExt TCPLossProbes +1, nothing lost); its record came in the next
    // drain. So drain until every record is in, for up to 5 s (the probe and four
    // retransmission timeouts after it): a record that never comes still fails below,
    // with the port's sockets the kernel had not closed by then.
    const waitedMs = await drainUntil(ring, () => r.seen.length >= 2 * n, 5_000);
    // A socket freed without the programs seeing its close (bpf/README "Known limits")
    // leaves its entry: the snapshot, which live runs every interval, reports its flow
    // closed unseen. Run only now that the port's sockets are closed: earlier it would
    // announce open flows, whose closes then come as FLOW_CLOSEs, not FLOW_BRIEFs.
    const unseen0 = stat(STAT.UNSEEN);
    if (r.seen.length < 2 * n) {
      for (let i = 0; i < 8 && cap.obj.runProgram('snapshot') !== 0; i++) ring.drain();
      ring.drain();
    }
    const unseen = stat(STAT.UNSEEN) - unseen0;
    const stillOpen = r.seen.length < 2 * n ? openSocketsOfPort(port) : [];
    const spilled = stat(STAT.SPILLED) - spilled0;
    const ids = new Set(r.seen.map((s) => s.flowId));
    console.log(`one-page ring drained every 20 ms: ${r.seen.length} briefs (${waitedMs} ms after the server's exit), ${spilled} records spilled, lost ${stat(STAT.LOST) - lost0}, ${ring.spillWaits} drains held the spill for a record still being written, ${unseen} closes unseen reported by the snapshot, worst step back ${worstStepBack(r.seen)} ns`);
    expect(stat(STAT.LOST) - lost0).toBe(0);
    expect(spilled).toBeGreaterThan(0);
    expect(r.seen.length, `sockets of the port not closed yet: ${stillOpen.join(', ') || 'none'}`).toBe(2 * n);
    expect(ids.size).toBe(2 * n);
    expect(worstStepBack(r.seen)).toBeLessThan(SLACK_NS);
  });
  it('a walk of the spill up to a position (what the reader reads first after a record was still being written) hands out the records before it, and the next walk the rest, in order', async () => {
    cap = openKernelCapture(undefined, { ringBytes: 4096, spillBytes: 1 << 20 });
    const srv = await tcpServer('127.0.0.1', ['--expect', '1', '--count', '100']);
    helpers.push(srv.server);
    // No reader: the one-page main ring fills and stays full, so the spill takes the rest.
    const burst = runTraffic(['burst-tcp', '127.0.0.1', String(srv.port), '100']);
    helpers.push(burst);
    await burst.next('done');
    expect(await srv.server.exited).toBe(0);
    await waitUntilClosed([srv.port], 5_000);
    const map = cap.obj.map(SPILL.ring);
    const spill = new MmapRing(SPILL.ring, map.fd, map.maxEntries, true);
    try {
      const seen: Seen[] = [];
      let walked = 0;
      const onRecord = (buf: Buffer, offset: number, length: number) => {
        walked++;
        const rec = decodeRecord(buf.subarray(offset, offset + length));
        if (rec?.type !== 'flow-brief') return;
        const { flowId, lport, rport } = rec.open;
        if (lport === srv.port || rport === srv.port) seen.push({ kind: 'brief', flowId, ts: rec.close.ts, lport, rport });
      };
      // The briefs the main ring took before it filled.
      const mainMap = cap.obj.map('events');
      const main = new MmapRing('events', mainMap.fd, mainMap.maxEntries);
      main.drain(onRecord);
      main.close();
      const inMain = seen.length;
      seen.length = 0;
      walked = 0;
      const start = spill.consumed;
      const end = spill.produced();
      const half = start + Math.floor((end - start) / 2);
      const first = spill.drain(onRecord, half);
      expect(first.records).toBeGreaterThan(0);
      // The reader's limit is a record's start (a producer position); this one falls inside
      // a record, which is read whole: the walk ends at most one record past it.
      expect(first.pos).toBeGreaterThanOrEqual(half);
      expect(first.pos - half).toBeLessThan(1024);
      const firstCount = seen.length;
      const rest = spill.drain(onRecord);
      expect(rest.records).toBeGreaterThan(0);
      expect(spill.consumed).toBeGreaterThanOrEqual(end); // more if the host wrote meanwhile
      expect(first.records + rest.records).toBe(walked);
      // With the main ring's, the 200 briefs, each read once, in the order written.
      expect(firstCount).toBeGreaterThan(0);
      expect(inMain + seen.length).toBe(200);
      expect(new Set(seen.map((x) => x.flowId)).size).toBe(seen.length);
      expect(worstStepBack(seen)).toBeLessThan(SLACK_NS);
    } finally {
      spill.close();
    }
  });
});
