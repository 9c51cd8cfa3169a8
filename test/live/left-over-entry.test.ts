// A tcp_socks entry left by a socket whose close the programs did not see (bpf/README
// "Known limits": a few per 150,000 connections at the maximum rate, the kernel skipping
// the programs). The kernel reuses a freed socket's address for the next one, whose insert
// then finds the old entry: before replace_left_over, an inbound socket kept it and its
// close ended the old flow (old id, old owner) instead of its own, and nothing was counted;
// then the left-over was only counted as a lost event, its flow missing. The left-overs
// are made here by writing the entries of closed connections back under their keys; the
// connections after them must each be reported under a fresh flow id, and every left-over
// a new socket met must be reported itself: one FLOW_BRIEF with its own id and addresses,
// marked close-unseen (SS_CLOSE_UNSEEN), counted in SS_STAT_UNSEEN and not as lost. One
// that the snapshot finds freed is reported with the final counters its socket kept.
import { describe, expect, it } from 'vitest';
import { decodeRecord } from '../../src/events/decode';
import { SLOT as SLOT_VALUE, STAT, TCP_SOCK } from '../../src/events/layout';
import type { BpfMap } from '../../src/loader/bpf-map';
import { u32 } from './fixtures/loader-fixture';
import { canCapture, skipWhy } from './helpers/capture';
import { kernelCaptureEachTest } from './helpers/kernel-fixture';
import { runTraffic, tcpServer } from './helpers/procs';

const HELD = 20;
/** Bytes each held connection's client sends (its server reads them). */
const HELD_BYTES = 3;
const BURST = 300;
const { flow_id: FLOW_ID, slot: SLOT } = TCP_SOCK.members;
/** Slots at the top of the index (262,144), far from where slot_take starts: a planted
 * entry's delete gives back a slot no real entry holds. */
const SPARE_SLOT = 262143;

describe.skipIf(!canCapture.ok)(`an entry a closed socket left in tcp_socks${skipWhy}`, () => {
  const { open, helpers } = kernelCaptureEachTest();

  /** The tcp_socks entries of HELD connections (both ends), saved while they are open
   * and handed back once every one of those sockets has closed (and is freed): what a
   * close the programs did not see would leave. `before`: the keys to leave out. */
  async function entriesOfClosedSockets(socks: BpfMap, before: Set<string>): Promise<{ saved: Array<[Buffer, Buffer]>; port: number }> {
    const first = await tcpServer('127.0.0.1', ['--count', String(HELD)]);
    helpers.push(first.server);
    const hold = runTraffic(['hold-tcp', '127.0.0.1', String(first.port), String(HELD), '--send', String(HELD_BYTES)]);
    helpers.push(hold);
    await hold.next('holding');
    const saved = socks.entries().filter(([k]) => !before.has(k.toString('hex')));
    expect(saved.length).toBeGreaterThanOrEqual(2 * HELD);
    hold.child.stdin!.end();
    await first.server.exited;
    await hold.exited;
    // The last ACKs may still be on their way when both processes have exited.
    const stillOpen = () => {
      const open = new Set(socks.keys().map((k) => k.toString('hex')));
      return saved.filter(([k]) => open.has(k.toString('hex'))).length;
    };
    for (let i = 0; i < 40 && stillOpen() > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(stillOpen()).toBe(0);
    return { saved, port: first.port };
  }

  it('is replaced by the next socket at its address and reported as a flow closed unseen', async () => {
    const cap = open();
    const socks = cap.obj.map('tcp_socks');
    const stats = cap.obj.map('stats');
    const stat = (i: number) => stats.lookupPerCpu(u32(i))!.reduce((n, b) => n + b.readBigUInt64LE(0), 0n);
    const lost = () => stat(STAT.LOST);
    const unseen = () => stat(STAT.UNSEEN);
    const before = new Set(socks.keys().map((k) => k.toString('hex')));
    // Read from the start: the first connections' records are drained before the count.
    const ids = { out: new Set<number>(), in: new Set<number>() };
    let plantedIds = new Set<number>();
    let stolen = 0;
    let port = -1;
    let heldPort = -1;
    /** Planted flows reported closed unseen, by id: their ports as the record gives them. */
    const reported = new Map<number, { lport: number; rport: number }>();
    const ring = cap.obj.ringBufferAt('events', (buf, offset, length) => {
      const rec = decodeRecord(buf.subarray(offset, offset + length));
      if (rec?.type !== 'flow-brief' && rec?.type !== 'flow-close') return;
      const flowId = rec.type === 'flow-brief' ? rec.open.flowId : rec.flowId;
      const close = rec.type === 'flow-brief' ? rec.close : rec;
      if (plantedIds.has(flowId)) {
        if (close.closeUnseen && rec.type === 'flow-brief' && !reported.has(flowId)) reported.set(flowId, { lport: rec.open.lport, rport: rec.open.rport });
        else stolen++; // ended by another socket's close, or reported twice
        return;
      }
      if (close.closeUnseen) stolen++; // a flow of no left-over marked unseen
      if (rec.type !== 'flow-brief') return;
      const { lport, rport } = rec.open;
      if (rport === port) ids.out.add(flowId);
      else if (lport === port) ids.in.add(flowId);
    });

    // HELD connections open at once, both ends of each with an entry, then closed.
    const { saved, port: held } = await entriesOfClosedSockets(socks, before);
    heldPort = held;
    const planted = saved;
    ring.drain();
    plantedIds = new Set<number>();
    planted.forEach(([key, value], i) => {
      value.writeUInt32LE(SPARE_SLOT - i, SLOT.offset);
      plantedIds.add(value.readUInt32LE(FLOW_ID.offset));
      socks.update(key, value);
    });
    const lostBefore = lost();
    const unseenBefore = unseen();

    // A left-over a new socket met is gone, or holds that socket's entry (a new flow id).
    const metCount = () => planted.filter(([key, value]) => {
      const now = socks.lookup(key);
      return now === null || now.readUInt32LE(FLOW_ID.offset) !== value.readUInt32LE(FLOW_ID.offset);
    }).length;
    // The slab hands a freed socket's address to a later socket, but not always within one
    // burst: up to five, each reported whole.
    let met = 0;
    let bursts = 0;
    while (met === 0 && bursts < 5) {
      bursts++;
      ids.out.clear();
      ids.in.clear();
      const server = await tcpServer('127.0.0.1', ['--expect', '1', '--count', String(BURST)]);
      helpers.push(server.server);
      port = server.port;
      const burst = runTraffic(['burst-tcp', '127.0.0.1', String(server.port), String(BURST)]);
      helpers.push(burst);
      await burst.next('done');
      await server.server.exited;
      ring.drain();
      expect(ids.out.size).toBe(BURST);
      expect(ids.in.size).toBe(BURST);
      met = metCount();
    }
    ring.close();
    for (const [key, value] of planted) {
      const now = socks.lookup(key);
      if (now && now.readUInt32LE(FLOW_ID.offset) === value.readUInt32LE(FLOW_ID.offset)) socks.delete(key);
    }
    console.log(`${planted.length} left-over entries planted, ${met} met by a new socket in ${bursts} x ${BURST} connections`);
    expect(met).toBeGreaterThan(0);
    expect(Number(lost() - lostBefore)).toBe(0);
    expect(Number(unseen() - unseenBefore)).toBe(met);
    expect(reported.size).toBe(met);
    // Each under its own addresses (the held connection's), not the new socket's.
    for (const { lport, rport } of reported.values()) expect(lport === heldPort || rport === heldPort).toBe(true);
    expect(stolen).toBe(0);
  });
  it('whose socket is freed and whose address no socket takes is reported by the next snapshot', async () => {
    const cap = open();
    const socks = cap.obj.map('tcp_socks');
    const liveSlots = cap.obj.map('live_slots');
    const slotKeys = cap.obj.map('slot_keys');
    const stats = cap.obj.map('stats');
    const stat = (i: number) => stats.lookupPerCpu(u32(i))!.reduce((n, b) => n + b.readBigUInt64LE(0), 0n);
    const before = new Set(socks.keys().map((k) => k.toString('hex')));
    let plantedIds = new Set<number>();
    let twice = 0;
    const reported = new Map<number, { lport: number; rport: number; sent: number; received: number }>();
    const ring = cap.obj.ringBufferAt('events', (buf, offset, length) => {
      const rec = decodeRecord(buf.subarray(offset, offset + length));
      if (rec?.type !== 'flow-brief' || !plantedIds.has(rec.open.flowId)) return;
      if (!rec.close.closeUnseen || reported.has(rec.open.flowId)) twice++;
      else {
        const { bytesSent: sent, bytesReceived: received } = rec.close.counters;
        reported.set(rec.open.flowId, { lport: rec.open.lport, rport: rec.open.rport, sent, received });
      }
    });
    const { saved, port: heldPort } = await entriesOfClosedSockets(socks, before);
    ring.drain();
    // Planted with a slot each (a bit of live_slots, the key in slot_keys), as an insert
    // makes them, so that the snapshot's walk of the slot index visits them.
    plantedIds = new Set(saved.map(([, value]) => value.readUInt32LE(FLOW_ID.offset)));
    saved.forEach(([key, value], i) => {
      const slot = SPARE_SLOT - i;
      value.writeUInt32LE(slot, SLOT.offset);
      socks.update(key, value);
      const slotValue = Buffer.alloc(SLOT_VALUE.size); // not settled: the snapshot reads the entry
      key.copy(slotValue, SLOT_VALUE.members.key.offset);
      slotKeys.update(u32(slot), slotValue);
      const word = liveSlots.lookup(u32(Math.floor(slot / 64)))!;
      word.writeBigUInt64LE(word.readBigUInt64LE(0) | (1n << BigInt(slot % 64)), 0);
      liveSlots.update(u32(Math.floor(slot / 64)), word);
    });
    const lost0 = stat(STAT.LOST);
    const unseen0 = stat(STAT.UNSEEN);
    for (let i = 0; i < 8 && cap.obj.runProgram('snapshot') !== 0; i++) ring.drain();
    ring.drain();
    ring.close();
    const gone = saved.filter(([key, value]) => {
      const now = socks.lookup(key);
      return now === null || now.readUInt32LE(FLOW_ID.offset) !== value.readUInt32LE(FLOW_ID.offset);
    }).length;
    // Left as found: an entry still planted (its address given to another socket by then,
    // whose own insert or close reports it) is taken out, with its slot.
    saved.forEach(([key, value], i) => {
      const now = socks.lookup(key);
      if (!now || now.readUInt32LE(FLOW_ID.offset) !== value.readUInt32LE(FLOW_ID.offset)) return;
      socks.delete(key);
      const slot = SPARE_SLOT - i;
      const word = liveSlots.lookup(u32(Math.floor(slot / 64)))!;
      word.writeBigUInt64LE(word.readBigUInt64LE(0) & ~(1n << BigInt(slot % 64)), 0);
      liveSlots.update(u32(Math.floor(slot / 64)), word);
    });
    console.log(`${saved.length} entries of freed sockets planted, ${reported.size} reported by one snapshot, ${gone} taken out`);
    // The host may hand a few of those addresses to sockets of its own meanwhile; most stay.
    expect(reported.size).toBeGreaterThan(saved.length / 2);
    expect(reported.size).toBe(gone);
    expect(twice).toBe(0);
    expect(Number(stat(STAT.LOST) - lost0)).toBe(0);
    expect(Number(stat(STAT.UNSEEN) - unseen0)).toBe(reported.size);
    for (const { lport, rport } of reported.values()) expect(lport === heldPort || rport === heldPort).toBe(true);
    // With its final counters, read from the freed socket (the planted entries hold none).
    for (const { lport, sent, received } of reported.values()) {
      expect(lport === heldPort ? [sent, received] : [sent, received].reverse()).toEqual([0, HELD_BYTES]);
    }
  });
});
