// The host workloads whose throughput a monitor may cost: nginx driven by wrk over loopback
// (keep-alive, and a new connection per request) and a UDP request/response pair.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run, start, stop, sleep, waitFor } from './proc.mjs';
import net from 'node:net';
import http from 'node:http';

const CONNECTIONS = 32; // wrk connections in all; enough to keep the nginx workers busy

// Where nginx's workers and wrk run, per workload. Left to the scheduler, two identical 5 s
// runs differed by up to 0.66-1.25 (the full bench of 2026-11-26): which CPU wrk and each
// worker land on, and (keep-alive) which worker holds which of the 32 connections, is luck
// drawn anew every run. Pinned, the luck is gone (bench/README.md "Placement", A/A spreads):
//  - keep-alive: one worker on CPU 1, one wrk on CPU 0. Two workers hold the 32 connections
//    in a split drawn at connect time, and how many of them pair a wrk thread with a worker
//    on its own CPU moved a run by 10-15%.
//  - close: a worker on each CPU and a wrk of 16 connections on each CPU (requests/s summed),
//    both CPUs busy to the last percent, so any CPU a monitor takes is lost requests/s.
// On a machine without two CPUs nothing is pinned.
export const PLACEMENT = {
  keepalive: { workers: 1, affinity: ['10'], wrkCpus: ['0'] },
  close: { workers: 2, affinity: ['01', '10'], wrkCpus: ['0', '1'] },
  free: { workers: 'auto', affinity: null, wrkCpus: [null] }, // the scheduler's choice
};
const canPin = os.cpus().length >= 2;
export function placement(name) {
  const p = PLACEMENT[name] ?? PLACEMENT.free;
  return canPin ? p : PLACEMENT.free;
}

// `place`: a placement() (default: the scheduler's choice, as tools other than section 1 use).
export async function startNginx({ benchDir, workDir, port, place = PLACEMENT.free }) {
  const dir = path.join(workDir, `nginx-${port}`);
  // nginx workers drop to an unprivileged user: the work dir (mkdtemp makes it 0700) must be
  // traversable, or every request is a 403 and wrk measures error pages.
  chmodSync(workDir, 0o755);
  for (const d of ['www', 'client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(path.join(dir, d), { recursive: true });
  // A small response: 128 bytes of body, what a health check or tiny API answer looks like.
  writeFileSync(path.join(dir, 'www', 'index.html'), `${'x'.repeat(127)}\n`);
  const conf = readFileSync(path.join(benchDir, 'nginx.conf.template'), 'utf8')
    .replaceAll('@DIR@', dir).replaceAll('@PORT@', String(port))
    .replaceAll('@WORKERS@', String(place.workers))
    .replaceAll('@AFFINITY@', place.affinity ? `worker_cpu_affinity ${place.affinity.join(' ')};` : '');
  const confPath = path.join(dir, 'nginx.conf');
  writeFileSync(confPath, conf);
  const child = start('nginx', ['-c', confPath, '-p', dir, '-e', path.join(dir, 'nginx-error.log')], { name: 'nginx' });
  const up = await waitFor(() => portOpen(port), 10000, 100);
  if (!up) {
    await stop(child, 'SIGQUIT');
    throw new Error(`nginx did not listen on 127.0.0.1:${port}: ${child.err.trim() || 'see ' + dir}`);
  }
  const check = await run('wrk', ['-t1', '-c1', '-d1s', `http://127.0.0.1:${port}/index.html`], { timeoutMs: 20000 });
  if (/Non-2xx/.test(check.stdout)) {
    await stop(child, 'SIGQUIT');
    throw new Error(`nginx answers with errors (see ${dir}/nginx-error.log)`);
  }
  return { child, confPath, place, url: `http://127.0.0.1:${port}/index.html`, statusUrl: `http://127.0.0.1:${port}/nginx-status` };
}

export async function stopNginx(nginx) {
  // SIGQUIT: graceful shutdown of the master and its worker (the whole group we started).
  if (nginx) await stop(nginx.child, 'SIGQUIT', 5000);
}

function portOpen(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
  });
}

export function wrkArgs(url, seconds, close, connections = CONNECTIONS) {
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`];
  if (close) args.push('-H', 'Connection: close');
  args.push(url);
  return args;
}

// The command lines of one wrk run: one wrk per CPU of `wrkCpus` (taskset; null: not
// pinned), the connections shared among them.
export function wrkCommands(url, seconds, close, wrkCpus = [null]) {
  const each = Math.round(CONNECTIONS / wrkCpus.length);
  return wrkCpus.map((cpu) => (cpu === null ? ['wrk', ...wrkArgs(url, seconds, close, each)]
    : ['taskset', '-c', cpu, 'wrk', ...wrkArgs(url, seconds, close, each)]));
}

// One wrk run (several pinned wrk processes at once, see PLACEMENT); returns requests/s
// (summed) and any errors wrk counted. `nginx` is startNginx()'s result or a URL. With
// `everyMs` (startNginx()'s result only), also `series`: requests/s in each interval of that
// length that lies wholly inside the run, from nginx's own request counter.
export async function runWrk(nginx, seconds, close, { everyMs = 0 } = {}) {
  const url = typeof nginx === 'string' ? nginx : nginx.url;
  const cpus = typeof nginx === 'string' ? [null] : nginx.place.wrkCpus;
  const poller = everyMs && nginx.statusUrl ? pollRequests(nginx.statusUrl, everyMs) : null;
  const runs = await Promise.all(wrkCommands(url, seconds, close, cpus)
    .map(([cmd, ...args]) => run(cmd, args, { timeoutMs: (seconds + 30) * 1000 })));
  const series = poller ? await poller.stop() : undefined;
  const parsed = runs.map(parseWrk);
  const bad = parsed.find((p) => p.failed);
  const rps = parsed.reduce((a, p) => a + (p.rps ?? NaN), 0);
  return {
    rps: bad || !Number.isFinite(rps) ? null : rps,
    errors: parsed.map((p) => p.errors).filter(Boolean).join('; ') || null,
    failed: bad?.failed ?? null,
    ...(series ? { series } : {}),
  };
}

// nginx's stub_status counter, read every `everyMs` over one kept-alive connection until
// stop(): requests/s per interval, the first (wrk still connecting) and the last (wrk
// finishing) left out, and our own status request taken off each.
function pollRequests(statusUrl, everyMs) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const read = () => new Promise((resolve) => {
    http.get(statusUrl, { agent }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ t: performance.now(), n: Number(/\n\s*\d+\s+\d+\s+(\d+)/.exec(body)?.[1]) }));
    }).on('error', () => resolve(null));
  });
  const points = [];
  let stopped = false;
  let wake = null;
  const loop = (async () => {
    let next = performance.now();
    while (!stopped) {
      const p = await read();
      if (p && Number.isFinite(p.n)) points.push(p);
      next += everyMs;
      await new Promise((r) => { wake = r; setTimeout(r, Math.max(0, next - performance.now())); });
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      wake?.();
      await loop;
      agent.destroy();
      const rates = [];
      for (let i = 1; i < points.length; i++) rates.push(((points[i].n - points[i - 1].n - 1) * 1000) / (points[i].t - points[i - 1].t));
      return rates.slice(1, -1);
    },
  };
}

function parseWrk(r) {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1]);
  const errors = /Socket errors:.*|Non-2xx or 3xx responses:.*/g;
  return {
    rps: Number.isFinite(rps) ? rps : null,
    errors: (r.stdout.match(errors) ?? []).join('; ') || null,
    failed: r.code !== 0 || !Number.isFinite(rps) ? (r.stderr.trim() || `wrk exited ${r.code}`)
      // Error pages are not the workload we mean to measure.
      : /Non-2xx/.test(r.stdout) ? 'nginx answered with errors' : null,
  };
}

export const UDP_CONCURRENCY = 16;

// UDP echo server and client, both bounded in time by their own arguments.
export async function runUdp(tools, port, seconds) {
  const server = start(tools.udp_rr, ['server', String(port), String(seconds + 3)], { name: 'udp_rr server' });
  await sleep(100);
  const r = await run(tools.udp_rr, ['client', String(port), String(seconds), String(UDP_CONCURRENCY)], { timeoutMs: (seconds + 20) * 1000 });
  await stop(server, 'SIGTERM', 2000);
  try {
    const j = JSON.parse(r.stdout.trim().split('\n').pop());
    return { rps: j.rps, errors: j.resent ? `${j.resent} resent` : null, failed: null };
  } catch {
    return { rps: null, errors: null, failed: r.stderr.trim() || `udp_rr exited ${r.code}` };
  }
}

const quote = (a) => (a.includes(' ') ? `'${a}'` : a);
export function workloadCommands(servers, port, seconds, tools) {
  const wrk = (ng, close) => wrkCommands(ng.url, seconds, close, ng.place.wrkCpus).map((c) => c.map(quote).join(' ')).join(' & ');
  return {
    keepalive: wrk(servers.keepalive, false),
    close: wrk(servers.close, true),
    udp: `udp_rr server ${port} ${seconds + 3} & udp_rr client ${port} ${seconds} ${UDP_CONCURRENCY}   # bench/c/udp_rr.c`,
  };
}
