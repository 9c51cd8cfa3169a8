#!/usr/bin/env node
// TUI frame budget (issue 4): with 10,000 flows refreshed once per second, the TUI process
// should use < 5% of one core, and a key press should redraw in < 50 ms.
//
// It bundles test/tui/bench-app.tsx (the real App and live feed over a timed synthetic
// source), runs it in a tmux terminal (120x40), samples the process's CPU time from
// /proc over a window after warm-up, sends keys (sort, group, move, drill-down, back,
// filter) and reads the key-to-redraw latencies the app measured. JSON on stdout.
//
//   node scripts/bench-tui.mjs [--flows 10000] [--seconds 20]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { NODE_FLAGS } from './node-flags.mjs';
import { bundle } from './bundle.mjs';

const { values } = parseArgs({ options: { flows: { type: 'string', default: '10000' }, seconds: { type: 'string', default: '20' } } });
const flows = Number(values.flows);
const seconds = Number(values.seconds);
const root = new URL('..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'sockscope-bench-tui-'));
const entry = join(dir, 'bench-app.mjs');
const out = join(dir, 'result.json');

await bundle(join(root, 'test/tui/bench-app.tsx'), entry, 'bench');

const sock = `sockscope-bench-tui-${process.pid}`;
const tmux = (...args) => execFileSync('tmux', ['-L', sock, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const cpuTicks = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime, in clock ticks
};
const hz = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

const env = `FLOWS=${flows} BENCH_OUT=${out} INTERVALS=${seconds + 40}`;
tmux('new-session', '-d', '-x', '120', '-y', '40', `${env} ${process.execPath} ${NODE_FLAGS.join(' ')} ${entry}`);
try {
  for (let i = 0; i < 100 && !existsSync(`${out}.pid`); i++) await sleep(100);
  const pid = Number(readFileSync(`${out}.pid`, 'utf8'));
  await sleep(5000); // warm-up: data loaded, JIT settled, several intervals drawn
  const screen = tmux('capture-pane', '-p');
  if (!screen.includes('LIVE') || !/flows 10(,|\.)?0?k?/.test(screen)) process.stderr.write(`bench-tui: unexpected screen:\n${screen}\n`);
  const c0 = cpuTicks(pid);
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const cpuPercent = ((cpuTicks(pid) - c0) / hz / ((performance.now() - t0) / 1000)) * 100;
  // Keys: sort RX/s, invert, by TX, group by process, container, back to flows via
  // three more Tabs, move, open a flow, back, filter and clear.
  const keys = ['x', 'x', 't', 'Tab', 'Tab', 'Tab', 'Tab', 'Tab', 'j', 'j', 'Enter', 'Escape', 'n', 'n', 'i', 'G', 'g'];
  for (const k of keys) {
    tmux('send-keys', k);
    await sleep(400);
  }
  tmux('send-keys', 'q');
  for (let i = 0; i < 100 && !existsSync(out); i++) await sleep(100);
  const { latencies, cpuMs } = JSON.parse(readFileSync(out, 'utf8'));
  const sorted = [...latencies].sort((a, b) => a - b);
  const q = (p, list = sorted) => list[Math.min(list.length - 1, Math.floor(p * list.length))];
  const cpuSorted = [...cpuMs].sort((a, b) => a - b);
  const r2 = (x) => Math.round(x * 100) / 100;
  const result = {
    bench: 'tui',
    flows,
    refreshMs: 1000,
    terminal: '120x40 (tmux)',
    node: process.version,
    cpuPercentOfOneCore: r2(cpuPercent),
    cpuWindowSeconds: seconds,
    keys: keys.join(' '),
    keyRedrawMs: { samples: latencies.length, median: r2(q(0.5)), p95: r2(q(0.95)), max: r2(sorted.at(-1)), each: latencies.map(r2) },
    keyRedrawCpuMs: { median: r2(q(0.5, cpuSorted)), max: r2(cpuSorted.at(-1)), each: cpuMs.map(r2) },
    loadAverage: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number),
    targets: { cpuPercentOfOneCore: 5, keyRedrawMs: 50 },
    pass: cpuPercent < 5 && sorted.at(-1) < 50,
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  try { tmux('kill-server'); } catch { /* already gone */ }
  rmSync(dir, { recursive: true, force: true });
}
