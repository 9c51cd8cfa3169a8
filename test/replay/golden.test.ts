// Golden replay tests (no root): each committed recording, replayed through the reader,
// the reducer and the CONTRACT JSON, holds the flows that scripts/record-fixture.mjs made
// and wrote down in recordings/<name>.expect.json (ports, pids, users, container id,
// exact byte counts it sent). The expectations come from the script, not from a previous
// run of sockscope.
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoRecordingPath, RECORDINGS_DIR } from '../../src/assets';
import { toJsonFlow } from '../../src/core/flow-json';
import { applyBatch, createCoreState } from '../../src/core/reducer';
import { openRecording } from '../../src/record/reader';
import { REC } from '../../src/events/layout';
import { walkKernelRecords } from '../../src/events/kernel-records';
import { readAll, tempDir, writeRecording } from './recording-helpers';
import { storedEvents } from './stored-frames';

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
  /** FLOW_BRIEF records the kernel sent for the scenario's flows (brief.ssrec). */
  kernelBriefRecords?: number;
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
  it('include the demo, the churn burst and the brief flows, each with its expectations, each under 2 MB', () => {
    expect(expectFiles.sort()).toEqual(['brief.expect.json', 'churn.expect.json', 'demo.expect.json']);
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

/** FLOW_BRIEF records in the file's stored kernel-records runs (not what replay expands). */
function storedBriefRecords(path: string): number {
  let n = 0;
  for (const e of storedEvents(path)) {
    if (e.type === 'kernel-records') walkKernelRecords(e.bytes, (type) => (n += type === REC.FLOW_BRIEF ? 1 : 0));
  }
  return n;
}

/** Null, or why the file does not cover the FLOW_BRIEF path of replay (runs of FLOW_BRIEF
 * records, at least as many as the kernel sent for the scenario). */
function briefRunsProblem(path: string, kernelBriefRecords: number): string | null {
  const stored = storedBriefRecords(path);
  return stored >= kernelBriefRecords ? null : `${stored} FLOW_BRIEF records in its runs, the kernel sent ${kernelBriefRecords}`;
}

const specs = expectFiles.map((f) => JSON.parse(readFileSync(join(RECORDINGS_DIR, f), 'utf8')) as ExpectFile);
const withBriefs = specs.filter((s) => s.kernelBriefRecords !== undefined);

describe('FLOW_BRIEF records stored as kernel-records runs', () => {
  it('only brief.ssrec has them: churn.ssrec and demo.ssrec were recorded before FLOW_BRIEF existed', () => {
    expect(withBriefs.map((s) => s.recording)).toEqual(['brief.ssrec']);
    expect(storedBriefRecords(join(RECORDINGS_DIR, 'churn.ssrec'))).toBe(0);
    expect(storedBriefRecords(join(RECORDINGS_DIR, 'demo.ssrec'))).toBe(0);
  });

  it.each(withBriefs.map((s) => [s.recording, s] as const))('%s holds every FLOW_BRIEF record the kernel sent, as a record', (_f, spec) => {
    expect(spec.kernelBriefRecords).toBeGreaterThan(1000);
    expect(briefRunsProblem(join(RECORDINGS_DIR, spec.recording), spec.kernelBriefRecords!)).toBeNull();
  });

  it.each(withBriefs.map((s) => [s.recording, s] as const))('the check rejects %s with its runs expanded into ordinary events', async (_f, spec) => {
    const dir = tempDir();
    try {
      const { batches, damage } = await readAll(join(RECORDINGS_DIR, spec.recording));
      expect(damage).toBeNull();
      const copy = join(dir, 'expanded.ssrec');
      writeRecording(copy, batches);
      expect(storedEvents(copy).some((e) => e.type === 'kernel-records')).toBe(false);
      // the same flows when replayed: only the stored form differs
      expect((await replay(copy)).flows.length).toBe((await replay(join(RECORDINGS_DIR, spec.recording))).flows.length);
      expect(briefRunsProblem(copy, spec.kernelBriefRecords!)).toMatch(/^0 FLOW_BRIEF records/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.each(expectFiles)('capture losses in %s', (file) => {
  it('the kernel lost no event and evicted no flow during the scenario', async () => {
    const spec: ExpectFile = JSON.parse(readFileSync(join(RECORDINGS_DIR, file), 'utf8'));
    const { batches } = await readAll(join(RECORDINGS_DIR, spec.recording));
    const ticks = batches.flat().filter((e) => e.type === 'tick');
    expect(ticks.length).toBeGreaterThan(1);
    const [first, last] = [ticks[0], ticks.at(-1)!] as any[];
    expect(last.lost - first.lost).toBe(0);
    expect(last.evicted - first.evicted).toBe(0);
  });
});
