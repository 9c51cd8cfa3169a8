// --format jsonl writes a closed flow's line once its linger has passed and forgets the
// flow; open flows (and those still lingering) are written at the end. Every flow gets
// exactly one line, and a long run keeps only recent flows in memory. A flow whose owner's
// facts may still come (its cgroup's path, its container's name) lingers longer.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { JSONL_FACTS_LINGER_NS, JSONL_LINGER_NS, JsonlFlows } from '../../src/commands/jsonl-flows';
import { heldSlots } from '../../src/core/reducer';
import type { AppEvent, FlowOpenEvent, Owner, TickEvent } from '../../src/events/types';
import { withRuns } from '../replay/kernel-record-encoder';

const S = 1e9;
const owner: Owner = { pid: 10, tid: 11, ppid: 1, uid: 1000, gid: 1000, comm: 'curl', cgroupId: 77, netns: 1 };
const open = (flowId: number, ts: number): FlowOpenEvent => ({
  type: 'flow-open', ts, flowId, cookie: flowId, direction: 'outbound', owner, proto: 'tcp', family: 4,
  laddr: '127.0.0.1', lport: 40000 + flowId, raddr: '127.0.0.1', rport: 80, state: 'ESTABLISHED',
  connectLatencyUs: 120, seenAtStart: false,
});
const close = (flowId: number, ts: number, sent: number): AppEvent => ({
  type: 'flow-close', ts, flowId, counters: { bytesSent: sent, bytesReceived: 2 * sent, packetsSent: 1, packetsReceived: 1, retransmits: 0, srttUs: 50 },
});
/** The owner's cgroup, resolved: nothing more to wait for. */
const cgroup: AppEvent = { type: 'cgroup', cgroupId: 77, path: '/user.slice/user-1000.slice/session-1.scope', container: null };
const tick = (ts: number): TickEvent => ({ type: 'tick', ts, wallMs: 1_700_000_000_000 + ts / 1e6, lost: 0, evicted: 0 });

/** The lines written to stdout so far, parsed. */
function captureStdout() {
  const lines: Array<{ lport: number; state: string; bytes_sent: number }> = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l));
    return true;
  });
  return lines;
}

afterEach(() => vi.restoreAllMocks());

describe('JsonlFlows', () => {
  it('writes a closed flow once its linger has passed, with its final counters, and forgets it', async () => {
    const lines = captureStdout();
    const out = new JsonlFlows();
    await out.apply([tick(0), cgroup, open(1, 0.1 * S), open(2, 0.2 * S), close(1, 0.5 * S, 100), tick(S)]);
    expect(lines).toEqual([]); // flow 1 is closed but still lingering
    const lingerEnds = 0.5 * S + JSONL_LINGER_NS;
    await out.apply([tick(lingerEnds - 0.1 * S)]);
    expect(lines).toEqual([]);
    await out.apply([tick(lingerEnds + 0.1 * S)]);
    expect(lines.map((l) => [l.lport, l.state, l.bytes_sent])).toEqual([[40001, 'closed', 100]]);
    expect(out.state.flows.has(1)).toBe(false);
    expect(out.state.flows.has(2)).toBe(true);
    await out.finish();
    expect(lines.map((l) => [l.lport, l.state])).toEqual([[40001, 'closed'], [40002, 'ESTABLISHED']]);
  });

  it('writes the flows left at the end in opening order, those that opened and closed in one record among them', async () => {
    const lines = captureStdout();
    const out = new JsonlFlows();
    // Flows 2 and 4 become FLOW_BRIEF records, 1 and 3 stay open.
    await out.apply(withRuns([tick(0), open(1, 0.1 * S), open(2, 0.2 * S), open(3, 0.3 * S), close(2, 0.35 * S, 5), open(4, 0.4 * S), close(4, 0.45 * S, 6), tick(S)]));
    expect(out.state.flows.size).toBe(2);
    await out.finish();
    expect(lines.map((l) => [l.lport, l.state])).toEqual([[40001, 'ESTABLISHED'], [40002, 'closed'], [40003, 'ESTABLISHED'], [40004, 'closed']]);
  });

  it('writes a flow that opened and closed in one record as it comes, once a tick paired the clocks and no fact about its owner is pending', async () => {
    const lines = captureStdout();
    const out = new JsonlFlows();
    const unresolved: Owner = { ...owner, pid: 30, cgroupId: 99 };
    // Before the first tick its times could not be written: held.
    await out.apply(withRuns([cgroup, open(1, 0.1 * S), close(1, 0.2 * S, 7)]));
    expect(lines).toEqual([]);
    await out.apply(withRuns([
      tick(S), { type: 'cgroup', cgroupId: 99, path: null, container: null },
      open(2, 1.1 * S), close(2, 1.2 * S, 8),
      { ...open(3, 1.3 * S), owner: unresolved }, close(3, 1.4 * S, 9),
      open(4, 1.5 * S), close(4, 1.6 * S, 10),
    ]));
    // Flows 2 and 4 at once, with no tick after them; 3 waits for its cgroup's path.
    expect(lines).toEqual([
      {
        proto: 'tcp', family: 4, laddr: '127.0.0.1', lport: 40002, raddr: '127.0.0.1', rport: 80, direction: 'outbound',
        pid: 10, tid: 11, ppid: 1, comm: 'curl', exe: null, cmdline: null, uid: 1000, gid: 1000, user: null, cgroup: cgroup.path, container: null,
        bytes_sent: 8, bytes_received: 16, packets_sent: 1, packets_received: 1, retransmits: 0, srtt_us: 50, connect_latency_us: 120,
        state: 'closed', start: new Date(1_700_000_001_100).toISOString(), end: new Date(1_700_000_001_200).toISOString(), seen_at_start: false,
      },
      expect.objectContaining({ lport: 40004, bytes_sent: 10, end: new Date(1_700_000_001_600).toISOString() }),
    ]);
    // Once its cgroup's path is in, the next flow of that owner is written as it comes.
    await out.apply(withRuns([
      { type: 'cgroup', cgroupId: 99, path: '/user.slice/user-1000.slice/session-2.scope', container: null },
      { ...open(5, 1.7 * S), owner: unresolved }, close(5, 1.8 * S, 11),
    ]));
    expect(lines.map((l) => l.lport)).toEqual([40002, 40004, 40005]);
    expect([...heldSlots(out.state)]).toHaveLength(2);
    await out.finish();
    expect(lines.map((l) => l.lport)).toEqual([40002, 40004, 40005, 40001, 40003]);
  });

  it('a churn of many short flows: one line each, and only the recent ones stay in memory', async () => {
    const lines = captureStdout();
    const out = new JsonlFlows();
    let id = 0;
    let maxHeld = 0;
    for (let sec = 0; sec < 60; sec++) {
      const batch: AppEvent[] = sec === 0 ? [cgroup] : [];
      for (let i = 0; i < 100; i++) {
        id++;
        batch.push(open(id, sec * S + i * 1e6), close(id, sec * S + i * 1e6 + 5e5, id));
      }
      batch.push(tick((sec + 1) * S));
      await out.apply(batch);
      maxHeld = Math.max(maxHeld, out.state.flows.size);
    }
    await out.finish();
    expect(lines).toHaveLength(6000);
    expect(new Set(lines.map((l) => l.lport)).size).toBe(6000);
    expect(lines.every((l) => l.state === 'closed')).toBe(true);
    // About linger / interval seconds of flows (3 x 100), not all 6,000.
    expect(maxHeld).toBeLessThanOrEqual(((JSONL_LINGER_NS / S) + 2) * 100);
  });
  it('a flow whose cgroup path or container name is still unknown lingers until it comes (up to the longer linger), and the flows behind it wait with it', async () => {
    const lines = captureStdout();
    const out = new JsonlFlows();
    const podman = { id: 'c'.repeat(64), runtime: 'podman', name: null, pod: null, namespace: null };
    const inPod: Owner = { ...owner, pid: 20, cgroupId: 88 };
    const unresolved: Owner = { ...owner, pid: 30, cgroupId: 99 };
    const openAs = (flowId: number, ts: number, o: Owner): FlowOpenEvent => ({ ...open(flowId, ts), owner: o });
    await out.apply([
      tick(0), cgroup,
      { type: 'cgroup', cgroupId: 88, path: `/machine.slice/libpod-${podman.id}.scope`, container: podman },
      { type: 'cgroup', cgroupId: 99, path: null, container: null },
      openAs(1, 0.1 * S, inPod), close(1, 0.2 * S, 1),
      open(2, 0.3 * S), close(2, 0.4 * S, 2),
      tick(S),
    ]);
    // Past the short linger: flow 1 waits for its container's name, flow 2 behind it.
    await out.apply([tick(0.5 * S + JSONL_LINGER_NS)]);
    expect(lines).toEqual([]);
    await out.apply([{ type: 'container-name', id: podman.id, name: 'web' }, tick(0.6 * S + JSONL_LINGER_NS)]);
    expect(lines.map((l) => l.lport)).toEqual([40001, 40002]);
    expect((lines[0] as unknown as { container: { name: string } }).container.name).toBe('web');
    // A cgroup whose path never resolves holds its flow for the longer linger only.
    const t = 10 * S;
    await out.apply([openAs(3, t, unresolved), close(3, t + 0.1 * S, 3), tick(t + S)]);
    await out.apply([tick(t + 0.1 * S + JSONL_FACTS_LINGER_NS - 0.1 * S)]);
    expect(lines).toHaveLength(2);
    await out.apply([tick(t + 0.1 * S + JSONL_FACTS_LINGER_NS + 0.1 * S)]);
    expect(lines.map((l) => l.lport)).toEqual([40001, 40002, 40003]);
  });
});
