// tcp_socks read through the snapshot's slot index (src/loader/slot-index.ts) holds the
// same entries as a batch read of the whole map, with connections held open (both ends
// local: two entries each) and the kernel's own state of the host around them; asked for
// changes only, it reads the entries the snapshot marked in changed_slots.
import { describe, expect, it } from 'vitest';
import { SlotIndexedMap, MAX_LOOKED_UP } from '../../src/loader/slot-index';
import { OWNER, SLOT, TCP_PHASE, TCP_SOCK } from '../../src/events/layout';
import { u32 } from './fixtures/loader-fixture';
import { canCapture, skipWhy } from './helpers/capture';
import { kernelCaptureEachTest } from './helpers/kernel-fixture';
import { runTraffic, tcpServer } from './helpers/procs';

function entries(read: (fn: (k: Buffer, ko: number, v: Buffer, vo: number) => void) => void): Map<string, number> {
  const out = new Map<string, number>();
  read((k, ko, v, vo) => out.set(k.subarray(ko, ko + 8).toString('hex'), v.readUInt32LE(vo + TCP_SOCK.members.flow_id.offset)));
  return out;
}

/** struct ss_slot's head: the flow is settled (bpf/sockscope.bpf.c SS_SLOT_SETTLED). */
const SETTLED = 1n << 40n;
/** Where a tcp_socks value holds its owner's tgid. */
const OWNER_TGID = TCP_SOCK.members.owner.offset + OWNER.members.tgid.offset;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!canCapture.ok)(`tcp_socks through the slot index${skipWhy}`, () => {
  const { open, helpers } = kernelCaptureEachTest();

  /** Capture open, and 20 connections held by one helper after sending 100 bytes each;
   * their ACKs (srtt_us) in before the first snapshot. */
  async function holdTwenty() {
    const { server, port } = await tcpServer('127.0.0.1');
    helpers.push(server);
    const cap = open();
    const hold = runTraffic(['hold-tcp', '127.0.0.1', String(port), '20', '--send', '100']);
    helpers.push(hold);
    await hold.next('holding');
    await sleep(300);
    return { cap, hold };
  }

  it('reads the entries a batch read of tcp_socks reads', async () => {
    const { server, port } = await tcpServer('127.0.0.1');
    helpers.push(server);
    const cap = open();
    const hold = runTraffic(['hold-tcp', '127.0.0.1', String(port), '20']);
    helpers.push(hold);
    await hold.next('holding');
    cap.obj.runProgram('snapshot');
    const tcpSocks = cap.obj.map('tcp_socks');
    const indexed = new SlotIndexedMap(tcpSocks, cap.obj.map('live_slots'), cap.obj.map('slot_keys'), TCP_SOCK.members.slot.offset);
    // Other processes' sockets come and go meanwhile: what two batch reads around the
    // index read both hold must be in the index read too (the 20 held connections at least).
    const before = entries((fn) => tcpSocks.forEachEntryAt(fn));
    const viaIndex = entries((fn) => indexed.forEachEntryAt(fn));
    const viaBatch = entries((fn) => tcpSocks.forEachEntryAt(fn));
    const stable = [...viaBatch].filter(([k, id]) => before.get(k) === id);
    expect(stable.length).toBeGreaterThanOrEqual(20);
    for (const [k, id] of stable) expect(viaIndex.get(k), `entry ${k}`).toBe(id);
    if (viaBatch.size <= MAX_LOOKED_UP) expect(indexed.lastRead).toBe('index');
    else expect(indexed.lastRead).toBe('batch');
    // live_slots is mmapable: its words were read from the mapping, not in a batch.
    expect(indexed.slotsRead).toBe('mapped');
    indexed.close();
    expect(indexed.slotsRead).toBe('batch');
  });

  it('reads changes only: a held connection again only once it moved', async () => {
    const { cap, hold } = await holdTwenty();
    const indexed = new SlotIndexedMap(cap.obj.map('tcp_socks'), cap.obj.map('live_slots'), cap.obj.map('slot_keys'), TCP_SOCK.members.slot.offset,
      cap.obj.map('changed_slots'));
    expect(indexed.readsChanges).toBe(true);
    // The held clients' entries a changes-only read visits (owner: the helper), by key.
    const sent = TCP_SOCK.members.counters.offset;
    const heldRead = (): Map<string, bigint> => {
      const out = new Map<string, bigint>();
      indexed.forEachEntryAt((k, ko, v, vo) => {
        if (v.readUInt32LE(vo + OWNER_TGID) === hold.pid) out.set(k.subarray(ko, ko + 8).toString('hex'), v.readBigUInt64LE(vo + sent));
      }, true);
      expect(indexed.lastRead).toBe('changed');
      return out;
    };
    cap.obj.runProgram('snapshot');
    const first = heldRead();
    expect(first.size).toBe(20);
    expect([...first.values()]).toEqual(Array(20).fill(100n));
    // Nothing moved since: none is read again, by a second snapshot or none.
    cap.obj.runProgram('snapshot');
    expect(heldRead().size).toBe(0);
    expect(heldRead().size).toBe(0);
    // The first connection sends 100 bytes more: its entry alone is read, with its new count.
    hold.send('');
    await hold.next('sent');
    await sleep(300);
    cap.obj.runProgram('snapshot');
    const moved = heldRead();
    expect([...moved.values()]).toEqual([200n]);
    expect(first.has([...moved.keys()][0])).toBe(true);
    // A read of every entry (as a sweep asks) still sees all 20, and takes the marks with it:
    // the one that moved again is not read again by the next changes-only read.
    hold.send('');
    await hold.next('sent');
    await sleep(300);
    cap.obj.runProgram('snapshot');
    const all = entries((fn) => indexed.forEachEntryAt(fn));
    expect(indexed.lastRead).not.toBe('changed');
    expect([...first.keys()].every((k) => all.has(k))).toBe(true);
    expect(heldRead().size).toBe(0);
    indexed.close();
    expect(indexed.readsChanges).toBe(false);
  });

  it('skips settled flows: an idle held connection is not read again by the snapshot until it moves', async () => {
    const { cap, hold } = await holdTwenty();
    const tcpSocks = cap.obj.map('tcp_socks');
    const slotKeys = cap.obj.map('slot_keys');
    const { snap_ts: SNAP_TS, slot: SLOT_OF, counters } = TCP_SOCK.members;
    // The held clients' entries: key -> when a snapshot last read it, its slot, bytes sent.
    const held = () => {
      const out = new Map<string, { snapTs: bigint; slot: number; sent: bigint }>();
      tcpSocks.forEachEntryAt((k, ko, v, vo) => {
        if (v.readUInt32LE(vo + OWNER_TGID) !== hold.pid) return;
        out.set(k.subarray(ko, ko + 8).toString('hex'), { snapTs: v.readBigUInt64LE(vo + SNAP_TS.offset), slot: v.readUInt32LE(vo + SLOT_OF.offset),
          sent: v.readBigUInt64LE(vo + counters.offset) });
      });
      return out;
    };
    cap.obj.runProgram('snapshot');
    const first = held();
    expect(first.size).toBe(20);
    // Read, announced, nothing in flight: each slot holds its key and is settled.
    for (const [key, e] of first) {
      const s = slotKeys.lookup(u32(e.slot))!;
      expect(s.subarray(SLOT.members.key.offset, SLOT.members.key.offset + 8).toString('hex')).toBe(key);
      expect(s.readBigUInt64LE(SLOT.members.head.offset) & SETTLED).toBe(SETTLED);
    }
    // Two more snapshots with nothing moving: no entry is read (its snap_ts stays).
    await sleep(20);
    cap.obj.runProgram('snapshot');
    cap.obj.runProgram('snapshot');
    const idle = held();
    expect([...idle].filter(([k, e]) => e.snapTs !== first.get(k)!.snapTs)).toEqual([]);
    // The first connection sends 100 bytes more: the next snapshot reads it, and it alone.
    hold.send('');
    await hold.next('sent');
    await sleep(300);
    cap.obj.runProgram('snapshot');
    const moved = [...held()].filter(([k, e]) => e.snapTs !== first.get(k)!.snapTs);
    expect(moved.map(([, e]) => e.sent)).toEqual([200n]);
  });

  it('reads a settled parked flow again once it is named (its socket unchanged)', async () => {
    const { server, port } = await tcpServer('127.0.0.1', ['--wait-stdin', '--expect', '100']);
    helpers.push(server);
    const cap = open();
    const client = runTraffic(['client-tcp', '127.0.0.1', String(port), '--pre', '100', '--wait-stdin']);
    helpers.push(client);
    await client.next('connected');
    const tcpSocks = cap.obj.map('tcp_socks');
    const { snap_ts: SNAP_TS, snap_phase: SNAP_PHASE } = TCP_SOCK.members;
    const read = () => {
      const out = new Map<string, { snapTs: bigint; snapPhase: number; tgid: number }>();
      tcpSocks.forEachEntryAt((k, ko, v, vo) => out.set(k.subarray(ko, ko + 8).toString('hex'),
        { snapTs: v.readBigUInt64LE(vo + SNAP_TS.offset), snapPhase: v[vo + SNAP_PHASE.offset], tgid: v.readUInt32LE(vo + OWNER_TGID) }));
      return out;
    };
    // The accepted end waits in the accept queue, parked: after 1 s without an owner the
    // snapshot announces it, and it settles (its 100 bytes in, nothing in flight).
    await sleep(1200);
    cap.obj.runProgram('snapshot');
    const announced = read();
    await sleep(20);
    cap.obj.runProgram('snapshot');
    const settled = read();
    // The server accepts and reads the 100 bytes that came before: that names it, and moves
    // nothing the settled check reads.
    server.send('');
    await sleep(300);
    cap.obj.runProgram('snapshot');
    const named = [...read()].filter(([, e]) => e.tgid === server.pid);
    expect(named.length).toBe(1);
    const [key, now] = named[0]!;
    expect(announced.get(key)!.snapPhase).toBe(TCP_PHASE.PENDING_ACCEPT);
    expect(settled.get(key)!.snapTs).toBe(announced.get(key)!.snapTs); // skipped while settled
    expect(now.snapPhase).toBe(TCP_PHASE.TRACKED); // read again once named
    expect(now.snapTs).toBeGreaterThan(settled.get(key)!.snapTs);
  });

  it('finds a free slot when the words from its hint are a long full run', async () => {
    // After a burst the per-CPU hints fill long runs of full words; a hint that ran into
    // one sends the take to random words. Here the first 40% of live_slots is one full run
    // and every CPU's hint points into it: each connection's takes must find a slot in the
    // free rest. Sixteen consecutive words from one random start fail 40% of the time
    // (passing all 30 rounds: about 1 in 4 million); sixteen independent words fail with
    // 0.4^16.
    const { server, port } = await tcpServer('127.0.0.1', ['--count', '40']);
    helpers.push(server);
    const cap = open();
    const hold = runTraffic(['hold-tcp', '127.0.0.1', String(port), '0', '--grow']);
    helpers.push(hold);
    await hold.next('holding');
    const liveSlots = cap.obj.map('live_slots');
    const hints = cap.obj.map('slot_hints');
    const slotless = u32(liveSlots.maxEntries - 1);
    const fullRun = Math.floor((liveSlots.maxEntries - 1) * 0.4);
    const full = Buffer.alloc(8, 0xff);
    for (let word = 0; word < fullRun; word++) liveSlots.update(u32(word), full);
    const intoTheRun = Buffer.alloc(hints.userValueSize);
    for (let at = 0; at < intoTheRun.length; at += 8) intoTheRun.writeUInt32LE(1, at);
    const tcpSocks = cap.obj.map('tcp_socks');
    const NO_SLOT = 0xffffffff;
    const ownedSlots = (): number[] => {
      const out: number[] = [];
      tcpSocks.forEachEntryAt((_k, _ko, v, vo) => {
        if (v.readUInt32LE(vo + OWNER_TGID) === hold.pid) out.push(v.readUInt32LE(vo + TCP_SOCK.members.slot.offset));
      });
      return out;
    };
    for (let round = 0; round < 30; round++) {
      hints.update(u32(0), intoTheRun);
      hold.send('');
      await hold.next('opened');
    }
    const slots = ownedSlots();
    expect(slots.length).toBe(30);
    expect(slots.filter((s) => s === NO_SLOT)).toEqual([]);
    expect(slots.every((s) => s >= fullRun * 64)).toBe(true);
    expect(liveSlots.lookup(slotless)!.readBigUInt64LE(0)).toBe(0n);
  });

  it('gives every slot back: after a burst of short connections, as many slots in use as entries', async () => {
    const cap = open();
    const { server, port } = await tcpServer('127.0.0.1', ['--expect', '1', '--count', '500']);
    helpers.push(server);
    const burst = runTraffic(['burst-tcp', '127.0.0.1', String(port), '500']);
    helpers.push(burst);
    await burst.next('done');
    await server.exited;
    const tcpSocks = cap.obj.map('tcp_socks');
    const liveSlots = cap.obj.map('live_slots');
    const slotless = liveSlots.maxEntries - 1;
    let inUse = -1, entries = -2;
    // Other processes' sockets come and go between the two reads: retry a few times.
    for (let attempt = 0; attempt < 20 && inUse !== entries; attempt++) {
      inUse = 0;
      liveSlots.forEachEntryAt((k, ko, v, vo) => {
        if (k.readUInt32LE(ko) === slotless) return expect(v.readBigUInt64LE(vo)).toBe(0n);
        for (let bits = v.readBigUInt64LE(vo); bits !== 0n; bits &= bits - 1n) inUse++;
      });
      entries = 0;
      tcpSocks.forEachEntryAt(() => entries++);
    }
    expect(inUse).toBe(entries);
  });
});
