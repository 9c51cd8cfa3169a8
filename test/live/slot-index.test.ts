// tcp_socks read through the snapshot's slot index (src/loader/slot-index.ts) holds the
// same entries as a batch read of the whole map, with connections held open (both ends
// local: two entries each) and the kernel's own state of the host around them.
import { describe, expect, it } from 'vitest';
import { SlotIndexedMap, MAX_LOOKED_UP } from '../../src/loader/slot-index';
import { TCP_SOCK } from '../../src/events/layout';
import { canCapture, skipWhy } from './helpers/capture';
import { kernelCaptureEachTest } from './helpers/kernel-fixture';
import { runTraffic, tcpServer } from './helpers/procs';

function entries(read: (fn: (k: Buffer, ko: number, v: Buffer, vo: number) => void) => void): Map<string, number> {
  const out = new Map<string, number>();
  read((k, ko, v, vo) => out.set(k.subarray(ko, ko + 8).toString('hex'), v.readUInt32LE(vo + TCP_SOCK.members.flow_id.offset)));
  return out;
}

describe.skipIf(!canCapture.ok)(`tcp_socks through the slot index${skipWhy}`, () => {
  const { open, helpers } = kernelCaptureEachTest();

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
