// filterToNetns (scripts/record-fixture.mjs's filter): a host-wide recording cut down to
// one network namespace's flows, their owners' facts and the ticks, with the kept flows'
// kernel records copied byte for byte out of the runs.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RECORDINGS_DIR } from '../../src/assets';
import type { KernelRecordsEvent, RecordedEvent } from '../../src/events/kernel-records';
import type { AppEvent, FlowCloseEvent, FlowOpenEvent, Owner } from '../../src/events/types';
import type { StoredEvent } from '../../src/record/check-events';
import { filterToNetns } from '../../src/record/filter-netns';
import { openRecording } from '../../src/record/reader';
import { briefRecord, failRecord, openRecord, run, stateRecord } from '../replay/kernel-record-encoder';

const OURS = 4026532999;
const HOST = 4026531840;
const owner = (pid: number, netns: number, cgroupId: number): Owner => ({ pid, tid: pid, ppid: 1, uid: 0, gid: 0, comm: 'python3', cgroupId, netns });
const open = (flowId: number, o: Owner): FlowOpenEvent => ({
  type: 'flow-open', ts: 1000 + flowId, flowId, cookie: 500 + flowId, direction: 'inbound', owner: o, proto: 'tcp', family: 4,
  laddr: '127.0.0.1', lport: 8000, raddr: '127.0.0.1', rport: 40000 + flowId, state: 'ESTABLISHED', connectLatencyUs: null, seenAtStart: false,
});
const close = (flowId: number): FlowCloseEvent => ({
  type: 'flow-close', ts: 2000 + flowId, flowId, counters: { bytesSent: 255, bytesReceived: 45, packetsSent: 1, packetsReceived: 1, retransmits: 0, srttUs: 20 },
});

describe('filterToNetns', () => {
  // flows 1 and 3 opened in our namespace, 2 and 4 on the host; flow 3 was opened
  // without its owner (an idle inbound one: the open names only the netns) and named later
  const ours = owner(100, OURS, 7);
  const later = owner(101, OURS, 7);
  const host = owner(200, HOST, 8);
  const records = [
    briefRecord(open(1, ours), close(1)),
    briefRecord(open(2, host), close(2)),
    openRecord(open(3, { ...ours, pid: 0, tid: 0, ppid: 0, comm: '' })),
    openRecord(open(4, host)),
    stateRecord({ type: 'flow-state', ts: 3000, flowId: 3, state: 'CLOSE_WAIT' }),
    stateRecord({ type: 'flow-state', ts: 3001, flowId: 4, state: 'CLOSE_WAIT' }),
    failRecord({ type: 'connect-fail', ts: 3002, owner: host, proto: 'tcp', family: 4, laddr: '127.0.0.1', lport: 1, raddr: '127.0.0.1', rport: 9, reason: 'refused', latencyUs: 5 }),
    failRecord({ type: 'connect-fail', ts: 3003, owner: ours, proto: 'tcp', family: 4, laddr: '127.0.0.1', lport: 2, raddr: '127.0.0.1', rport: 9, reason: 'refused', latencyUs: 5 }),
  ];
  const tick: AppEvent = { type: 'tick', ts: 5000, wallMs: 1, lost: 0, evicted: 0 };
  const stored: StoredEvent[][] = [
    [
      { type: 'process', ts: 1, pid: 100, ppid: 1, exe: '/usr/bin/python3', cmdline: 'a' },
      { type: 'process', ts: 1, pid: 200, ppid: 1, exe: '/usr/bin/other', cmdline: 'b' },
      { type: 'cgroup', cgroupId: 7, path: '/ours', container: null },
      { type: 'cgroup', cgroupId: 8, path: '/host', container: null },
      run(records),
      { type: 'flow-owner', ts: 4000, flowId: 3, owner: later },
      { type: 'flow-owner', ts: 4001, flowId: 4, owner: owner(201, HOST, 8) },
      { type: 'process', ts: 1, pid: 101, ppid: 1, exe: '/usr/bin/python3', cmdline: 'c' },
      { type: 'process', ts: 1, pid: 201, ppid: 1, exe: '/usr/bin/other', cmdline: 'd' },
      { type: 'counters', ts: 4500, flows: [3, 4].map((flowId) => ({ flowId, bytesSent: 1, bytesReceived: 2, packetsSent: 1, packetsReceived: 1, retransmits: 0, srttUs: 9 })) },
      tick,
    ],
  ];
  const { batches, flows } = filterToNetns(stored, OURS);
  const out = batches[0];

  it('keeps the kept flows\' records byte for byte, in order, and drops the others\'', () => {
    expect(flows).toBe(2);
    const runs = out.filter((e): e is KernelRecordsEvent => e.type === 'kernel-records');
    expect(runs).toHaveLength(1);
    const want = Buffer.concat([0, 2, 4, 7].map((i) => run([records[i]]).bytes));
    expect(Buffer.from(runs[0].bytes).equals(want)).toBe(true);
  });

  it('keeps the flow-owner events of kept flows and their owners\' facts, not the host\'s', () => {
    const rest = out.filter((e) => e.type !== 'kernel-records') as AppEvent[];
    expect(rest.filter((e) => e.type === 'flow-owner')).toEqual([{ type: 'flow-owner', ts: 4000, flowId: 3, owner: later }]);
    expect(rest.filter((e) => e.type === 'process').map((e) => (e as { pid: number }).pid)).toEqual([100, 101]);
    expect(rest.filter((e) => e.type === 'cgroup')).toEqual([{ type: 'cgroup', cgroupId: 7, path: '/ours', container: null }]);
    expect(rest.filter((e) => e.type === 'counters').flatMap((e) => (e as { flows: { flowId: number }[] }).flows.map((f) => f.flowId))).toEqual([3]);
    expect(rest.at(-1)).toBe(tick);
  });

  it('leaves a run whose flows are all kept as it is', () => {
    const whole = run([records[0], records[2]]);
    const [[kept]] = filterToNetns([[whole as RecordedEvent]], OURS).batches;
    expect(kept).toBe(whole);
    expect(filterToNetns([[whole as RecordedEvent]], HOST + 1).batches).toEqual([[]]);
  });

  it('filters brief.ssrec to its own namespace without changing a byte of its runs', async () => {
    const src = await openRecording(join(RECORDINGS_DIR, 'brief.ssrec'));
    const all: StoredEvent[][] = [];
    for await (const b of src.storedBatches()) all.push(b);
    await src.close();
    const netns = Number(/inode (\d+)/.exec(String(src.header.capture?.filteredTo))?.[1]);
    const res = filterToNetns(all, netns);
    expect(res.flows).toBeGreaterThan(5000);
    const runsOf = (bs: readonly (readonly StoredEvent[])[]) => bs.flat().filter((e): e is KernelRecordsEvent => e.type === 'kernel-records').map((e) => Buffer.from(e.bytes));
    expect(runsOf(res.batches)).toEqual(runsOf(all));
    expect(filterToNetns(all, netns + 1).flows).toBe(0);
  });
});
