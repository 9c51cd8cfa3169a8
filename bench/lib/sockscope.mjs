// How the benchmark reaches sockscope: the bundled CLI (dist/sockscope.mjs, built by
// scripts/build.mjs) run with the same Node that runs the benchmark, with the flags of its
// shebang (scripts/node-flags.mjs). Everything here reports
// "not available" with the reason instead of throwing, because the benchmark must still
// measure the baseline and the anchors when sockscope is broken.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { run, start, stop, waitFor, treePids, bpfObjects, sleep } from './proc.mjs';
import { NODE_FLAGS } from '../../scripts/node-flags.mjs';

/** node, the bundle, and the arguments that start it as its shebang would (flags first). */
export function sockscopePaths(repoDir) {
  const cli = path.join(repoDir, 'dist', 'sockscope.mjs');
  return { node: process.execPath, cli, nodeArgs: [...NODE_FLAGS, cli] };
}

export async function buildSockscope(repoDir) {
  const r = await run(process.execPath, [path.join(repoDir, 'scripts', 'build.mjs')], { timeoutMs: 180000, cwd: repoDir });
  if (r.code !== 0) return { ok: false, reason: `build failed: ${firstLine(r.stderr || r.stdout)}` };
  if (!existsSync(sockscopePaths(repoDir).cli)) return { ok: false, reason: 'build produced no dist/sockscope.mjs' };
  return { ok: true, reason: null };
}

export function firstLine(text) {
  const lines = String(text ?? '').split('\n').map((l) => l.trim()).filter(Boolean);
  // Prefer sockscope's own one-line error over any noise around it.
  return lines.find((l) => l.startsWith('sockscope:')) ?? lines[0] ?? 'no output';
}

// Wait until a process tree has loaded BPF programs and the set stopped growing: then the
// monitor is attached and counting. Returns the program ids, or null on timeout/exit.
export async function waitForBpf(rootPid, isAlive, timeoutMs = 20000) {
  let last = -1, stable = 0;
  const found = await waitFor(() => {
    if (!isAlive()) return 'dead';
    const { progs } = bpfObjects(treePids(rootPid));
    if (progs.size > 0 && progs.size === last) stable++;
    else stable = 0;
    last = progs.size;
    return stable >= 3 ? progs : null;
  }, timeoutMs, 150);
  if (!found || found === 'dead') return null;
  return found;
}

// A sockscope command (`live ...`, `record ...`) running until we stop it with SIGINT;
// ready once its BPF programs are attached.
async function startCapture(repoDir, command, args) {
  const { node, nodeArgs } = sockscopePaths(repoDir);
  const child = start(node, [...nodeArgs, command, ...args], { name: `sockscope ${command}` });
  const alive = () => child.exitCode === null && child.signalCode === null;
  const progs = await waitForBpf(child.pid, alive);
  if (!progs) {
    await stop(child, 'SIGINT', 3000);
    return { ok: false, reason: `${command} did not attach: ${firstLine(child.err) || `exit ${child.exitCode}`}`, child };
  }
  return { ok: true, child, progs };
}

// `sockscope live --format jsonl` (finishJsonl returns the flows it printed).
export function startLiveJsonl(repoDir, extraArgs = []) {
  return startCapture(repoDir, 'live', ['--format', 'jsonl', ...extraArgs]);
}

// `sockscope record -o FILE` (finishJsonl, then replayJsonl FILE).
export function startRecord(repoDir, file) {
  return startCapture(repoDir, 'record', ['-o', file]);
}

// Stop a sockscope capture the way a user does (Ctrl-C) and parse the JSON lines it printed.
export async function finishJsonl(child, timeoutMs = 30000) {
  const { code, signal } = await stop(child, 'SIGINT', timeoutMs);
  await sleep(50);
  const flows = parseJsonl(child.out);
  return { code, signal, flows, stderr: child.err };
}

export function parseJsonl(text) {
  const flows = [];
  for (const line of String(text).split('\n')) {
    if (!line.trim()) continue;
    try { flows.push(JSON.parse(line)); } catch { /* not a flow line */ }
  }
  return flows;
}

export async function replayJsonl(repoDir, file) {
  const { node, nodeArgs } = sockscopePaths(repoDir);
  const r = await run(node, [...nodeArgs, 'replay', file, '--format', 'jsonl'], { timeoutMs: 300000 });
  if (r.code !== 0) return { ok: false, reason: `replay exited ${r.code}: ${firstLine(r.stderr)}`, flows: [] };
  return { ok: true, flows: parseJsonl(r.stdout) };
}

// Lost/dropped event counters, wherever sockscope reports them (stderr summary, `info`).
export function lostMentions(text) {
  return String(text ?? '').split('\n').filter((l) => /\b(lost|drop(ped)?|overflow)/i.test(l)).map((l) => l.trim()).slice(0, 5);
}
