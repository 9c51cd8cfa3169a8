// What the numbers were measured on, so anyone can compare or rerun.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { run } from './proc.mjs';
import { summary } from './stats.mjs';

async function firstLine(cmd, args) {
  const r = await run(cmd, args, { timeoutMs: 10000 }).catch(() => null);
  if (!r) return 'not available';
  return ((r.stdout || r.stderr).trim().split('\n')[0] ?? '').trim() || 'not available';
}

// How steady this CPU's speed is: the same fixed busy loop timed 15 times. On a shared VM
// the spread bounds how small a throughput difference one sample can show.
export function cpuSpeedSpread() {
  const times = [];
  for (let i = 0; i < 15; i++) {
    const t0 = process.hrtime.bigint();
    let x = 0;
    for (let j = 0; j < 2e7; j++) x = (x + j * 7) % 1000003;
    times.push(Number(process.hrtime.bigint() - t0) / 1e6 + (x < 0 ? 1 : 0));
  }
  return summary(times);
}

export async function describeMachine(repoDir) {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? 'unknown';
  return {
    date: new Date().toISOString(),
    cores: os.cpus().length,
    cpuModel: model,
    kernel: `${os.release()} ${os.machine()}`,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    loadavgStart: os.loadavg().map((x) => x.toFixed(2)).join(' '),
    node: process.version,
    commit: await firstLine('git', ['-C', repoDir, 'rev-parse', '--short', 'HEAD']),
    nginx: await firstLine('nginx', ['-v']),
    wrk: (await firstLine('wrk', ['-v'])).replace(/Copyright.*/, '').trim(),
    bpftrace: await firstLine('bpftrace', ['--version']),
    nethogs: (await firstLine('nethogs', ['-V'])).trim(),
    bpftool: await firstLine('bpftool', ['version']),
    gcc: await firstLine('gcc', ['--version']),
    cpuLoopMs: cpuSpeedSpread(),
  };
}
