// Who owns a flow beyond the pid: a process running as uid 65534 (user "nobody"), and a
// process in a cgroup the test creates under the cgroup v2 mount with a container-like
// path (docker-<64 hex>.scope): the flow carries that cgroup and the container id.
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cgroup2MountPoint, readMountinfo } from '../../src/loader/mountinfo';
import { byPorts, canCapture, closedFlow, skipWhy, startCapture, type Capture } from './helpers/capture';
import { PYTHON, runTraffic, tcpServer, type Helper } from './helpers/procs';

describe.skipIf(!canCapture.ok)(`live capture: user and cgroup attribution${skipWhy}`, () => {
  let cap: Capture;
  const helpers: Helper[] = [];
  const cgroupDirs: string[] = [];
  beforeAll(async () => {
    cap = await startCapture({ intervalMs: 200 });
  });
  afterAll(async () => {
    for (const h of helpers) h.kill();
    await Promise.all(helpers.map((h) => h.exited));
    for (const d of cgroupDirs.reverse()) {
      try {
        rmdirSync(d);
      } catch {
        // still populated (a helper that did not exit): leave it for the OS
      }
    }
    await cap?.stop();
  });

  async function exchangeVia(prefix: string[]) {
    const { server, port } = await tcpServer('127.0.0.1', ['--expect', '2048', '--reply', '1024']);
    helpers.push(server);
    const client = runTraffic(['client-tcp', '127.0.0.1', String(port), '--send', '2048', '--recv', '1024'], { prefix });
    helpers.push(client);
    const { lport } = (await client.next('connected')) as unknown as { lport: number };
    expect(await client.exited).toBe(0);
    const out = await closedFlow(cap, 'the client flow', byPorts('tcp', lport, port));
    return { out, client };
  }

  it('a process running as uid 65534: uid, gid and user name', async () => {
    const { out, client } = await exchangeVia(['setpriv', '--reuid', '65534', '--regid', '65534', '--clear-groups']);
    expect(out).toMatchObject({ pid: client.pid, uid: 65534, gid: 65534, user: 'nobody', exe: PYTHON, bytes_sent: 2048, bytes_received: 1024 });
  });

  it('a process in a container-like cgroup: cgroup path and container id', async () => {
    const mount = cgroup2MountPoint(readMountinfo());
    expect(mount).not.toBeNull();
    const id = randomBytes(32).toString('hex');
    const slice = join(mount!, `sockscope-test-${process.pid}.slice`);
    const scope = join(slice, `docker-${id}.scope`);
    mkdirSync(slice);
    cgroupDirs.push(slice);
    mkdirSync(scope);
    cgroupDirs.push(scope);
    // The shell moves itself into the cgroup, then execs python in place (same pid).
    const enter = ['sh', '-c', `echo $$ > ${scope}/cgroup.procs && exec "$@"`, 'sh'];
    const { out: closed, client } = await exchangeVia(enter);
    // A cgroup created after the enricher's last walk of the tree resolves on a later
    // walk (they are rate-limited): wait for the fact rather than the first sight.
    const out = await cap.waitFor('the cgroup of the flow', () => cap.flows().find((f) => f.flowId === closed.flowId && f.cgroup !== null), 5000);
    expect(out).toMatchObject({
      pid: client.pid,
      cgroup: `/sockscope-test-${process.pid}.slice/docker-${id}.scope`,
      container: { id, runtime: 'docker' },
      bytes_sent: 2048,
      bytes_received: 1024,
    });
    // The server, in the test's own cgroup, is not in that container.
    const inn = cap.flows().find((f) => f.rport === out.lport && f.lport === out.rport);
    expect(inn?.container).toBeNull();
  });
});
