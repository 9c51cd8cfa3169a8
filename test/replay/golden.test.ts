// Golden replay tests (no root): each committed recording, replayed through the reader,
// the reducer and the CONTRACT JSON, holds the flows that scripts/record-fixture.mjs made
// and wrote down in recordings/<name>.expect.json (ports, pids, users, container id,
// exact byte counts it sent). The expectations come from the script, not from a previous
// run of sockscope.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoRecordingPath, RECORDINGS_DIR } from '../../src/assets';
import { toJsonFlow } from '../../src/core/flow-json';
import { applyBatch, createCoreState } from '../../src/core/reducer';
import { openRecording } from '../../src/record/reader';

type Flow = Record<string, any>;
interface Expectation {
  name: string;
  match: Flow;
  count: number | { min?: number; max?: number };
  expect: Flow;
  min?: Record<string, number>;
}
interface ExpectFile {
  recording: string;
  container?: string;
  users?: string[];
  flows: Expectation[];
}

/** Every key of `pattern` equals the flow's (objects compared key by key, null exactly). */
function matches(v: any, pattern: any): boolean {
  if (pattern === null || typeof pattern !== 'object') return v === pattern;
  if (v === null || typeof v !== 'object') return false;
  return Object.keys(pattern).every((k) => matches(v[k], pattern[k]));
}

async function replay(path: string) {
  const src = await openRecording(path);
  const state = createCoreState({ lingerNs: Infinity, maxFlows: Number.MAX_SAFE_INTEGER, historyLength: 0 });
  try {
    for await (const b of src.batches()) applyBatch(state, b);
  } finally {
    await src.close();
  }
  const flows: Flow[] = [...state.flows.values()].map((f) => toJsonFlow(state, f, src.header.bootTimeMs));
  return { src, flows };
}

const expectFiles = readdirSync(RECORDINGS_DIR).filter((f) => f.endsWith('.expect.json'));

describe('committed recordings', () => {
  it('include the demo and the churn burst, each with its expectations, each under 2 MB', () => {
    expect(expectFiles.sort()).toEqual(['churn.expect.json', 'demo.expect.json']);
    for (const f of readdirSync(RECORDINGS_DIR).filter((f) => f.endsWith('.ssrec'))) {
      expect(statSync(join(RECORDINGS_DIR, f)).size).toBeLessThan(2 * 1024 * 1024);
    }
    expect(demoRecordingPath()).toBe(join(RECORDINGS_DIR, 'demo.ssrec'));
  });
});

describe.each(expectFiles)('golden replay of %s', (file) => {
  const spec: ExpectFile = JSON.parse(readFileSync(join(RECORDINGS_DIR, file), 'utf8'));
  const loaded = replay(join(RECORDINGS_DIR, spec.recording));

  it('reads completely, without damage', async () => {
    const { src, flows } = await loaded;
    expect(src.damage()).toBeNull();
    expect(src.end()).not.toBeNull();
    expect(flows.length).toBeGreaterThan(0);
  });

  it.each(spec.flows.map((e) => [e.name, e] as const))('%s', async (_name, e) => {
    const { flows } = await loaded;
    const found = flows.filter((f) => matches(f, e.match));
    if (typeof e.count === 'number') expect(found).toHaveLength(e.count);
    else {
      expect(found.length).toBeGreaterThanOrEqual(e.count.min ?? 0);
      expect(found.length).toBeLessThanOrEqual(e.count.max ?? Infinity);
    }
    for (const f of found) {
      expect(f).toMatchObject(e.expect);
      for (const [k, least] of Object.entries(e.min ?? {})) expect(f[k], k).toBeGreaterThanOrEqual(least);
    }
  });

  // Both ends of a loopback connection are on this host, so sent by one is received by
  // the other. A churn burst reuses ports, so only tuples seen once on each side pair up.
  // Known capture issue (reported to live capture): a connection that wrk closes at the
  // end of its run with a request in flight can be off by one response (1 of ~220 pairs
  // in demo.ssrec); the tolerance below is that, not more.
  it('both ends of every loopback connection agree on the bytes', async () => {
    const { flows } = await loaded;
    const key = (p: string, la: string, lp: number, ra: string, rp: number) => `${p} ${la}:${lp} ${ra}:${rp}`;
    const byTuple = new Map<string, Flow[]>();
    for (const f of flows) {
      const k = key(f.proto, f.laddr, f.lport, f.raddr, f.rport);
      byTuple.set(k, [...(byTuple.get(k) ?? []), f]);
    }
    let pairs = 0;
    const wrong: string[] = [];
    for (const [k, [f, ...more]] of byTuple) {
      const peers = byTuple.get(key(f.proto, f.raddr, f.rport, f.laddr, f.lport));
      if (more.length > 0 || !peers || peers.length !== 1 || k > key(f.proto, f.raddr, f.rport, f.laddr, f.lport)) continue;
      pairs++;
      const p = peers[0];
      if (f.bytes_sent !== p.bytes_received || f.bytes_received !== p.bytes_sent) {
        wrong.push(`${f.comm} ${f.lport}->${f.rport} sent/received ${f.bytes_sent}/${f.bytes_received}, ${p.comm} ${p.bytes_sent}/${p.bytes_received}`);
      }
    }
    expect(pairs).toBeGreaterThan(10);
    expect(wrong.length, wrong.join('; ')).toBeLessThanOrEqual(Math.floor(pairs / 100));
  });

  it('names the users and the container the script used', async () => {
    const { flows } = await loaded;
    for (const u of spec.users ?? []) expect(flows.some((f) => f.user === u), u).toBe(true);
    if (spec.container) {
      const inContainer = flows.filter((f) => f.container?.id === spec.container);
      expect(inContainer.length).toBeGreaterThan(0);
      for (const f of inContainer) expect(f.cgroup).toContain(`libpod-${spec.container}`);
    }
  });
});
