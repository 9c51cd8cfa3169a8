// The live source's open flows in columns (src/live/known-flows.ts): slots, states and the
// counters last reported, compared in place against a map entry's bytes.
import { describe, expect, it } from 'vitest';
import { COUNTERS } from '../../src/events/layout';
import { KnownFlows } from '../../src/live/known-flows';

/** A map entry's counters as the kernel lays them out. */
function entry(c: { sent: number; received: number; pSent: number; pReceived: number; retr: number; srtt: number }): Buffer {
  const b = Buffer.alloc(COUNTERS.size);
  const m = COUNTERS.members;
  b.writeBigUInt64LE(BigInt(c.sent), m.bytes_sent.offset);
  b.writeBigUInt64LE(BigInt(c.received), m.bytes_received.offset);
  b.writeBigUInt64LE(BigInt(c.pSent), m.packets_sent.offset);
  b.writeBigUInt64LE(BigInt(c.pReceived), m.packets_received.offset);
  b.writeUInt32LE(c.retr, m.retransmits.offset);
  b.writeUInt32LE(c.srtt, m.srtt_us.offset);
  return b;
}

describe('KnownFlows', () => {
  it('keeps a state and zero counters per open flow, and reuses the slots of closed ones', () => {
    const k = new KnownFlows();
    k.open(7, 'tcp', 'ESTABLISHED');
    k.open(8, 'udp', 'open');
    expect(k.size).toBe(2);
    expect(k.slot(9)).toBe(-1);
    const s7 = k.slot(7);
    expect(k.state(s7)).toBe('ESTABLISHED');
    expect(k.proto(k.slot(8))).toBe('udp');
    k.setState(s7, 'FIN_WAIT1');
    expect(k.state(s7)).toBe('FIN_WAIT1');
    expect(k.countersOf(s7)).toEqual({ bytesSent: 0, bytesReceived: 0, packetsSent: 0, packetsReceived: 0, retransmits: 0, srttUs: 0 });
    expect(k.delete(7)).toBe(true);
    expect(k.delete(7)).toBe(false);
    k.open(9, 'tcp', 'SYN_SENT');
    expect(k.slot(9)).toBe(s7);
    expect(k.state(s7)).toBe('SYN_SENT');
    expect([...k.flowIds()].sort()).toEqual([8, 9]);
  });

  it('counts its UDP flows (the source reads udp_flows only while there are some)', () => {
    const k = new KnownFlows();
    k.open(1, 'udp', 'open');
    k.open(2, 'tcp', 'ESTABLISHED');
    k.open(3, 'udp', 'open');
    expect(k.udpCount).toBe(2);
    k.open(1, 'udp', 'open'); // opened again: still one flow
    expect(k.udpCount).toBe(2);
    k.open(3, 'tcp', 'ESTABLISHED'); // the same id as another protocol
    expect(k.udpCount).toBe(1);
    expect(k.delete(2)).toBe(true);
    expect(k.udpCount).toBe(1);
    expect(k.delete(1)).toBe(true);
    expect(k.delete(1)).toBe(false);
    expect(k.udpCount).toBe(0);
    k.open(4, 'udp', 'open'); // in a reused slot that was TCP
    expect(k.udpCount).toBe(1);
  });

  it('tells a map entry with other counters from the ones last reported (UDP has no retransmits or RTT)', () => {
    const k = new KnownFlows();
    k.open(1, 'tcp', 'ESTABLISHED');
    k.open(2, 'udp', 'open');
    const tcp = k.slot(1);
    const udp = k.slot(2);
    const c = { sent: 2 ** 40 + 3, received: 5, pSent: 2, pReceived: 1, retr: 0, srtt: 40 };
    expect(k.sameAt(tcp, entry(c), 0)).toBe(false);
    k.setCounters(tcp, { bytesSent: 2 ** 40 + 3, bytesReceived: 5, packetsSent: 2, packetsReceived: 1, retransmits: 0, srttUs: 40 });
    expect(k.sameAt(tcp, entry(c), 0)).toBe(true);
    expect(k.sameAt(tcp, entry({ ...c, srtt: 41 }), 0)).toBe(false);
    k.setCounters(udp, { bytesSent: 9, bytesReceived: 0, packetsSent: 1, packetsReceived: 0, retransmits: null, srttUs: null });
    expect(k.sameAt(udp, entry({ sent: 9, received: 0, pSent: 1, pReceived: 0, retr: 3, srtt: 7 }), 0)).toBe(true);
    expect(k.countersOf(udp)).toEqual({ bytesSent: 9, bytesReceived: 0, packetsSent: 1, packetsReceived: 0, retransmits: null, srttUs: null });
  });

  it('grows past its first columns', () => {
    const k = new KnownFlows();
    for (let id = 0; id < 5000; id++) k.open(id, 'tcp', 'ESTABLISHED');
    const s = k.slot(4999);
    k.setCounters(s, { bytesSent: 1, bytesReceived: 2, packetsSent: 3, packetsReceived: 4, retransmits: 5, srttUs: 6 });
    expect(k.countersOf(s)).toEqual({ bytesSent: 1, bytesReceived: 2, packetsSent: 3, packetsReceived: 4, retransmits: 5, srttUs: 6 });
    expect(k.countersOf(k.slot(0)).bytesSent).toBe(0);
    expect(k.size).toBe(5000);
  });
});
