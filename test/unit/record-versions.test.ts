// Every format version ever written stays readable: one committed fixture per version,
// written by that version's writer and never regenerated (test/fixtures/recordings/README.md).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyBatch, createCoreState } from '../../src/core/reducer';
import { toJsonFlow } from '../../src/core/flow-json';
import { checkEvents } from '../../src/record/check-events';
import { FLOW_OWNER_VERSION, FORMAT_VERSION } from '../../src/record/format';
import { readAll } from '../replay/recording-helpers';

const dir = join(import.meta.dirname, '..', 'fixtures', 'recordings');
const VERSIONS = [1, 2, 3, 4, 5];

describe('recording format versions', () => {
  it('has a fixture for every version up to the current one', () => {
    expect(VERSIONS).toEqual(Array.from({ length: FORMAT_VERSION }, (_, i) => i + 1));
  });

  it.each(VERSIONS)('reads the v%i fixture: every event as written, header, end summary', async (v) => {
    const path = join(dir, `v${v}.ssrec`);
    const expected = JSON.parse(readFileSync(join(dir, `v${v}.events.json`), 'utf8'));
    const r = await readAll(path);
    expect(r.damage).toBeNull();
    expect(r.src.formatVersion).toBe(v);
    expect(r.src.header).toMatchObject({ hostname: 'testhost', kernel: '6.18.0-test', intervalMs: 1000 });
    expect(r.batches).toEqual(expected);
    expect(r.end).toMatchObject({ events: expected.flat().length, frames: expected.length });
    // and it reduces to flows with the facts it carries
    const state = createCoreState({ lingerNs: Infinity, maxFlows: Number.MAX_SAFE_INTEGER, historyLength: 0 });
    for (const b of r.batches) applyBatch(state, b);
    const flows = [...state.flows.values()].map((f) => toJsonFlow(state, f, r.src.header.bootTimeMs));
    const opens = expected.flat().filter((e: { type: string }) => e.type === 'flow-open');
    expect(flows).toHaveLength(opens.length);
    expect(flows.some((f) => f.container?.id === 'c'.repeat(64) && f.container?.name === 'demo-web')).toBe(true);
    expect(flows.some((f) => f.user === 'alice')).toBe(true);
  });

  it('v5: a flow-owner moves the flow it names to its process; before version 5 one is malformed', async () => {
    const r = await readAll(join(dir, 'v5.ssrec'));
    const state = createCoreState({ lingerNs: Infinity, maxFlows: Number.MAX_SAFE_INTEGER, historyLength: 0 });
    for (const b of r.batches) applyBatch(state, b);
    const named = r.batches.flat().find((e: { type: string }) => e.type === 'flow-owner') as { flowId: number };
    expect(named).toBeDefined();
    const flow = toJsonFlow(state, state.flows.get(named.flowId)!, r.src.header.bootTimeMs);
    expect(flow).toMatchObject({ pid: 4321, tid: 4322, comm: 'nginx', uid: 33 });
    const owner = { pid: 1, tid: 1, ppid: 0, uid: 0, gid: 0, comm: 'x', cgroupId: 0, netns: 0 };
    const ev = [{ type: 'flow-owner', ts: 1, flowId: 1, owner }];
    expect(checkEvents(ev, FLOW_OWNER_VERSION - 1)).toBe(0);
    expect(checkEvents(ev, FLOW_OWNER_VERSION)).toEqual(ev);
  });
});
