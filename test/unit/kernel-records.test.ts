// kernel-records runs: flow records kept as the kernel wrote them (what `record` stores)
// expand into exactly the events the decoding live source would have given; a damaged
// run is refused with what is wrong and where, never guessed at.
import { describe, expect, it } from 'vitest';
import { expandKernelRecords, KernelRecordRun, MAX_RUN_BYTES, releaseRun, runOwnerRecords, runSummary, type KernelRecordsEvent } from '../../src/events/kernel-records';
import type { ConnectFailEvent, FlowCloseEvent, FlowOpenEvent, Owner } from '../../src/events/types';
import { expandStored } from '../../src/record/check-events';
import { briefRecord, closeRecord, failRecord, openRecord, run, stateRecord, withRuns } from '../replay/kernel-record-encoder';
import { syntheticBatches } from '../replay/synthetic';

const owner: Owner = { pid: 4242, tid: 4243, ppid: 1, uid: 1000, gid: 100, comm: 'nginx', cgroupId: 2 ** 40 + 7, netns: 4026531840 };

function open(flowId: number, over: Partial<FlowOpenEvent> = {}): FlowOpenEvent {
  return {
    type: 'flow-open', ts: 5e9 + flowId, flowId, cookie: 900 + flowId, proto: 'tcp', family: 4, laddr: '127.0.0.1', lport: 40000 + flowId,
    raddr: '10.1.2.3', rport: 443, direction: 'outbound', owner, state: 'ESTABLISHED', connectLatencyUs: 120, seenAtStart: false, ...over,
  };
}

const tcpCounters = { bytesSent: 2 ** 33 + 5, bytesReceived: 77, packetsSent: 3, packetsReceived: 4, retransmits: 1, srttUs: 250 };

describe('kernel-records runs', () => {
  it('expand into the events each record decodes to, in order', () => {
    const out6 = open(2, { family: 6, laddr: 'fd00::1', raddr: '2001:db8::42', direction: 'inbound', connectLatencyUs: null, seenAtStart: true });
    const udp = open(3, { proto: 'udp', state: 'open', connectLatencyUs: null, rport: 53 });
    const fail: ConnectFailEvent = { type: 'connect-fail', ts: 6e9, proto: 'tcp', family: 4, laddr: '127.0.0.1', lport: 5, raddr: '127.0.0.1', rport: 9, owner, reason: 'refused', latencyUs: 33 };
    const close: FlowCloseEvent = { type: 'flow-close', ts: 7e9, flowId: 1, counters: tcpCounters };
    const briefOpen = open(4);
    const briefClose: FlowCloseEvent = { type: 'flow-close', ts: 8e9, flowId: 4, counters: tcpCounters };
    const r = run([openRecord(open(1)), openRecord(out6), openRecord(udp), failRecord(fail), stateRecord({ type: 'flow-state', ts: 6.5e9, flowId: 1, state: 'FIN_WAIT1' }), closeRecord(close), briefRecord(briefOpen, briefClose)]);
    expect(expandKernelRecords(r)).toEqual([
      open(1), out6, udp, fail, { type: 'flow-state', ts: 6.5e9, flowId: 1, state: 'FIN_WAIT1' }, close, briefOpen, briefClose,
    ]);
    expect(runSummary(r)).toEqual({ events: 8, opens: 4, firstTs: 5e9 + 1, lastTs: 8e9 });
    // The same from the bytes alone (a run read from a file: no collector's summary).
    expect(runSummary({ ...r, bytes: Buffer.from(r.bytes) })).toEqual({ events: 8, opens: 4, firstTs: 5e9 + 1, lastTs: 8e9 });
  });

  it('decodes one owner object per process and thread, and a new one when any of its fields differs', () => {
    const other = { ...owner, comm: 'nginx2' };
    const evs = expandKernelRecords(run([openRecord(open(1)), openRecord(open(2)), openRecord(open(3, { owner: other })), openRecord(open(4, { owner: { ...owner, tid: 1 } }))])) as FlowOpenEvent[];
    expect(evs.map((e) => e.owner)).toEqual([owner, owner, other, { ...owner, tid: 1 }]);
    expect(evs[1].owner).toBe(evs[0].owner);
    expect(evs[2].owner).not.toBe(evs[0].owner);
    expect(evs[3].owner).not.toBe(evs[0].owner);
  });

  it('a run of an unknown layout, a cut length, a record overrunning the run, a non-flow or short record: refused', () => {
    const good = run([openRecord(open(1)), openRecord(open(2))]);
    const bytes = Buffer.from(good.bytes);
    expect(expandKernelRecords({ ...good, layout: 2 })).toMatch(/layout 2, which this sockscope does not know/);
    expect(expandKernelRecords({ ...good, bytes: bytes.subarray(0, bytes.length - 3) })).toMatch(/overruns the run/);
    expect(expandKernelRecords({ ...good, bytes: Buffer.concat([bytes, Buffer.from([1, 0])]) })).toMatch(/record length cut at byte/);
    const procExit = Buffer.alloc(64);
    procExit.writeUInt32LE(8, 0); // PROC_EXIT: never in a run
    expect(expandKernelRecords(run([openRecord(open(1)), procExit]))).toMatch(/not a flow record \(type 8, 64 bytes\)/);
    expect(expandKernelRecords(run([openRecord(open(1)).subarray(0, 100)]))).toMatch(/not a flow record \(type 1, 100 bytes\)/);
    // A run whose lengths do not add up says so, even after a record that is not a flow record.
    const bad = Buffer.from(run([procExit, openRecord(open(1))]).bytes);
    expect(expandKernelRecords({ ...good, bytes: bad.subarray(0, bad.length - 3) })).toMatch(/overruns the run/);
    // In a frame: the index of the run that failed.
    expect(expandStored([{ type: 'tick', ts: 1, wallMs: 1, lost: 0, evicted: 0 }, { ...good, layout: 9 }])).toEqual({ index: 1, what: expect.stringMatching(/layout 9/) });
  });

  it('a collector hands out runs no bigger than its cap, each its own copy', () => {
    const c = new KernelRecordRun();
    const rec = openRecord(open(1));
    let full = false;
    let n = 0;
    while (!full) {
      full = c.append(rec, 1);
      n++;
    }
    expect(n).toBe(Math.ceil(MAX_RUN_BYTES / (rec.length + 4)));
    const first = c.take() as KernelRecordsEvent;
    expect(first.bytes.length).toBe(n * (rec.length + 4));
    c.append(rec, 1);
    const second = c.take()!;
    expect(second.bytes.length).toBe(rec.length + 4);
    expect(c.take()).toBeNull();
    expect(expandKernelRecords(first)).toHaveLength(n);
  });

  it('a collector notes the records that bring an owner the last few did not have', () => {
    const a = owner;
    const b = { ...owner, pid: 99 };
    const c = { ...owner, cgroupId: 2 ** 40 + 8 };
    const recs = [open(1, { owner: a }), open(2, { owner: b }), open(3, { owner: a }), open(4, { owner: b }), open(5, { owner: c }), open(6, { owner: { ...a, tid: 1, comm: 'x' } })].map(openRecord);
    const r = run(recs);
    const at = (i: number) => recs.slice(0, i).reduce((n, x) => n + 4 + x.length, 4);
    // tid and comm do not tell owners apart for the enricher: pid, uid, gid and cgroup do.
    expect(runOwnerRecords(r)).toEqual([at(0), at(1), at(4)]);
    // A run read from a file has no notes: the enricher walks it.
    expect(runOwnerRecords({ ...r, bytes: Buffer.from(r.bytes) })).toBeNull();
  });

  it('a released run gives its buffer to a later run and reads as empty; other runs are left alone', () => {
    const c = new KernelRecordRun();
    const rec = openRecord(open(1));
    c.append(rec, 1);
    const first = c.take()!;
    const copy = { ...first, bytes: Buffer.from(first.bytes) };
    releaseRun(copy);
    expect(copy.bytes.length).toBe(rec.length + 4);
    const firstBuffer = first.bytes.buffer;
    releaseRun(first);
    expect(first.bytes.length).toBe(0);
    expect(runSummary(first)).toMatchObject({ events: 1, opens: 1 }); // still known
    c.append(rec, 1);
    c.take();
    c.append(rec, 1);
    expect(c.take()!.bytes.buffer).toBe(firstBuffer);
  });

  it('withRuns (the fixture builder) round-trips a synthetic stream', () => {
    for (const batch of syntheticBatches({ seconds: 3, steadyFlows: 5, churnPerSec: 4, seed: 3 })) {
      const expanded = expandStored(withRuns(batch));
      expect(Array.isArray(expanded)).toBe(true);
      const types = (expanded as { type: string }[]).map((e) => e.type).sort();
      expect(types).toEqual(batch.map((e) => e.type).sort());
    }
  });
});
