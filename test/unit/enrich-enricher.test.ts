// The enricher as the live source uses it: batches in, batches with facts out. Fixture
// /proc and /etc, a real directory tree as the cgroup mount, a real HTTP server on a unix
// socket as the container runtime.
import { cpSync, mkdirSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { AppEvent, FlowOpenEvent, Owner } from '../../src/events/types';
import { createEnricher, type Enricher } from '../../src/enrich/index';
import type { RecordedEvent } from '../../src/events/kernel-records';
import { openRecord, run } from '../replay/kernel-record-encoder';

const FIXTURES = fileURLToPath(new URL('../fixtures/enrich', import.meta.url));
const CID = 'd'.repeat(64);
const S = 1e9;

function flowOpen(flowId: number, ts: number, owner: Partial<Owner>): FlowOpenEvent {
  return {
    type: 'flow-open',
    ts,
    flowId,
    cookie: flowId,
    proto: 'tcp',
    family: 4,
    laddr: '127.0.0.1',
    lport: 40000 + flowId,
    raddr: '127.0.0.1',
    rport: 8080,
    direction: 'outbound',
    owner: { pid: 4242, tid: 4242, ppid: 4000, uid: 1000, gid: 1000, comm: 'python3', cgroupId: 0, netns: 1, ...owner },
    state: 'ESTABLISHED',
    connectLatencyUs: 50,
    seenAtStart: false,
  };
}

const types = (events: RecordedEvent[]) => events.map((e) => e.type);

describe('createEnricher', () => {
  let dir: string;
  let cgroupRoot: string;
  let etcRoot: string;
  let server: Server;
  let socketPath: string;
  let enricher: Enricher | null = null;
  let now = 0;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sockscope-enrich-'));
    cgroupRoot = join(dir, 'cgroup');
    mkdirSync(join(cgroupRoot, 'system.slice', `docker-${CID}.scope`), { recursive: true });
    mkdirSync(join(cgroupRoot, 'system.slice', 'ssh.service'), { recursive: true });
    etcRoot = join(dir, 'etc');
    cpSync(join(FIXTURES, 'etc'), etcRoot, { recursive: true });
    socketPath = join(dir, 'docker.sock');
    server = createServer((req, res) => {
      if (req.url === `/containers/${CID}/json`) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ Id: CID, Name: '/shop-api' }));
      } else {
        res.writeHead(404);
        res.end('{}');
      }
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    now = 0;
  });

  afterEach(async () => {
    enricher?.close();
    enricher = null;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const make = (runtimeSocket: string | null = socketPath) =>
    (enricher = createEnricher({ procRoot: join(FIXTURES, 'proc'), etcRoot, cgroupRoot, runtimeSocket, now: () => now }));
  const cgroupId = (rel: string) => statSync(join(cgroupRoot, rel)).ino;

  test('facts come right before the first event that needs them, once', () => {
    const e = make(null);
    const sshCg = cgroupId('system.slice/ssh.service');
    const tick = { type: 'tick', ts: 1 * S, wallMs: 1, lost: 0, evicted: 0 } as const;
    const out = e.observe([tick, flowOpen(1, 2 * S, { cgroupId: sshCg }), flowOpen(2, 3 * S, { cgroupId: sshCg })]);
    expect(types(out)).toEqual(['tick', 'process', 'user', 'group', 'cgroup', 'flow-open', 'flow-open']);
    expect(out[1]).toEqual({
      type: 'process',
      ts: 2 * S,
      pid: 4242,
      ppid: 4000,
      exe: '/usr/bin/python3.11',
      cmdline: '/usr/bin/python3 -m http.server 8080',
    });
    expect(out[2]).toEqual({ type: 'user', uid: 1000, name: 'alice' });
    expect(out[3]).toEqual({ type: 'group', gid: 1000, name: 'alice' });
    expect(out[4]).toEqual({ type: 'cgroup', cgroupId: sshCg, path: '/system.slice/ssh.service', container: null });

    // The next batch repeats nothing already said.
    expect(types(e.observe([flowOpen(3, 4 * S, { cgroupId: sshCg })]))).toEqual(['flow-open']);
  });

  test('a kernel-records run gets the facts of every owner in it, before the run', () => {
    const e = make(null);
    const sshCg = cgroupId('system.slice/ssh.service');
    const rootOwner = { pid: 777010, tid: 777010, ppid: 4242, uid: 0, gid: 0, cgroupId: 0 };
    const runEv = run([
      openRecord(flowOpen(1, 2 * S, { cgroupId: sshCg })),
      openRecord(flowOpen(2, 3 * S, { cgroupId: sshCg })), // same owner: looked at once
      openRecord(flowOpen(3, 4 * S, rootOwner)),
    ]);
    const out = e.observe([{ type: 'proc-exec', ts: 1 * S, pid: 777010, ppid: 4242, uid: 0, comm: 'curl', filename: '/usr/bin/curl' }, runEv]);
    expect(types(out)).toEqual(['proc-exec', 'process', 'user', 'group', 'cgroup', 'process', 'user', 'group', 'kernel-records']);
    expect(out[1]).toMatchObject({ type: 'process', ts: 2 * S, pid: 4242, exe: '/usr/bin/python3.11' });
    expect(out[4]).toEqual({ type: 'cgroup', cgroupId: sshCg, path: '/system.slice/ssh.service', container: null });
    expect(out[5]).toEqual({ type: 'process', ts: 4 * S, pid: 777010, ppid: 4242, exe: '/usr/bin/curl', cmdline: null });
    expect(out[6]).toEqual({ type: 'user', uid: 0, name: 'root' });
    expect(out[8]).toBe(runEv);
    // Nothing is said twice: the same owners in a later run need no facts.
    expect(types(e.observe([run([openRecord(flowOpen(4, 5 * S, { cgroupId: sshCg }))])]))).toEqual(['kernel-records']);
  });

  test('a run read from a file (walked) gets the same facts as one a collector noted owners in', () => {
    const sshCg = cgroupId('system.slice/ssh.service');
    const rootOwner = { pid: 777010, tid: 777010, ppid: 4242, uid: 0, gid: 0, cgroupId: 0 };
    const records = [1, 2, 3, 4, 5].map((i) => openRecord(i % 2 === 0 ? flowOpen(i, i * S, rootOwner) : flowOpen(i, i * S, { cgroupId: sshCg })));
    const noted = run(records);
    const walked = { ...noted, bytes: Buffer.from(noted.bytes) };
    const facts = (out: RecordedEvent[]) => out.filter((ev) => ev.type !== 'kernel-records');
    expect(facts(make(null).observe([walked]))).toEqual(facts(make(null).observe([noted])));
    expect(facts(make(null).observe([noted])).map((ev) => ev.type)).toEqual(['process', 'user', 'group', 'cgroup', 'process', 'user', 'group']);
  });

  test('connect failures need facts too; other events pass through untouched', () => {
    const e = make(null);
    const fail = {
      type: 'connect-fail',
      ts: 1 * S,
      proto: 'tcp',
      family: 4,
      laddr: '127.0.0.1',
      lport: 1,
      raddr: '127.0.0.1',
      rport: 9,
      owner: flowOpen(0, 0, { uid: 0, gid: 0 }).owner,
      reason: 'refused',
      latencyUs: 10,
    } as const;
    const close = { type: 'flow-close', ts: 2 * S, flowId: 1, counters: { bytesSent: 1, bytesReceived: 2, packetsSent: null, packetsReceived: null, retransmits: null, srttUs: null } } as const;
    const out = e.observe([fail, close]);
    expect(types(out)).toEqual(['process', 'user', 'group', 'connect-fail', 'flow-close']);
    expect(out[4]).toBe(close);
  });

  test('a short-lived process keeps the facts captured at exec', () => {
    const e = make(null);
    const out = e.observe([
      { type: 'proc-exec', ts: 1 * S, pid: 777001, ppid: 4242, uid: 0, comm: 'curl', filename: '/usr/bin/curl' },
      { type: 'proc-exit', ts: 2 * S, pid: 777001 },
      flowOpen(1, 3 * S, { pid: 777001, tid: 777001, ppid: 4242, uid: 0, gid: 0 }),
    ]);
    expect(out.find((ev) => ev.type === 'process')).toEqual({ type: 'process', ts: 3 * S, pid: 777001, ppid: 4242, exe: '/usr/bin/curl', cmdline: null });
  });

  test('a short-lived process keeps the command line the kernel read at exec', () => {
    const e = make(null);
    const out = e.observe([
      { type: 'proc-exec', ts: 1 * S, pid: 777002, ppid: 4242, uid: 0, comm: 'curl', filename: '/usr/bin/curl', cmdline: 'curl -s http://x' },
      { type: 'proc-exit', ts: 2 * S, pid: 777002 },
      flowOpen(1, 3 * S, { pid: 777002, tid: 777002, ppid: 4242, uid: 0, gid: 0 }),
    ]);
    expect(out.find((ev) => ev.type === 'process')).toEqual({ type: 'process', ts: 3 * S, pid: 777002, ppid: 4242, exe: '/usr/bin/curl', cmdline: 'curl -s http://x' });
  });

  test('a pid that execs something else gets a new fact at its next flow', () => {
    const e = make(null);
    e.observe([flowOpen(1, 1 * S, {})]);
    const out = e.observe([
      { type: 'proc-exec', ts: 2 * S, pid: 4242, ppid: 4000, uid: 1000, comm: 'x', filename: '/usr/bin/x' },
      flowOpen(2, 3 * S, {}),
    ]);
    // The fixture /proc still shows python: the fact follows /proc, and it is not re-sent
    // because nothing changed.
    expect(types(out)).toEqual(['proc-exec', 'flow-open']);
  });

  test('a renamed user is said again (after the interval: an owner is looked at once per tick)', () => {
    const e = make(null);
    e.observe([flowOpen(1, 1 * S, {}), { type: 'tick', ts: 1.5 * S, wallMs: 1, lost: 0, evicted: 0 }]);
    writeFileSync(join(etcRoot, 'passwd'), 'root:x:0:0::/root:/bin/bash\nalicia:x:1000:1000::/home/a:/bin/sh\n');
    utimesSync(join(etcRoot, 'passwd'), new Date(), new Date(Date.now() + 5000));
    now = 2000;
    const out = e.observe([flowOpen(2, 2 * S, {})]);
    expect(out.filter((ev) => ev.type === 'user')).toEqual([{ type: 'user', uid: 1000, name: 'alicia' }]);
  });

  test('container from the cgroup, its name from the runtime API at the next observe()', async () => {
    const e = make();
    const cg = cgroupId(`system.slice/docker-${CID}.scope`);
    const out = e.observe([flowOpen(1, 1 * S, { cgroupId: cg })]);
    expect(out.find((ev) => ev.type === 'cgroup')).toEqual({
      type: 'cgroup',
      cgroupId: cg,
      path: `/system.slice/docker-${CID}.scope`,
      container: { id: CID, runtime: 'docker', name: null, pod: null, namespace: null, qos: null },
    });
    await e.idle();
    expect(e.observe([])).toEqual([{ type: 'container-name', id: CID, name: 'shop-api' }]);
    expect(e.observe([])).toEqual([]);

    // Another cgroup fact for the same container (a second cgroup id is not needed: a
    // fresh enricher would now find the name in the cache) carries the name directly.
    mkdirSync(join(cgroupRoot, 'system.slice', `docker-${CID}.scope`, 'init.scope'));
    now = 5000;
    const inner = cgroupId(`system.slice/docker-${CID}.scope/init.scope`);
    const again = e.observe([flowOpen(2, 2 * S, { cgroupId: inner })]);
    expect(again.find((ev) => ev.type === 'cgroup')).toMatchObject({ container: { id: CID, name: 'shop-api' } });
    await e.idle();
    expect(e.observe([])).toEqual([]);
  });

  test('a cgroup created after the last walk is found on a later observe() without a new flow', () => {
    const e = make(null);
    e.observe([flowOpen(1, 1 * S, { cgroupId: cgroupId('system.slice/ssh.service') })]);
    mkdirSync(join(cgroupRoot, 'system.slice', 'late.scope'));
    const late = cgroupId('system.slice/late.scope');
    now = 100; // the resolver walked at 0: too soon to walk again
    const first = e.observe([flowOpen(2, 2 * S, { cgroupId: late })]);
    expect(first.find((ev) => ev.type === 'cgroup')).toEqual({ type: 'cgroup', cgroupId: late, path: null, container: null });
    now = 1200;
    expect(e.observe([])).toEqual([{ type: 'cgroup', cgroupId: late, path: '/system.slice/late.scope', container: null }]);
  });

  test('a cgroup the kernel reported at creation resolves without a walk, even once removed', () => {
    const e = make(null);
    e.observe([flowOpen(1, 1 * S, { cgroupId: cgroupId('system.slice/ssh.service') })]); // the walk, at 0
    const id = 987654321; // in no tree: only the creation record names it
    const path = `/system.slice/docker-${CID}.scope/gone.scope`;
    const learned = { type: 'cgroup', cgroupId: id, path, container: null } as const;
    now = 100; // too soon to walk again, and a walk could not find it anyway
    const out = e.observe([learned, flowOpen(2, 2 * S, { cgroupId: id })]);
    // The source's fact is learned, not passed on: the fact comes where the flow needs it,
    // with the container parsed from the path.
    expect(out.filter((ev) => ev.type === 'cgroup')).toEqual([
      { type: 'cgroup', cgroupId: id, path, container: { id: CID, runtime: 'docker', name: null, pod: null, namespace: null, qos: null } },
    ]);
    expect(types(out)).toEqual(['cgroup', 'flow-open']);
    // A creation no flow ever needs leaves no trace in the stream.
    expect(e.observe([{ ...learned, cgroupId: id + 1 }])).toEqual([]);
  });

  test('a flow seen before its cgroup creation record gets the path at the next observe()', () => {
    const e = make(null);
    e.observe([flowOpen(1, 1 * S, { cgroupId: cgroupId('system.slice/ssh.service') })]);
    now = 100;
    const id = 987654322;
    const first = e.observe([flowOpen(2, 2 * S, { cgroupId: id }), { type: 'cgroup', cgroupId: id, path: '/x.slice/y.scope', container: null }]);
    expect(first.filter((ev) => ev.type === 'cgroup')).toEqual([{ type: 'cgroup', cgroupId: id, path: null, container: null }]);
    expect(e.observe([])).toEqual([{ type: 'cgroup', cgroupId: id, path: '/x.slice/y.scope', container: null }]);
  });

  test('cgroupRoot null turns cgroup resolution off', () => {
    enricher = createEnricher({ procRoot: join(FIXTURES, 'proc'), etcRoot, cgroupRoot: null, runtimeSocket: null });
    expect(types(enricher.observe([flowOpen(1, 1 * S, { cgroupId: 12345 })]))).toEqual(['process', 'user', 'group', 'flow-open']);
  });
});
