// The host workloads whose throughput a monitor may cost: nginx driven by wrk over loopback
// (keep-alive, and a new connection per request) and a UDP request/response pair.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { run, start, stop, sleep, waitFor } from './proc.mjs';
import net from 'node:net';

const CONNECTIONS = 32; // wrk connections; enough to keep one nginx worker busy

export async function startNginx({ benchDir, workDir, port }) {
  const dir = path.join(workDir, 'nginx');
  // nginx workers drop to an unprivileged user: the work dir (mkdtemp makes it 0700) must be
  // traversable, or every request is a 403 and wrk measures error pages.
  chmodSync(workDir, 0o755);
  for (const d of ['www', 'client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(path.join(dir, d), { recursive: true });
  // A small response: 128 bytes of body, what a health check or tiny API answer looks like.
  writeFileSync(path.join(dir, 'www', 'index.html'), `${'x'.repeat(127)}\n`);
  const conf = readFileSync(path.join(benchDir, 'nginx.conf.template'), 'utf8')
    .replaceAll('@DIR@', dir).replaceAll('@PORT@', String(port));
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
  return { child, confPath, url: `http://127.0.0.1:${port}/index.html` };
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

export function wrkArgs(url, seconds, close) {
  const args = ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`];
  if (close) args.push('-H', 'Connection: close');
  args.push(url);
  return args;
}

// One wrk run; returns requests/s and any errors wrk counted.
export async function runWrk(url, seconds, close) {
  const r = await run('wrk', wrkArgs(url, seconds, close), { timeoutMs: (seconds + 30) * 1000 });
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

export function workloadCommands(url, port, seconds, tools) {
  return {
    keepalive: `wrk ${wrkArgs(url, seconds, false).join(' ')}`,
    close: `wrk ${wrkArgs(url, seconds, true).map((a) => (a.includes(' ') ? `'${a}'` : a)).join(' ')}`,
    udp: `udp_rr server ${port} ${seconds + 3} & udp_rr client ${port} ${seconds} ${UDP_CONCURRENCY}   # bench/c/udp_rr.c`,
  };
}
