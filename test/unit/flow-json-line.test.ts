// FlowJsonLines writes exactly JSON.stringify(toJsonFlow(...)): on every flow of the bundled
// recordings, and when the facts behind a shared owner change between two lines.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RECORDINGS_DIR } from '../../src/assets';
import { toJsonFlow } from '../../src/core/flow-json';
import { FlowJsonLines } from '../../src/core/flow-json-line';
import { copyOf } from '../../src/core/flow-view';
import { applyBatch, applyEvent, createCoreState } from '../../src/core/reducer';
import type { FlowCloseEvent, FlowOpenEvent, Owner } from '../../src/events/types';
import { openRecording } from '../../src/record/reader';
import type { CoreState, Flow } from '../../src/core/state';

const OWNER: Owner = { pid: 9, tid: 9, ppid: 0, uid: 0, gid: 0, comm: 'x', cgroupId: 0, netns: 0 };

/** A state (wall clock at `wallMs`) holding one closed TCP flow per entry of `counters`,
 * each opened with OWNER and the fields `open(i)` gives. */
function closedFlows(wallMs: number, counters: FlowCloseEvent['counters'][], open: (i: number) => Partial<FlowOpenEvent>): CoreState {
  const state = createCoreState({ historyLength: 0 });
  applyEvent(state, { type: 'tick', ts: 1, wallMs, lost: 0, evicted: 0 });
  counters.forEach((c, i) => {
    applyEvent(state, {
      type: 'flow-open', ts: 10 + i, flowId: i + 1, cookie: i, direction: 'outbound', owner: OWNER, proto: 'tcp', family: 4,
      laddr: '10.0.0.1', lport: 0, raddr: '10.0.0.2', rport: 80, state: 'SYN_SENT', connectLatencyUs: null, seenAtStart: false, ...open(i),
    });
    applyEvent(state, { type: 'flow-close', ts: 20 + i, flowId: i + 1, counters: c });
  });
  return state;
}

/** What writeLine writes for the flow, as text (it must be line() and a newline). */
function written(lines: FlowJsonLines, state: CoreState, f: Flow, boot: number | null = null): string {
  const room = lines.maxLineBytes(state, f);
  const b = Buffer.alloc(room + 8, 0xee);
  const end = lines.writeLine(b, 3, state, f, boot);
  expect(end).toBeLessThanOrEqual(3 + room);
  expect(b[end]).toBe(0xee);
  return b.toString('utf8', 3, end);
}

describe('FlowJsonLines', () => {
  it.each(readdirSync(RECORDINGS_DIR).filter((f) => f.endsWith('.ssrec')))('matches JSON.stringify(toJsonFlow) on every flow of %s', async (file) => {
    const src = await openRecording(join(RECORDINGS_DIR, file));
    const lines = new FlowJsonLines();
    const state = createCoreState({ lingerNs: 10e9, maxFlows: Number.MAX_SAFE_INTEGER, historyLength: 0 });
    let n = 0;
    state.options.onFlowDone = (f) => {
      const json = JSON.stringify(toJsonFlow(state, f, src.header.bootTimeMs));
      expect(lines.line(state, f, src.header.bootTimeMs)).toBe(json);
      expect(written(lines, state, f, src.header.bootTimeMs)).toBe(`${json}\n`);
      n++;
    };
    try {
      for await (const b of src.batches()) applyBatch(state, b);
    } finally {
      await src.close();
    }
    for (const f of state.flows.values()) {
      const json = JSON.stringify(toJsonFlow(state, f, src.header.bootTimeMs));
      expect(lines.line(state, f, src.header.bootTimeMs)).toBe(json);
      expect(written(lines, state, f, src.header.bootTimeMs)).toBe(`${json}\n`);
      n++;
    }
    expect(n).toBeGreaterThan(100);
  });

  it('follows the facts of a shared owner as they change: exec, user, cgroup, container name', () => {
    const owner: Owner = { pid: 7, tid: 7, ppid: 1, uid: 1000, gid: 1000, comm: 'a "quoted" \\ comm', cgroupId: 42, netns: 1 };
    const open = (flowId: number): FlowOpenEvent => ({
      type: 'flow-open', ts: flowId * 1e6, flowId, cookie: flowId, direction: 'inbound', owner, proto: 'tcp', family: 6,
      laddr: '::1', lport: 8080, raddr: '::1', rport: 40000 + flowId, state: 'ESTABLISHED', connectLatencyUs: null, seenAtStart: true,
    });
    const state = createCoreState({ historyLength: 0 });
    const lines = new FlowJsonLines();
    const same = (flowId: number) => {
      const f = state.flows.get(flowId)!;
      expect(lines.line(state, f)).toBe(JSON.stringify(toJsonFlow(state, f)));
      expect(written(lines, state, f)).toBe(`${JSON.stringify(toJsonFlow(state, f))}\n`);
    };
    applyEvent(state, open(1));
    same(1);
    applyEvent(state, { type: 'tick', ts: 5e6, wallMs: 1_764_000_000_000, lost: 0, evicted: 0 });
    same(1);
    applyEvent(state, { type: 'process', ts: 6e6, pid: 7, ppid: 1, exe: '/usr/bin/ünï', cmdline: 'x\ty\n"z"' });
    same(1);
    applyEvent(state, { type: 'user', uid: 1000, name: 'alice' });
    applyEvent(state, { type: 'cgroup', cgroupId: 42, path: '/system.slice/docker-abc.scope', container: { id: 'abc', runtime: 'docker', name: null, pod: null, namespace: null } });
    applyEvent(state, open(2));
    same(1);
    same(2);
    applyEvent(state, { type: 'container-name', id: 'abc', name: 'web' });
    same(2);
    applyEvent(state, { type: 'proc-exec', ts: 7e6, pid: 7, ppid: 1, uid: 1000, comm: 'b', filename: '/bin/b', cmdline: 'b' });
    same(1);
    applyEvent(state, { type: 'flow-close', ts: 8e6, flowId: 1, counters: { bytesSent: 2 ** 40, bytesReceived: 1, packetsSent: null, packetsReceived: null, retransmits: null, srttUs: null } });
    same(1);
  });
});

describe('FlowJsonLines.writeLine', () => {
  it('writes numbers and texts as JSON.stringify does: large, fractional, missing, escaped', () => {
    const lines = new FlowJsonLines();
    const counts = [0, 7, 9, 10, 99, 100, 12345, 2 ** 32, 2 ** 53 - 1, 2 ** 53 + 2, 1e16, 1e21, 0.5];
    const state = closedFlows(1_764_000_000_000.5, counts.map((n) => ({ bytesSent: n, bytesReceived: NaN, packetsSent: null, packetsReceived: Infinity, retransmits: n, srttUs: null })),
      (i) => ({ laddr: i === 3 ? 'we"ird\u0001\u00e9' : '10.0.0.1', rport: 65535, connectLatencyUs: counts[i] === 0 ? null : counts[i], seenAtStart: i % 2 === 0 }));
    for (const f of state.flows.values()) {
      expect(written(lines, state, f)).toBe(`${JSON.stringify(toJsonFlow(state, f))}\n`);
      // A flow that is not a view of the store (copied into rows of the writer's own).
      expect(written(lines, state, copyOf(f))).toBe(`${JSON.stringify(toJsonFlow(state, f))}\n`);
    }
    expect(state.flows.size).toBe(counts.length);
  });
});

describe('FlowJsonLines counters that repeat', () => {
  it('writes them as JSON.stringify does when they repeat, change, go null and come back, per owner and direction', () => {
    const lines = new FlowJsonLines();
    const same = { bytesSent: 69, bytesReceived: 255, packetsSent: 1, packetsReceived: 1, retransmits: 0, srttUs: 11 };
    const counters = [same, same, same, { ...same, bytesReceived: 256 }, same, { ...same, packetsSent: null }, { ...same, packetsSent: null },
      { ...same, retransmits: null }, { ...same, retransmits: null }, same, { ...same, srttUs: 12 }, same];
    const state = closedFlows(1_764_000_000_000, counters, (i) => ({ direction: i % 5 === 4 ? 'inbound' : 'outbound', lport: 40000 + i, connectLatencyUs: 20 + i }));
    for (const f of [...state.flows.values(), ...state.flows.values()]) expect(written(lines, state, f)).toBe(`${JSON.stringify(toJsonFlow(state, f))}\n`);
  });
});

describe('FlowJsonLines.writeLineWithin', () => {
  it('writes the line when it surely fits before the limit, else nothing and -1', () => {
    const owner: Owner = { pid: 9, tid: 9, ppid: 0, uid: 0, gid: 0, comm: 'x'.repeat(15), cgroupId: 0, netns: 0 };
    const state = createCoreState({ historyLength: 0 });
    applyEvent(state, { type: 'tick', ts: 1, wallMs: 1_764_000_000_000, lost: 0, evicted: 0 });
    const lines = new FlowJsonLines();
    ['127.0.0.1', 'fe80::1234:5678:9abc:def0', 'we"ird\u0001'].forEach((laddr, i) => {
      applyEvent(state, {
        type: 'flow-open', ts: 10 + i, flowId: i + 1, cookie: i, direction: 'inbound', owner, proto: (i === 2 ? 'sctp' : 'tcp') as 'tcp', family: i === 1 ? 6 : 4,
        laddr, lport: 80, raddr: laddr, rport: 40000, state: 'ESTABLISHED', connectLatencyUs: null, seenAtStart: false,
      });
    });
    for (const f of [...state.flows.values(), ...[...state.flows.values()].map(copyOf)]) {
      const line = `${JSON.stringify(toJsonFlow(state, f))}\n`;
      const n = Buffer.byteLength(line);
      const b = Buffer.alloc(4096, 0xee);
      // A limit the line just misses: nothing written.
      expect(lines.writeLineWithin(b, 5, 5 + n - 1, state, f)).toBe(-1);
      expect(b.every((x) => x === 0xee)).toBe(true);
      // Room enough: the line, ending before the limit.
      const end = lines.writeLineWithin(b, 5, b.length, state, f);
      expect(b.toString('utf8', 5, end)).toBe(line);
      expect(b[end]).toBe(0xee);
    }
  });
});

describe('FlowJsonLines across states', () => {
  it('does not reuse an owner text of another state (the same owner object, other facts, the same facts version)', () => {
    const o: Owner = { pid: 5, tid: 5, ppid: 1, uid: 1000, gid: 1000, comm: 'srv', cgroupId: 0, netns: 0 };
    const o2: Owner = { ...o, pid: 6, tid: 6, comm: 'cli' };
    const stateWith = (user: string) => {
      const state = createCoreState({ historyLength: 0 });
      applyEvent(state, { type: 'user', uid: 1000, name: user });
      [o, o2].forEach((owner, i) => applyEvent(state, {
        type: 'flow-open', ts: 10 + i, flowId: i + 1, cookie: i, direction: 'inbound', owner, proto: 'tcp', family: 4,
        laddr: '127.0.0.1', lport: 80, raddr: '127.0.0.1', rport: 40000 + i, state: 'ESTABLISHED', connectLatencyUs: null, seenAtStart: false,
      }));
      return state;
    };
    const a = stateWith('alice');
    const b = stateWith('bob');
    expect(a.factsVersion).toBe(b.factsVersion);
    const lines = new FlowJsonLines();
    // a's o, then b's o2 (the state changes), then b's o: written with bob, not alice.
    for (const [state, id] of [[a, 1], [b, 2], [b, 1], [a, 2], [a, 1]] as const) {
      const f = state.flows.get(id)!;
      expect(written(lines, state, f)).toBe(`${JSON.stringify(toJsonFlow(state, f))}\n`);
    }
  });
});
