#!/usr/bin/env node
// Nothing-vs-nothing throughput under several placements of nginx and wrk, interleaved: one
// nginx per placement (idle ones cost nothing), per round each placement runs twice (order
// rotating), and its A/A ratio is the second run against the first. Per run it prints the
// idle, steal and softirq share of each CPU and each worker's CPU: how bench/lib/workloads.mjs
// PLACEMENT was chosen (bench/README.md "Method of section 1").
//
//   node bench/placement-aa.mjs --load close --rounds 5 --duration 3 --variants base,w1pin,w2aff,w2afft2
//   node bench/placement-aa.mjs --load keepalive --rounds 4 --duration 3 --variants base,w1pin,w2aff,w2afft2
//
// base: 2 workers and wrk -t1 -c32 left to the scheduler; w1: 1 worker, not pinned; w1pin:
// 1 worker on CPU 1, wrk on CPU 0; w2aff: a worker per CPU, wrk free; w2afft2: a worker per
// CPU, wrk -t2 with each thread pinned to a CPU; w2c128: as base with 128 connections.
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, chmodSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from './lib/args.mjs';
import { run, start, stop, sleep, killOwnedSync, cpuSeconds, treePids } from './lib/proc.mjs';

const { values: o } = parseArgs({ options: {
  load: { type: 'string', default: 'close' }, rounds: { type: 'string', default: '6' },
  duration: { type: 'string', default: '3' }, port: { type: 'string', default: '18800' },
  variants: { type: 'string', default: 'base,w1pin,w2aff,w2afft2' },
} });
process.on('exit', killOwnedSync);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));
const work = mkdtempSync(path.join(tmpdir(), 'sockscope-placement-'));
chmodSync(work, 0o755);
const D = Number(o.duration);

const VARIANTS = {
  base: { workers: 2, aff: null, wrk: { t: 1, c: 32, cpus: null } },
  w1: { workers: 1, aff: null, wrk: { t: 1, c: 32, cpus: null } },
  w1pin: { workers: 1, aff: '10', wrk: { t: 1, c: 32, cpus: '0' } },
  w2aff: { workers: 2, aff: 'auto', wrk: { t: 1, c: 32, cpus: null } },
  w2afft2: { workers: 2, aff: 'auto', wrk: { t: 2, c: 32, cpus: null, pinThreads: true } },
  w2afft2c: { workers: 2, aff: 'auto', wrk: { t: 2, c: 32, cpus: null } },
  w2c128: { workers: 2, aff: null, wrk: { t: 1, c: 128, cpus: null } },
};

let portN = Number(o.port);
async function nginx(name, v) {
  const dir = path.join(work, name);
  mkdirSync(path.join(dir, 'www'), { recursive: true });
  writeFileSync(path.join(dir, 'www', 'index.html'), `${'x'.repeat(127)}\n`);
  const port = portN++;
  let conf = readFileSync(new URL('./nginx.conf.template', import.meta.url).pathname, 'utf8').replaceAll('@DIR@', dir).replaceAll('@PORT@', String(port));
  conf = conf.replaceAll('@WORKERS@', String(v.workers)).replaceAll('@AFFINITY@', v.aff ? `worker_cpu_affinity ${v.aff};` : '');
  writeFileSync(path.join(dir, 'nginx.conf'), conf);
  const child = start('nginx', ['-c', path.join(dir, 'nginx.conf'), '-p', dir, '-e', path.join(dir, 'err.log')], { name: 'nginx' });
  await sleep(500);
  return { child, port, url: `http://127.0.0.1:${port}/index.html` };
}

function procStat() {
  const lines = readFileSync('/proc/stat', 'utf8').split('\n').filter((l) => /^cpu\d/.test(l));
  return lines.map((l) => l.split(/\s+/).slice(1).map(Number)); // user nice system idle iowait irq softirq steal
}

async function wrk(url, v, close) {
  const args = [`-t${v.wrk.t}`, `-c${v.wrk.c}`, `-d${D}s`];
  if (close) args.push('-H', 'Connection: close');
  args.push(url);
  const cmd = v.wrk.cpus ? 'taskset' : 'wrk';
  const full = v.wrk.cpus ? ['-c', v.wrk.cpus, 'wrk', ...args] : args;
  const child = start(cmd, full, { name: 'wrk' });
  if (v.wrk.pinThreads) {
    await sleep(50);
    const tids = readdirSync(`/proc/${child.pid}/task`).map(Number).filter((t) => t !== child.pid).sort((a, b) => a - b);
    for (const [i, tid] of tids.entries()) await run('taskset', ['-p', '-c', String(i % 2), String(tid)]);
  }
  await child.exited;
  await sleep(20);
  return Number(/Requests\/sec:\s+([\d.]+)/.exec(child.out)?.[1]);
}

const names = o.variants.split(',');
const servers = {};
for (const n of names) servers[n] = await nginx(n, VARIANTS[n]);
for (const n of names) await wrk(servers[n].url, { ...VARIANTS[n], wrk: { ...VARIANTS[n].wrk } }, false);

const close = o.load === 'close';
const res = Object.fromEntries(names.map((n) => [n, []]));
for (let r = 0; r < Number(o.rounds); r++) {
  const order = names.map((_, i) => names[(i + r) % names.length]);
  const seq = [...order, ...order];
  const got = {};
  for (const n of seq) {
    const v = VARIANTS[n];
    const ng = treePids(servers[n].child.pid);
    const s0 = procStat(); const c0 = ng.map((p) => cpuSeconds([p]).total);
    const rps = await wrk(servers[n].url, v, close);
    const s1 = procStat(); const c1 = ng.map((p) => cpuSeconds([p]).total);
    const cpu = s1.map((x, i) => x.map((y, j) => y - s0[i][j]));
    const tot = cpu.map((x) => x.reduce((a, b) => a + b, 0));
    const idle = cpu.map((x, i) => (100 * x[3]) / tot[i]);
    const steal = cpu.map((x, i) => (100 * x[7]) / tot[i]);
    const soft = cpu.map((x, i) => (100 * x[6]) / tot[i]);
    const workers = c1.map((x, i) => (100 * (x - c0[i])) / D).slice(1);
    (got[n] ??= []).push(rps);
    console.log(`r${r} ${n.padEnd(9)} ${rps.toFixed(0).padStart(6)}/s idle ${idle.map((x) => x.toFixed(0)).join('/')} steal ${steal.map((x) => x.toFixed(1)).join('/')} softirq ${soft.map((x) => x.toFixed(0)).join('/')} workers% ${workers.map((x) => x.toFixed(0)).join('/')}`);
  }
  for (const n of names) res[n].push(got[n]);
}
for (const n of Object.keys(servers)) await stop(servers[n].child, 'SIGQUIT', 5000);
const med = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
for (const n of names) {
  const ratios = res[n].map(([a, b]) => b / a);
  const all = res[n].flat();
  console.log(`${o.load} ${n}: rps median ${med(all).toFixed(0)} (${Math.min(...all).toFixed(0)}-${Math.max(...all).toFixed(0)}), A/A ratio median ${med(ratios).toFixed(3)} (${Math.min(...ratios).toFixed(3)}-${Math.max(...ratios).toFixed(3)}), |log| median ${med(ratios.map((x) => Math.abs(Math.log(x)))).toFixed(3)}`);
}
console.log(JSON.stringify(res));
