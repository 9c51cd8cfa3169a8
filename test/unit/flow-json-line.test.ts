// FlowJsonLines writes exactly JSON.stringify(toJsonFlow(...)): on every flow of the bundled
// recordings, and when the facts behind a shared owner change between two lines.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RECORDINGS_DIR } from '../../src/assets';
import { toJsonFlow } from '../../src/core/flow-json';
import { FlowJsonLines } from '../../src/core/flow-json-line';
import { applyBatch, applyEvent, createCoreState } from '../../src/core/reducer';
import type { FlowOpenEvent, Owner } from '../../src/events/types';
import { openRecording } from '../../src/record/reader';

describe('FlowJsonLines', () => {
  it.each(readdirSync(RECORDINGS_DIR).filter((f) => f.endsWith('.ssrec')))('matches JSON.stringify(toJsonFlow) on every flow of %s', async (file) => {
    const src = await openRecording(join(RECORDINGS_DIR, file));
    const lines = new FlowJsonLines();
    const state = createCoreState({ lingerNs: 10e9, maxFlows: Number.MAX_SAFE_INTEGER, historyLength: 0 });
    let n = 0;
    state.options.onFlowDone = (f) => {
      expect(lines.line(state, f, src.header.bootTimeMs)).toBe(JSON.stringify(toJsonFlow(state, f, src.header.bootTimeMs)));
      n++;
    };
    try {
      for await (const b of src.batches()) applyBatch(state, b);
    } finally {
      await src.close();
    }
    for (const f of state.flows.values()) {
      expect(lines.line(state, f, src.header.bootTimeMs)).toBe(JSON.stringify(toJsonFlow(state, f, src.header.bootTimeMs)));
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
