// Who owns a flow beyond the pid: a process running as uid 65534 (user "nobody"), a
// process in a cgroup the test creates under the cgroup v2 mount with a container-like
// path (docker-<64 hex>.scope), and a real podman container (runc, cgroupfs manager, a
// busybox root file system the test builds; see ../shared/ENVIRONMENT.md): the flow
// carries that cgroup and the container id.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cgroup2MountPoint, readMountinfo } from '../../src/loader/mountinfo';
import { byPorts, canCapture, closedFlow, flowWhere, skipWhy, startCapture, type Capture, type FlowKey } from './helpers/capture';
import { PYTHON, runTraffic, tcpServer, type Helper } from './helpers/procs';

/** podman with runc and a static busybox: installed by scripts/setup-system.mjs. */
const podmanWhy = spawnSync('podman', ['--version']).status !== 0
  ? 'podman not installed'
  : !existsSync('/usr/sbin/runc') && spawnSync('runc', ['--version']).status !== 0
    ? 'runc not installed'
    : !existsSync('/bin/busybox') ? 'no /bin/busybox (busybox-static)' : '';

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
    // The path comes with the cgroup's creation record (or a later walk): wait for the
    // fact rather than the first sight.
    const out = await flowWhere(cap, 'the cgroup of the flow', byPorts('tcp', closed.lport, closed.rport), (f) => f.cgroup !== null, 5000);
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

  it('a container that lives less than a second: its cgroup, removed at once, still names it', async () => {
    const mount = cgroup2MountPoint(readMountinfo());
    expect(mount).not.toBeNull();
    const id = randomBytes(32).toString('hex');
    const slice = join(mount!, `sockscope-short-${process.pid}.slice`);
    const scope = join(slice, `docker-${id}.scope`);
    mkdirSync(slice);
    cgroupDirs.push(slice);
    mkdirSync(scope);
    const { server, port } = await tcpServer('127.0.0.1', ['--expect', '900']);
    helpers.push(server);
    const enter = ['sh', '-c', `echo $$ > ${scope}/cgroup.procs && exec "$@"`, 'sh'];
    const client = runTraffic(['client-tcp', '127.0.0.1', String(port), '--send', '900', '--exit-now'], { prefix: enter });
    helpers.push(client);
    const { lport } = (await client.next('connected')) as unknown as { lport: number };
    expect(await client.exited).toBe(0);
    // The cgroup goes as soon as it is empty (a dying task may hold it for a moment).
    const t0 = performance.now();
    for (;;) {
      try {
        rmdirSync(scope);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EBUSY' || performance.now() - t0 > 100) throw err;
        await new Promise((r) => setTimeout(r, 2));
      }
    }
    expect(performance.now() - t0).toBeLessThan(100);
    const out = await flowWhere(cap, 'the flow of the short-lived container', byPorts('tcp', lport, port), (f) => f.state === 'closed' && f.cgroup !== null, 5000);
    expect(out).toMatchObject({
      pid: client.pid,
      cgroup: `/sockscope-short-${process.pid}.slice/docker-${id}.scope`,
      container: { id, runtime: 'docker' },
      bytes_sent: 900,
    });
  });

  it.skipIf(podmanWhy !== '')(`a real podman container: cgroup and container id${podmanWhy ? ` (skipped: ${podmanWhy})` : ''}`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sockscope-podman-'));
    try {
      const root = join(dir, 'rootfs');
      for (const d of ['bin', 'proc', 'sys', 'dev', 'tmp', 'etc']) mkdirSync(join(root, d), { recursive: true });
      copyFileSync('/bin/busybox', join(root, 'bin', 'busybox'));
      for (const applet of ['sh', 'nc', 'head']) symlinkSync('busybox', join(root, 'bin', applet));
      const { server, port } = await tcpServer('127.0.0.1', ['--expect', '3000']);
      helpers.push(server);
      const cidfile = join(dir, 'cid');
      // The container ends right after its traffic and podman removes its cgroup: the
      // path comes from the kernel's cgroup_mkdir record, not from a walk of the tree.
      const podman = spawn('podman', [
        '--runtime', 'runc', '--cgroup-manager=cgroupfs', 'run', '--rm', '--net=host', '--cidfile', cidfile, '--rootfs', root,
        '/bin/sh', '-c', `head -c 3000 /dev/zero | nc 127.0.0.1 ${port}`,
      ], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      podman.stderr.on('data', (d) => (stderr += d));
      const exited = new Promise<number | null>((r) => podman.on('exit', (code) => r(code)));
      expect(await server.exited).toBe(0);
      const id = readFileSync(cidfile, 'utf8').trim();
      expect(id).toMatch(/^[0-9a-f]{64}$/);
      const mine = (f: FlowKey) => f.proto === 'tcp' && f.rport === port && f.direction === 'outbound';
      const out = await flowWhere(cap, 'the container flow with its cgroup', mine, (f) => f.state === 'closed' && f.cgroup !== null, 5000);
      expect(await exited).toBe(0);
      expect(stderr).toBe('');
      expect(out).toMatchObject({
        comm: 'nc', uid: 0, bytes_sent: 3000, bytes_received: 0,
        cgroup: `/libpod_parent/libpod-${id}`,
        container: { id, runtime: 'podman' },
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
