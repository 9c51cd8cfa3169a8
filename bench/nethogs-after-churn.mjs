#!/usr/bin/env node
// nethogs on keep-alive before and after a burst of Connection: close churn, as section 1's
// warm-up gives it (bench/README.md "Method of section 1", the warm-up): per step of keep-alive,
// requests/s, nethogs's CPU (% of a core), its RSS and the kernel's TIME_WAIT sockets, for
// `--after` seconds after the burst: is nethogs slow after churn, for how long, and why.
// `--perf`: a `perf record -g` of nethogs (by pid) in the first step after the burst and in the
// last, summarized by symbol. Under `flock /tmp/bench.lock` (it generates load).
//
//   node bench/nethogs-after-churn.mjs --churn 4 --after 75 --step 3 --perf
//   node bench/nethogs-after-churn.mjs --churn 4 --after 45 --idle    # no load after the burst
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from './lib/args.mjs';
import { cpuSeconds, killOwnedSync, rssKiB, run, sleep, start, stop } from './lib/proc.mjs';
import { startNginx, stopNginx, runWrk, placement } from './lib/workloads.mjs';
import { monitorDefinitions } from './lib/monitors.mjs';

const { values: opts } = parseArgs({
  options: {
    churn: { type: 'string', default: '4' },
    before: { type: 'string', default: '6' },
    after: { type: 'string', default: '90' },
    step: { type: 'string', default: '3' },
    port: { type: 'string', default: '18600' },
    monitor: { type: 'string', default: 'nethogs' },
    perf: { type: 'boolean', default: false },
    idle: { type: 'boolean', default: false }, // after the burst, no load: does nethogs stay busy on its own?
  },
});
const work = mkdtempSync(path.join(tmpdir(), 'sockscope-nethogs-'));
process.on('exit', () => killOwnedSync());
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));
const benchDir = new URL('.', import.meta.url).pathname;
const step = Number(opts.step);

const keepalive = await startNginx({ benchDir, workDir: work, port: Number(opts.port), place: placement('keepalive') });
const close = await startNginx({ benchDir, workDir: work, port: Number(opts.port) + 2, place: placement('close') });
const tw = () => Number(/tw (\d+)/.exec(readFileSync('/proc/net/sockstat', 'utf8'))?.[1]);

async function steps(label, seconds, h, perfAt = new Set(), idle = false) {
  const t0 = performance.now();
  for (let i = 0; (performance.now() - t0) / 1000 < seconds; i++) {
    const pids = h ? h.pids() : [];
    const c0 = cpuSeconds(pids), w0 = performance.now();
    const perf = h && perfAt.has(i) ? start('perf', ['record', '-g', '-o', path.join(work, `perf-${label}-${i}.data`), '-p', String(pids[0]), '--', 'sleep', String(step - 0.5)], { name: 'perf' }) : null;
    const r = idle ? await sleep(step * 1000).then(() => ({ rps: 0 })) : await runWrk(keepalive, step, false);
    const wall = (performance.now() - w0) / 1000, c1 = cpuSeconds(pids);
    if (perf) {
      await stop(perf, 'SIGINT', 10000);
      const rep = await run('perf', ['report', '--stdio', '--no-children', '--sort', 'dso,sym', '-g', 'none', '--percent-limit', '2', '-i', path.join(work, `perf-${label}-${i}.data`)], { timeoutMs: 60000 });
      console.log(rep.stdout.split('\n').filter((l) => /%/.test(l) && !l.startsWith('#')).slice(0, 14).join('\n'));
    }
    console.log(`${label} t=${((performance.now() - t0) / 1000).toFixed(0)}s: ${r.rps?.toFixed(0)} req/s, ${opts.monitor} cpu ${(100 * (c1.total - c0.total) / wall).toFixed(1)}%, ` +
      `rss ${h ? (rssKiB(pids).rss / 1024).toFixed(0) : '-'} MiB, TIME_WAIT ${tw()}`);
  }
}

await runWrk(keepalive, 1, false);
await steps('nothing', opts.before, null);
const def = monitorDefinitions({ repoDir: path.resolve(benchDir, '..'), benchDir, workDir: work, sockscopeOk: true }).find((d) => d.id === opts.monitor);
const h = await def.start();
if (!h.ok) throw new Error(h.reason);
await steps('fresh', Number(opts.before), h);
const c0 = cpuSeconds(h.pids());
const burst = await runWrk(close, Number(opts.churn), true);
console.log(`churn ${opts.churn}s: ${burst.rps?.toFixed(0)} conn/s, ${opts.monitor} cpu ${(100 * (cpuSeconds(h.pids()).total - c0.total) / Number(opts.churn)).toFixed(1)}%, TIME_WAIT ${tw()}`);
const lastStep = Math.ceil(Number(opts.after) / step) - 1;
await steps(opts.idle ? 'after, idle' : 'after', Number(opts.after), h, opts.perf ? new Set([0, lastStep]) : new Set(), opts.idle);
if (opts.idle) await steps('then keep-alive', Number(opts.before), h);
await h.stop();
await steps('nothing', opts.before, null);
await stopNginx(keepalive);
await stopNginx(close);
