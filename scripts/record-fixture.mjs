#!/usr/bin/env node
// Records the committed recordings on this machine, as root (recordings/README.md says
// what each scenario does):
//
//   node scripts/build.mjs && node scripts/record-fixture.mjs [demo] [churn] [brief]
//   node scripts/record-fixture.mjs --rewrite [demo] [churn] [brief]   re-encode with the current writer
//
// All traffic runs in a network namespace this script creates (loopback inside it), so
// the scenario is isolated from whatever else the host does. sockscope records the whole
// host; the script then keeps only the flows owned in its namespace (and the facts about
// their processes, users and cgroups; src/record/filter-netns.ts, which keeps the kept
// flows' kernel records byte for byte) so the committed file holds the scenario and
// nothing else. It writes recordings/<name>.expect.json with what the script itself knows (ports,
// pids, users, the container id, the exact bytes it sent): test/replay/golden.test.ts
// checks the recording against that.
import { build } from 'esbuild';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { $, sleep } from 'zx';

$.verbose = false;
$.quiet = true;
const root = resolve(import.meta.dirname, '..');
const CLI = join(root, 'dist/sockscope.mjs');
const PY = '/usr/bin/python3'; // readable by uid 65534 (a pyenv one under /root is not)
const args = process.argv.slice(2);
const REWRITE = args.includes('--rewrite');
const wanted = args.filter((a) => !a.startsWith('--')).length ? args.filter((a) => !a.startsWith('--')) : ['demo', 'churn', 'brief'];

if (process.getuid() !== 0) {
  console.error('record-fixture: run as root (live capture, network namespace, podman)');
  process.exit(3);
}
if (!existsSync(CLI)) {
  console.error('record-fixture: dist/sockscope.mjs is missing; run node scripts/build.mjs first');
  process.exit(1);
}

const tmp = mkdtempSync(join(tmpdir(), 'sockscope-fixture-'));
chmodSync(tmp, 0o755);
const NS = `ssfx${process.pid}`;
const children = new Set();

// ---- actors: small Python programs whose byte counts are exact -------------------------
const ACTORS = String.raw`
import socket, socketserver, sys, time
def fam(host): return socket.AF_INET6 if ':' in host else socket.AF_INET
cmd = sys.argv[1]
if cmd == 'kbserver':  # forked worker per connection; answers n bytes with 2n after EOF
    host, port = sys.argv[2], int(sys.argv[3])
    class H(socketserver.BaseRequestHandler):
        def handle(self):
            n = 0
            while True:
                d = self.request.recv(65536)
                if not d: break
                n += len(d)
            self.request.sendall(b'k' * (2 * n))
    class S(socketserver.ForkingTCPServer):
        address_family = fam(host)
        allow_reuse_address = True
    S((host, port), H).serve_forever()
elif cmd == 'kbclient':  # sends n bytes in k chunks spaced s seconds from a fixed port
    host, port, lport, n, k, s = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), float(sys.argv[7])
    c = socket.socket(fam(host), socket.SOCK_STREAM)
    c.bind((host, lport)); c.connect((host, port))
    for i in range(k):
        c.sendall(b'c' * (n // k + (n % k if i == k - 1 else 0)))
        if s: time.sleep(s)
    c.shutdown(socket.SHUT_WR)
    got = 0
    while True:
        d = c.recv(65536)
        if not d: break
        got += len(d)
    c.close()
    if got != 2 * n: sys.exit('kbclient: got %d, want %d' % (got, 2 * n))
elif cmd == 'udppeer':  # echoes every datagram
    host, port = sys.argv[2], int(sys.argv[3])
    u = socket.socket(fam(host), socket.SOCK_DGRAM); u.bind((host, port))
    while True:
        d, a = u.recvfrom(65536); u.sendto(d, a)
elif cmd == 'udpclient':  # one socket, several peers: peer:count:size ...
    host, lport = sys.argv[2], int(sys.argv[3])
    u = socket.socket(fam(host), socket.SOCK_DGRAM); u.bind((host, lport)); u.settimeout(5)
    for spec in sys.argv[4:]:
        port, count, size = map(int, spec.split(':'))
        for _ in range(count):
            u.sendto(b'u' * size, (host, port)); u.recvfrom(65536); time.sleep(0.05)
    time.sleep(1.5)  # keep the socket past one snapshot
elif cmd == 'h10server':  # HTTP/1.0, one connection at a time: reads a request, answers exactly size bytes, closes
    host, port, size = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    head = b'HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n'
    body = next(n for n in range(size, -1, -1) if len(head % n) + n == size)
    resp = head % body + b'b' * body
    s = socket.socket(fam(host), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((host, port)); s.listen(128)
    while True:
        c, _ = s.accept()
        d = b''
        while b'\r\n\r\n' not in d:
            x = c.recv(4096)
            if not x: break
            d += x
        c.sendall(resp); c.close()
elif cmd == 'h10client':  # n HTTP/1.0 requests of exactly qsize bytes, one connection each; each answer must be rsize bytes
    host, port, n, qsize, rsize = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
    req = b'GET /' + b'q' * (qsize - len(b'GET / HTTP/1.0\r\n\r\n')) + b' HTTP/1.0\r\n\r\n'
    assert len(req) == qsize
    for i in range(n):
        c = socket.create_connection((host, port)); c.sendall(req)
        got = 0
        while True:
            d = c.recv(65536)
            if not d: break
            got += len(d)
        c.close()
        if got != rsize: sys.exit('h10client: got %d, want %d' % (got, rsize))
`;
writeFileSync(join(tmp, 'actors.py'), ACTORS);
chmodSync(join(tmp, 'actors.py'), 0o644);

function inNs(argv, opts = {}) {
  return ['ip', ['netns', 'exec', NS, ...argv], opts];
}
/** A background process; its pid is the program's own (ip netns exec and setpriv exec). */
function bg(cmd, args, opts = {}) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'], ...opts });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}
/** Runs to completion; fails the script if the program fails. */
function run(cmd, args, opts = {}) {
  return new Promise((res, rej) => {
    const child = bg(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], ...opts });
    let out = '';
    child.stdout?.on('data', (d) => (out += d));
    child.on('exit', (code) => (code === 0 ? res({ pid: child.pid, out }) : rej(new Error(`${cmd} ${args.join(' ')} exited ${code}`))));
  });
}
async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([done, sleep(3000)]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}
async function waitPort(host, port) {
  for (let i = 0; i < 100; i++) {
    const r = await $({ nothrow: true })`ip netns exec ${NS} ${PY} -c ${`import socket,sys\ntry: socket.create_connection((${JSON.stringify(host)},${port}),1).close()\nexcept OSError: sys.exit(1)`}`;
    if (r.exitCode === 0) return;
    await sleep(50);
  }
  throw new Error(`nothing listens on ${host} port ${port}`);
}

// ---- environment ------------------------------------------------------------------------
async function setupNetns() {
  await $`ip netns add ${NS}`;
  await $`ip netns exec ${NS} ip link set lo up`;
  return statSync(`/run/netns/${NS}`).ino;
}

async function startNginx(port) {
  const dir = join(tmp, `nginx-${port}`);
  mkdirSync(join(dir, 'html'), { recursive: true });
  writeFileSync(join(dir, 'html/index.html'), '<h1>sockscope demo</h1>\n');
  writeFileSync(join(dir, 'html/f10k'), Buffer.alloc(10_000, 0x6e));
  writeFileSync(
    join(dir, 'nginx.conf'),
    `user nobody nogroup;
worker_processes 2;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp;
  proxy_temp_path ${dir}/tmp;
  fastcgi_temp_path ${dir}/tmp;
  uwsgi_temp_path ${dir}/tmp;
  scgi_temp_path ${dir}/tmp;
  server { listen 127.0.0.1:${port}; root ${dir}/html; }
}
`,
  );
  mkdirSync(join(dir, 'tmp'));
  chmodSync(dir, 0o755);
  const child = bg(...inNs(['nginx', '-c', join(dir, 'nginx.conf'), '-p', dir, '-g', 'daemon off; master_process on;']));
  await waitPort('127.0.0.1', port);
  return child;
}

function podmanRootfs() {
  const r = join(tmp, 'rootfs');
  for (const d of ['bin', 'proc', 'sys', 'dev', 'tmp', 'etc']) mkdirSync(join(r, d), { recursive: true });
  writeFileSync(join(r, 'bin/busybox'), readFileSync('/bin/busybox'));
  chmodSync(join(r, 'bin/busybox'), 0o755);
  symlinkSync('busybox', join(r, 'bin/sh'));
  symlinkSync('busybox', join(r, 'bin/nc'));
  symlinkSync('busybox', join(r, 'bin/head'));
  return r;
}

// ---- recording and filtering --------------------------------------------------------------
function startRecorder(file) {
  const child = bg(process.execPath, [CLI, 'record', '-o', file, '--interval', '1s'], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr.on('data', () => {});
  return child;
}
async function waitHeader(file) {
  for (let i = 0; i < 200 && !(existsSync(file) && statSync(file).size > 12); i++) await sleep(50);
  await sleep(500); // the first snapshot of already open sockets is taken
}
async function stopRecorder(child) {
  const done = new Promise((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGINT');
  const code = await done;
  if (code !== 0) throw new Error(`sockscope record exited ${code}`);
}

let lib;
async function recordLib() {
  if (lib) return lib;
  const out = join(tmp, 'record-lib.mjs');
  await build({
    stdin: {
      contents: [
        "export { openRecording } from './src/record/reader';",
        "export { writeCompact } from './src/record/write-offline';",
        "export { runsFromEvents } from './src/record/runs-from-events';",
        "export { filterToNetns } from './src/record/filter-netns';",
      ].join(' '),
      resolveDir: root,
      loader: 'ts',
    },
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: 'warning',
  });
  return (lib = await import(out));
}

/** Re-encodes a recording with the current writer (codec, msgpack options; flow events
 * as kernel-records runs, as `record` stores them): same header, same events, same
 * chunks, checked by reading the new file back. For a format-compatible writer change
 * without re-recording. */
async function rewrite(file) {
  const { src, batches } = await readBatches(file);
  const out = join(tmp, 'rewrite.ssrec');
  const after = await writeCommitted(out, src.info, src.header.capture, batches);
  const again = await readBatches(out);
  if (!isDeepStrictEqual(again.batches, batches)) throw new Error(`${file}: the re-encoded file does not read back as the same batches; left unchanged`);
  writeFileSync(file, readFileSync(out), { mode: 0o600 });
  return { before: src.size, after };
}

/** Writes batches (one frame each) as a committed recording: flow events as
 * kernel-records runs, the writer's compact mode (zstd level 19, small frames compressed
 * too), all record structures in one table (taken from a first, plain writing). Returns
 * the file's size. */
async function writeCommitted(out, info, capture, batches) {
  const { writeCompact, runsFromEvents } = await recordLib();
  return writeCompact(out, info, batches.map((b) => runsFromEvents(b)), { capture }).bytesWritten;
}

/** Every batch of a recording, which must be undamaged. */
async function readBatches(file) {
  const { openRecording } = await recordLib();
  const src = await openRecording(file);
  const batches = [];
  for await (const b of src.batches()) batches.push(b);
  await src.close();
  if (src.damage()) throw new Error(src.damage().message);
  return { src, batches };
}

/** Keeps the flows owned in network namespace `netns` and the facts about their owners
 * (src/record/filter-netns.ts: from the stored events, runs filtered record by record). */
async function filterRecording(raw, out, netns) {
  const { filterToNetns } = await recordLib();
  const { src, batches } = await readBatches(raw);
  // A busy host (other captures, benchmarks) can make the kernel drop events or evict
  // flows; such a recording would miss part of the scenario: refuse it.
  const ticks = batches.flat().filter((e) => e.type === 'tick');
  const lost = ticks.at(-1).lost - ticks[0].lost;
  const evicted = ticks.at(-1).evicted - ticks[0].evicted;
  if (lost > 0 || evicted > 0) throw new Error(`the host was too busy: ${lost} events lost, ${evicted} flows evicted during the scenario; run again when it is quieter`);
  const stored = await readStored(raw);
  const { batches: kept, flows } = filterToNetns(stored, netns);
  const capture = { ...src.header.capture, filteredTo: `flows owned in one network namespace (inode ${netns}) by scripts/record-fixture.mjs` };
  const bytes = await writeCommitted(out, src.info, capture, kept);
  return { flows, bytes, kernelBriefs: briefRecordsIn(stored, netns) };
}

/** Every batch of a recording as stored (runs not expanded). */
async function readStored(file) {
  const { openRecording } = await recordLib();
  const src = await openRecording(file);
  const batches = [];
  for await (const b of src.storedBatches()) batches.push(b);
  await src.close();
  if (src.damage()) throw new Error(src.damage().message);
  return batches;
}

/** FLOW_BRIEF records (type 10) in the stored runs whose owner is in `netns` (its inode at
 * byte 92 of the record: struct ss_flow_record's owner at 72, netns at 20 in it). */
function briefRecordsIn(stored, netns) {
  let n = 0;
  for (const b of stored) {
    for (const e of b) {
      if (e.type !== 'kernel-records') continue;
      const r = Buffer.from(e.bytes.buffer, e.bytes.byteOffset, e.bytes.byteLength);
      for (let pos = 0; pos < r.length; pos += 4 + r.readUInt32LE(pos)) {
        if (r.readUInt32LE(pos + 4) === 10 && r.readUInt32LE(pos + 4 + 92) === netns) n++;
      }
    }
  }
  return n;
}

// ---- scenarios ----------------------------------------------------------------------------
const kbclient = (host, port, lport, n, k = 1, s = 0) => [PY, join(tmp, 'actors.py'), 'kbclient', host, String(port), String(lport), String(n), String(k), String(s)];

/** The busy mix: see recordings/README.md. Returns the expectations. */
async function demo() {
  const ROUNDS = 6;
  const CONTAINER_NAME = 'sockscope-demo-web';
  const NG = 8080, KB = 9000, KB6 = 9001, WEB6 = 8086, UA = 5301, UB = 5302;
  const expect = [];
  const exact = (name, match, fields, pid) => expect.push({ name, match, count: 1, expect: { ...fields, ...(pid ? { pid } : {}) } });
  const nginx = await startNginx(NG);
  const kb = bg(...inNs([PY, join(tmp, 'actors.py'), 'kbserver', '127.0.0.1', String(KB)]));
  const kb6 = bg(...inNs([PY, join(tmp, 'actors.py'), 'kbserver', '::1', String(KB6)]));
  const web6 = bg(...inNs([PY, '-m', 'http.server', '--bind', '::1', '--directory', tmp, String(WEB6)]), { stdio: 'ignore' });
  const ua = bg(...inNs([PY, join(tmp, 'actors.py'), 'udppeer', '127.0.0.1', String(UA)]));
  const ub = bg(...inNs([PY, join(tmp, 'actors.py'), 'udppeer', '127.0.0.1', String(UB)]));
  await Promise.all([waitPort('127.0.0.1', KB), waitPort('::1', KB6), waitPort('::1', WEB6)]);
  const rootfs = podmanRootfs();
  const ncDir = join(tmp, 'bin');
  mkdirSync(ncDir);
  symlinkSync('/bin/busybox', join(ncDir, 'nc'));
  writeFileSync(join(tmp, 'blob2222'), Buffer.alloc(2222, 0x62));

  // The Docker-compatible API that sockscope asks for container names (podman's own),
  // unless one already serves the default socket. Started before the recorder, which
  // looks for the socket when it starts.
  const apiSocket = '/run/podman/podman.sock';
  let api = null;
  const apiDirMade = !existsSync('/run/podman');
  if (!existsSync(apiSocket)) {
    mkdirSync('/run/podman', { recursive: true });
    api = bg('podman', ['--runtime', 'runc', '--cgroup-manager=cgroupfs', 'system', 'service', '--time=0', `unix://${apiSocket}`], { stdio: 'ignore' });
    for (let i = 0; i < 100 && !existsSync(apiSocket); i++) await sleep(50);
  }
  const raw = join(tmp, 'demo.raw.ssrec');
  const rec = startRecorder(raw);
  await waitHeader(raw);

  // long-lived: 20 chunks of 1000 bytes over ~10 s, counters move every interval
  const long = run(...inNs(kbclient('127.0.0.1', KB, 41000, 30_000, 30, 0.5)));
  // keep-alive load on nginx for a few seconds
  const wrk = run(...inNs(['wrk', '-t1', '-c2', '-d6s', `http://127.0.0.1:${NG}/index.html`]));
  let lport = 42000;
  for (let round = 0; round < ROUNDS; round++) {
    // HTTP client and server: curl against nginx (workers forked by the master, user nobody)
    const c = await run(...inNs(['curl', '-sS', '-o', '/dev/null', '--local-port', String(lport), `http://127.0.0.1:${NG}/f10k`]));
    expect.push({ name: `curl -> nginx round ${round}`, match: { proto: 'tcp', laddr: '127.0.0.1', lport, rport: NG }, count: 1, expect: { pid: c.pid, comm: 'curl', exe: '/usr/bin/curl', user: 'root', direction: 'outbound', state: 'closed' }, min: { bytes_received: 10_000 } });
    expect.push({ name: `nginx serves curl round ${round}`, match: { proto: 'tcp', lport: NG, rport: lport }, count: 1, expect: { comm: 'nginx', user: 'nobody', uid: 65534, exe: '/usr/sbin/nginx', direction: 'inbound' }, min: { bytes_sent: 10_000 } });
    lport++;
    // exact bytes, IPv4, root
    const n = 5000 + 1000 * round;
    const k4 = await run(...inNs(kbclient('127.0.0.1', KB, lport, n)));
    exact(`kbclient v4 round ${round}`, { proto: 'tcp', family: 4, laddr: '127.0.0.1', lport, rport: KB }, { comm: 'python3', user: 'root', uid: 0, direction: 'outbound', bytes_sent: n, bytes_received: 2 * n, state: 'closed' }, k4.pid);
    exact(`kbserver v4 round ${round}`, { proto: 'tcp', family: 4, lport: KB, rport: lport }, { comm: 'python3', direction: 'inbound', bytes_sent: 2 * n, bytes_received: n }, kb.pid);
    lport++;
    // IPv6, exact bytes
    const k6 = await run(...inNs(kbclient('::1', KB6, lport, n + 7)));
    exact(`kbclient v6 round ${round}`, { proto: 'tcp', family: 6, laddr: '::1', lport, raddr: '::1', rport: KB6 }, { comm: 'python3', direction: 'outbound', bytes_sent: n + 7, bytes_received: 2 * (n + 7) }, k6.pid);
    exact(`kbserver v6 round ${round}`, { proto: 'tcp', family: 6, lport: KB6, rport: lport }, { direction: 'inbound', bytes_sent: 2 * (n + 7), bytes_received: n + 7 }, kb6.pid);
    lport++;
    // a process as another user (nobody)
    const nb = await run(...inNs(['setpriv', '--reuid', '65534', '--regid', '65534', '--clear-groups', ...kbclient('127.0.0.1', KB, lport, 7000 + round)]));
    exact(`kbclient as nobody round ${round}`, { proto: 'tcp', lport, rport: KB }, { user: 'nobody', uid: 65534, gid: 65534, comm: 'python3', bytes_sent: 7000 + round, bytes_received: 2 * (7000 + round) }, nb.pid);
    lport++;
    // a short-lived process: busybox nc sends a file and exits
    // (busybox nc picks its own client port: -p only applies to -l; matched by comm below)
    await run(...inNs(['sh', '-c', `exec ${ncDir}/nc 127.0.0.1 ${KB} < ${tmp}/blob2222 > /dev/null`]));
    // IPv6 HTTP: curl against python's http.server
    const c6 = await run(...inNs(['curl', '-sS', '-g', '-o', '/dev/null', '--local-port', String(lport), `http://[::1]:${WEB6}/actors.py`]));
    expect.push({ name: `curl -> http.server v6 round ${round}`, match: { proto: 'tcp', family: 6, lport, rport: WEB6 }, count: 1, expect: { pid: c6.pid, comm: 'curl', raddr: '::1' }, min: { bytes_received: ACTORS.length } });
    expect.push({ name: `http.server v6 serves round ${round}`, match: { proto: 'tcp', family: 6, lport: WEB6, rport: lport }, count: 1, expect: { pid: web6.pid, comm: 'python3' }, min: { bytes_sent: ACTORS.length } });
    lport++;
    await sleep(2000);
  }
  expect.push({ name: 'short-lived nc processes', match: { proto: 'tcp', comm: 'nc', rport: KB, container: null }, count: ROUNDS, expect: { direction: 'outbound', user: 'root', bytes_sent: 2222, bytes_received: 4444, state: 'closed' } });
  // UDP to two peers from one socket
  const udp = await run(...inNs([PY, join(tmp, 'actors.py'), 'udpclient', '127.0.0.1', '5300', `${UA}:10:100`, `${UB}:5:300`]));
  exact('udp client -> peer A', { proto: 'udp', lport: 5300, rport: UA }, { comm: 'python3', bytes_sent: 1000, bytes_received: 1000, direction: 'outbound' }, udp.pid);
  exact('udp client -> peer B', { proto: 'udp', lport: 5300, rport: UB }, { comm: 'python3', bytes_sent: 1500, bytes_received: 1500, direction: 'outbound' }, udp.pid);
  exact('udp peer A', { proto: 'udp', lport: UA, rport: 5300 }, { bytes_sent: 1000, bytes_received: 1000, direction: 'inbound' }, ua.pid);
  exact('udp peer B', { proto: 'udp', lport: UB, rport: 5300 }, { bytes_sent: 1500, bytes_received: 1500, direction: 'inbound' }, ub.pid);
  // a podman container (runc, cgroupfs) sharing the namespace: busybox nc inside it
  const cidfile = join(tmp, 'cid');
  await run('podman', ['--runtime', 'runc', '--cgroup-manager=cgroupfs', 'run', '--rm', '--name', CONTAINER_NAME, '--cidfile', cidfile, `--net=ns:/run/netns/${NS}`, '--rootfs', rootfs, '/bin/sh', '-c', `head -c 3333 /dev/zero | nc 127.0.0.1 ${KB} > /dev/null; sleep 3`]);
  const cid = readFileSync(cidfile, 'utf8').trim();
  // (it sleeps after sending so that its cgroup still exists when sockscope resolves it)
  exact('podman container nc', { proto: 'tcp', rport: KB, container: { id: cid } }, { container: { id: cid, runtime: 'podman', ...(api ? { name: CONTAINER_NAME } : {}) }, user: 'root', uid: 0, direction: 'outbound', bytes_sent: 3333, bytes_received: 6666 });
  await Promise.all([long, wrk]);
  exact('long-lived client', { proto: 'tcp', lport: 41000, rport: KB }, { bytes_sent: 30_000, bytes_received: 60_000, comm: 'python3' });
  // nginx closes a keep-alive connection after 1000 requests: wrk reconnects
  expect.push({ name: 'wrk keep-alive connections', match: { proto: 'tcp', comm: 'wrk', rport: NG }, count: { min: 2 }, expect: { exe: '/usr/bin/wrk', user: 'root', direction: 'outbound' } });
  // wrk stops with connections it opened but never used: few, and empty on both ends
  expect.push({ name: 'wrk connections that carried nothing', match: { proto: 'tcp', comm: 'wrk', rport: NG, bytes_sent: 0 }, count: { max: 4 }, expect: { bytes_received: 0 } });
  await sleep(1500);
  await stopRecorder(rec);
  for (const c of [nginx, kb, kb6, web6, ua, ub]) await stopChild(c);
  if (api) {
    await stopChild(api);
    rmSync(apiSocket, { force: true });
    if (apiDirMade) rmSync('/run/podman', { recursive: true, force: true });
  }
  return { raw, expect, extra: { container: cid, users: ['root', 'nobody'] } };
}

/** Connection churn: wrk with Connection: close against nginx. */
async function churn() {
  const NG = 8090;
  const nginx = await startNginx(NG);
  const raw = join(tmp, 'churn.raw.ssrec');
  const rec = startRecorder(raw);
  await waitHeader(raw);
  await run(...inNs(['wrk', '-t1', '-c4', '-d2s', '-H', 'Connection: close', `http://127.0.0.1:${NG}/index.html`]));
  await sleep(1500);
  await stopRecorder(rec);
  await stopChild(nginx);
  const expect = [
    { name: 'wrk connections (one per request)', match: { proto: 'tcp', comm: 'wrk', rport: NG }, count: { min: 1000 }, expect: { direction: 'outbound', state: 'closed', user: 'root', exe: '/usr/bin/wrk' } },
    { name: 'nginx side of each', match: { proto: 'tcp', lport: NG }, count: { min: 1000 }, expect: { direction: 'inbound', comm: 'nginx', user: 'nobody', uid: 65534, state: 'closed' } },
    // a connection wrk opens and never uses (its first probe, the ones cut at the end)
    { name: 'wrk connections that carried nothing', match: { proto: 'tcp', comm: 'wrk', rport: NG, bytes_sent: 0 }, count: { max: 10 }, expect: { bytes_received: 0 } },
    { name: 'nginx never answers an empty connection', match: { proto: 'tcp', comm: 'nginx', lport: NG, bytes_received: 0 }, count: { max: 10 }, expect: { bytes_sent: 0 } },
  ];
  return { raw, expect, extra: {} };
}

/** Flows that open and close within one kernel record (FLOW_BRIEF): a short wrk burst
 * with Connection: close against nginx, a Python HTTP/1.0 client with exact request and
 * answer sizes, and exact-bytes clients on fixed ports. See recordings/README.md. */
async function brief() {
  const NG = 8110, H10 = 8100, KB = 9100;
  const H10_CONNS = 2000, REQ = 45, RESP = 255;
  const EXACT_PORTS = Array.from({ length: 10 }, (_, i) => 31000 + i);
  // A python3 process's exe is /usr/bin/python3.11 when sockscope read /proc at its exec,
  // the exec's /usr/bin/python3 when it had exited by then: its command line is matched.
  const actor = (...a) => [PY, join(tmp, 'actors.py'), ...a.map(String)];
  const nginx = await startNginx(NG);
  const h10Argv = actor('h10server', '127.0.0.1', H10, RESP);
  const h10 = bg(...inNs(h10Argv));
  const kbArgv = actor('kbserver', '127.0.0.1', KB);
  const kb = bg(...inNs(kbArgv));
  await Promise.all([waitPort('127.0.0.1', H10), waitPort('127.0.0.1', KB)]);
  // (waitPort's own probes are connections too: the recorder starts after them)
  // wrk waits ~1 ms before each request (its Lua delay()): a modest burst, not a churn
  writeFileSync(join(tmp, 'delay.lua'), 'function delay() return 1 end\n');
  const raw = join(tmp, 'brief.raw.ssrec');
  const rec = startRecorder(raw);
  await waitHeader(raw);
  const wrk = await run(...inNs(['wrk', '-t1', '-c1', '-d1s', '-s', join(tmp, 'delay.lua'), '-H', 'Connection: close', `http://127.0.0.1:${NG}/index.html`]));
  const requests = Number(/(\d+) requests in/.exec(wrk.out)?.[1]);
  if (!(requests > 0)) throw new Error(`wrk: no request count in its output: ${wrk.out}`);
  const clientArgv = actor('h10client', '127.0.0.1', H10, H10_CONNS, REQ, RESP);
  const client = await run(...inNs(clientArgv));
  const expect = [
    // wrk's count is of the responses it read; a connection it cut at the end (a request in flight) adds one
    { name: 'wrk connections (one per request)', match: { proto: 'tcp', comm: 'wrk', rport: NG }, count: { min: requests, max: requests + 2 }, expect: { direction: 'outbound', state: 'closed', user: 'root', uid: 0, exe: '/usr/bin/wrk', pid: wrk.pid } },
    { name: 'nginx side of each', match: { proto: 'tcp', lport: NG }, count: { min: requests, max: requests + 2 }, expect: { direction: 'inbound', comm: 'nginx', user: 'nobody', uid: 65534, exe: '/usr/sbin/nginx', state: 'closed' } },
    { name: 'HTTP/1.0 client connections', match: { proto: 'tcp', rport: H10 }, count: H10_CONNS, expect: { pid: client.pid, comm: 'python3', cmdline: clientArgv.join(' '), user: 'root', uid: 0, direction: 'outbound', state: 'closed', bytes_sent: REQ, bytes_received: RESP } },
    { name: 'HTTP/1.0 server side of each', match: { proto: 'tcp', lport: H10 }, count: H10_CONNS, expect: { pid: h10.pid, comm: 'python3', cmdline: h10Argv.join(' '), user: 'root', uid: 0, direction: 'inbound', state: 'closed', bytes_sent: RESP, bytes_received: REQ } },
  ];
  for (const [i, lport] of EXACT_PORTS.entries()) {
    const n = 1000 + 111 * i;
    const argv = kbclient('127.0.0.1', KB, lport, n);
    const c = await run(...inNs(argv));
    expect.push({ name: `exact bytes client ${lport}`, match: { proto: 'tcp', lport, rport: KB }, count: 1, expect: { pid: c.pid, comm: 'python3', cmdline: argv.join(' '), user: 'root', uid: 0, direction: 'outbound', state: 'closed', bytes_sent: n, bytes_received: 2 * n } });
    // the server's end is owned by the worker it forked for the connection (ppid: the
    // server), gone before sockscope looks it up: named by its parent's image (a fork copies it)
    expect.push({ name: `exact bytes server end ${lport}`, match: { proto: 'tcp', lport: KB, rport: lport }, count: 1, expect: { ppid: kb.pid, comm: 'python3', cmdline: kbArgv.join(' '), user: 'root', uid: 0, direction: 'inbound', state: 'closed', bytes_sent: 2 * n, bytes_received: n } });
  }
  await sleep(1500);
  await stopRecorder(rec);
  for (const c of [nginx, h10, kb]) await stopChild(c);
  return { raw, expect, extra: { users: ['root', 'nobody'], wrkRequests: requests } };
}

// ---- main ---------------------------------------------------------------------------------
const SCENARIOS = { demo, churn, brief };
let failed = false;
try {
  if (REWRITE) {
    for (const name of wanted) console.log(JSON.stringify({ rewritten: `${name}.ssrec`, ...(await rewrite(join(root, 'recordings', `${name}.ssrec`))) }));
  }
  const netns = REWRITE ? null : await setupNetns();
  for (const name of REWRITE ? [] : wanted) {
    if (!SCENARIOS[name]) throw new Error(`unknown scenario ${name}; known: ${Object.keys(SCENARIOS).join(', ')}`);
    const { raw, expect, extra } = await SCENARIOS[name]();
    console.error(`record-fixture: ${name} recorded, filtering`);
    const out = join(root, 'recordings', `${name}.ssrec`);
    const { flows, bytes, kernelBriefs } = await filterRecording(raw, out, netns);
    const rawSize = statSync(raw).size;
    // brief: the FLOW_BRIEF records the kernel sent for the scenario's flows, which the
    // committed file's runs must hold (test/replay/golden.test.ts)
    const briefs = name === 'brief' ? { kernelBriefRecords: kernelBriefs } : {};
    writeFileSync(join(root, 'recordings', `${name}.expect.json`), `${JSON.stringify({ recording: `${name}.ssrec`, ...extra, ...briefs, flows: expect }, null, 2)}\n`);
    console.log(JSON.stringify({ scenario: name, file: out, bytes, flows, kernelBriefs, rawBytes: rawSize }));
    if (bytes > 2 * 1024 * 1024) throw new Error(`${out} is ${bytes} bytes, over the 2 MB budget`);
  }
} catch (err) {
  console.error(`record-fixture: ${err.message}`);
  failed = true;
} finally {
  for (const c of children) await stopChild(c);
  await $({ nothrow: true })`ip netns del ${NS}`;
  rmSync(tmp, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
