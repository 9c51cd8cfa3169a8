// Process plumbing for the benchmark: start children we own, stop them by pid, and read what
// they cost from /proc. Every child is registered so an interrupted run still stops them all.
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

const CLK_TCK = 100; // USER_HZ: /proc/PID/stat counts CPU time in 1/100 s on Linux x86_64
const owned = new Map(); // pid -> { child, name }

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Start a long-running child in its own process group so we can stop it and whatever it
// forked by pid (kill(-pid)), never by name.
export function start(cmd, args, { name = cmd, stdio = ['ignore', 'pipe', 'pipe'], env, cwd } = {}) {
  const child = spawn(cmd, args, { stdio, env: env ?? process.env, cwd, detached: true });
  if (child.pid === undefined) throw new Error(`could not start ${cmd}`);
  owned.set(child.pid, { child, name });
  child.exited = new Promise((resolve) => child.once('exit', (code, signal) => {
    owned.delete(child.pid);
    resolve({ code, signal });
  }));
  child.once('error', () => owned.delete(child.pid));
  child.out = '';
  child.err = '';
  child.stdout?.on('data', (d) => { child.out += d; });
  child.stderr?.on('data', (d) => { child.err += d; });
  return child;
}

export function alive(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return statFields(stat)[0] !== 'Z';
  } catch {
    return false;
  }
}

// Signal one child we started (and its process group), wait for it, escalate to SIGKILL.
export async function stop(child, signal = 'SIGTERM', timeoutMs = 5000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exited;
  const send = (sig) => {
    try { process.kill(-child.pid, sig); } catch { try { process.kill(child.pid, sig); } catch { /* gone */ } }
  };
  send(signal);
  const timer = sleep(timeoutMs).then(() => 'timeout');
  if ((await Promise.race([child.exited, timer])) === 'timeout') {
    send('SIGKILL');
    await Promise.race([child.exited, sleep(2000)]);
  }
  return child.exited;
}

// Things that are ours but not our children (a tmux server daemonizes): stopped on exit too.
const exitHooks = new Set();
export function onExitSync(fn) { exitHooks.add(fn); return () => exitHooks.delete(fn); }

// Synchronous last resort for process exit: SIGKILL every child we still own, by pid.
export function killOwnedSync() {
  for (const fn of exitHooks) { try { fn(); } catch { /* best effort */ } }
  exitHooks.clear();
  for (const pid of owned.keys()) {
    try { process.kill(-pid, 'SIGKILL'); } catch { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
  }
  owned.clear();
}

// Run a command to completion (bounded), collect its output.
export async function run(cmd, args, { timeoutMs = 60000, input, env, cwd } = {}) {
  const child = start(cmd, args, { name: cmd, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], env, cwd });
  if (input !== undefined) child.stdin.end(input);
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; stop(child, 'SIGKILL'); }, timeoutMs);
  const { code, signal } = await child.exited;
  clearTimeout(timer);
  // Let the pipes drain after exit.
  await sleep(20);
  return { code, signal, timedOut, stdout: child.out, stderr: child.err };
}

// /proc/PID/stat fields after the "(comm)" part: [state, ppid, ...]; utime/stime are at 11/12.
function statFields(stat) {
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

export function treePids(root) {
  const children = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(statFields(readFileSync(`/proc/${entry}/stat`, 'utf8'))[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(entry));
    } catch { /* exited meanwhile */ }
  }
  const out = [];
  const todo = [root];
  while (todo.length && out.length < 10000) {
    const pid = todo.pop();
    if (!alive(pid)) continue;
    out.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
}

// user+sys CPU seconds of a set of processes (threads included: /proc/PID/stat sums them).
export function cpuSeconds(pids) {
  let user = 0, sys = 0;
  for (const pid of pids) {
    try {
      const f = statFields(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      user += Number(f[11]) / CLK_TCK;
      sys += Number(f[12]) / CLK_TCK;
    } catch { /* exited meanwhile */ }
  }
  return { user, sys, total: user + sys };
}

// CPU seconds of one process split by thread: its main thread (tid = pid) and the rest
// (for node: V8's helper threads, GC and compiler, and libuv's pool).
export function threadCpuSeconds(pid) {
  let main = 0, others = 0;
  let tids = [];
  try { tids = readdirSync(`/proc/${pid}/task`); } catch { return { main, others, total: 0 }; }
  for (const tid of tids) {
    try {
      const f = statFields(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'));
      const sec = (Number(f[11]) + Number(f[12])) / CLK_TCK;
      if (Number(tid) === pid) main += sec; else others += sec;
    } catch { /* thread gone meanwhile */ }
  }
  return { main, others, total: main + others };
}

// threadCpuSeconds() from the scheduler's nanosecond run times (/proc/PID/task/*/schedstat)
// instead of stat's clock ticks (10 ms each: a few percent of what `record` spends in a
// 10 s churn). Run time counts user and system alike, as utime + stime do.
// `byName`: the other threads' seconds per thread name (V8Worker: V8's GC and compiler
// helpers; libuv-worker: the thread pool).
export function threadRunSeconds(pid) {
  let main = 0, others = 0;
  const byName = {};
  let tids = [];
  try { tids = readdirSync(`/proc/${pid}/task`); } catch { return { main, others, total: 0, byName }; }
  for (const tid of tids) {
    try {
      const sec = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1e9;
      if (Number(tid) === pid) main += sec;
      else {
        others += sec;
        const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
        byName[name] = (byName[name] ?? 0) + sec;
      }
    } catch { /* thread gone meanwhile */ }
  }
  return { main, others, total: main + others, byName };
}

// The scheduler's view of one process's main thread (tid = pid) from /proc: nanoseconds it
// ran and nanoseconds it sat runnable waiting for a CPU. A drain that falls behind while
// `waitNs` grows was starved by the scheduler; one that falls behind without it was blocked
// (or sleeping) instead.
export function mainThreadSchedstat(pid) {
  try {
    const [runNs, waitNs] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
    return { runNs, waitNs };
  } catch {
    return { runNs: NaN, waitNs: NaN };
  }
}

export function rssKiB(pids) {
  let rss = 0, hwm = 0;
  for (const pid of pids) {
    try {
      const s = readFileSync(`/proc/${pid}/status`, 'utf8');
      rss += Number(/VmRSS:\s+(\d+)/.exec(s)?.[1] ?? 0);
      hwm += Number(/VmHWM:\s+(\d+)/.exec(s)?.[1] ?? 0);
    } catch { /* exited meanwhile */ }
  }
  return { rss, hwm };
}

// BPF programs and maps a process tree holds, from /proc/PID/fdinfo (bpftool here is built
// without pid iteration, so this is how we attribute programs to the monitor that loaded them).
export function bpfObjects(pids) {
  const progs = new Set();
  const maps = new Map();
  for (const pid of pids) {
    let fds = [];
    try { fds = readdirSync(`/proc/${pid}/fdinfo`); } catch { continue; }
    for (const fd of fds) {
      try {
        const link = readlinkSync(`/proc/${pid}/fd/${fd}`);
        if (!link.startsWith('anon_inode:bpf')) continue;
        const info = readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
        const prog = /prog_id:\s+(\d+)/.exec(info);
        if (prog) progs.add(Number(prog[1]));
        const map = /map_id:\s+(\d+)/.exec(info);
        if (map && link.includes('map')) {
          maps.set(Number(map[1]), {
            type: Number(/map_type:\s+(\d+)/.exec(info)?.[1]),
            maxEntries: Number(/max_entries:\s+(\d+)/.exec(info)?.[1]),
            keySize: Number(/key_size:\s+(\d+)/.exec(info)?.[1]),
            valueSize: Number(/value_size:\s+(\d+)/.exec(info)?.[1]),
            memlock: Number(/memlock:\s+(\d+)/.exec(info)?.[1]),
          });
        }
      } catch { /* fd closed meanwhile */ }
    }
  }
  return { progs, maps };
}

// Poll until fn() returns a truthy value or the time is up (then null).
export async function waitFor(fn, timeoutMs, intervalMs = 100) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const v = await fn();
    if (v) return v;
    await sleep(intervalMs);
  }
  return null;
}

// Resident KiB of one process by what is mapped: its executable, BPF maps (the ring buffer's
// mmap), other files (libraries), and anonymous memory (heap, V8).
export function rssByMapping(pid) {
  const out = { executable: 0, bpfMaps: 0, otherFiles: 0, anonymous: 0 };
  let exe = '';
  try { exe = readlinkSync(`/proc/${pid}/exe`); } catch { return out; }
  let text = '';
  try { text = readFileSync(`/proc/${pid}/smaps`, 'utf8'); } catch { return out; }
  let name = '';
  for (const line of text.split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) { name = head[1].trim(); continue; }
    const rss = /^Rss:\s+(\d+)/.exec(line);
    if (!rss) continue;
    const kib = Number(rss[1]);
    if (name === exe) out.executable += kib;
    else if (name.startsWith('anon_inode:bpf')) out.bpfMaps += kib;
    else if (name.startsWith('/')) out.otherFiles += kib;
    else out.anonymous += kib;
  }
  return out;
}
