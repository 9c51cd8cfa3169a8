// The monitors compared in the overhead benchmark. Each one starts as our own child, says
// when it is attached, exposes the pids whose CPU it costs and the BPF programs it loaded,
// and stops by pid. A monitor that cannot start reports why instead of throwing.
import path from 'node:path';
import { run, start, stop, alive, waitFor, treePids, sleep, onExitSync } from './proc.mjs';
import { sockscopePaths, waitForBpf, firstLine } from './sockscope.mjs';
import { NODE_FLAGS } from '../../scripts/node-flags.mjs';

const SETTLE_MS = 500; // after attach, let startup work (enumerating existing sockets, JIT) finish

function childAlive(child) {
  return child.exitCode === null && child.signalCode === null;
}

// A plain child process as a monitor.
async function childMonitor(name, cmd, args, { ready, stopSignal = 'SIGINT', stopMs = 15000 }) {
  const child = start(cmd, args, { name });
  const isAlive = () => childAlive(child);
  const progs = await ready(child, isAlive);
  if (!progs || !isAlive()) {
    await stop(child, 'SIGINT', 3000);
    return { ok: false, reason: `${name} did not start: ${firstLine(child.err || child.out) || `exit ${child.exitCode}`}` };
  }
  await sleep(SETTLE_MS);
  return {
    ok: true,
    progs: progs instanceof Set ? progs : new Set(),
    alive: isAlive,
    pids: () => treePids(child.pid),
    extraPids: () => [],
    stop: async () => {
      const r = await stop(child, stopSignal, stopMs);
      return { ...r, stderr: child.err };
    },
  };
}

export function monitorDefinitions({ repoDir, benchDir, workDir, sockscopeOk, sockscopeReason }) {
  const { node, nodeArgs } = sockscopePaths(repoDir);
  const bt = path.join(benchDir, 'bytes-per-process.bt');
  const unavailable = (reason) => async () => ({ ok: false, reason });
  let recordings = 0;
  const tmuxSocket = `sockscope-bench-${process.pid}`;
  return [
    { id: 'none', label: 'nothing attached', command: '(none)', start: async () => ({ ok: true, none: true }) },
    {
      id: 'record',
      label: 'sockscope record',
      command: `node ${NODE_FLAGS.join(' ')} dist/sockscope.mjs record -o FILE`,
      start: !sockscopeOk ? unavailable(sockscopeReason) : () => childMonitor('sockscope record', node,
        [...nodeArgs, 'record', '-o', path.join(workDir, `overhead-${++recordings}.ssrec`)],
        { ready: (child, isAlive) => waitForBpf(child.pid, isAlive) }),
    },
    {
      id: 'tui',
      label: 'sockscope live (TUI in tmux)',
      command: `tmux -L ${'sockscope-bench-PID'} new-session -d -x 120 -y 40 'exec node ${NODE_FLAGS.join(' ')} dist/sockscope.mjs live'`,
      start: !sockscopeOk ? unavailable(sockscopeReason) : () => startTui({ node, nodeArgs, tmuxSocket, repoDir }),
    },
    {
      id: 'nethogs',
      label: 'nethogs (libpcap)',
      // -C: TCP and UDP (without it nethogs accounts TCP only, and its UDP row measured only
      // its capture socket seeing and dropping every datagram), the work sockscope does.
      command: 'nethogs -C -t -a -d 1 lo',
      start: () => childMonitor('nethogs', 'nethogs', ['-C', '-t', '-a', '-d', '1', 'lo'], {
        // nethogs has no BPF programs; it is ready once it has opened the device and refreshes.
        ready: (child, isAlive) => waitFor(() => (!isAlive() ? null : /Refreshing/.test(child.out) ? new Set() : null), 10000),
        // nethogs sits in its capture loop on SIGINT for many seconds; SIGTERM ends it at once.
        stopSignal: 'SIGTERM', stopMs: 5000,
      }),
    },
    {
      id: 'bpftrace',
      label: 'bpftrace bytes/process',
      command: 'bpftrace bench/bytes-per-process.bt',
      start: () => childMonitor('bpftrace', 'bpftrace', [bt], {
        ready: async (child, isAlive) => {
          if (!(await waitFor(() => !isAlive() || /Attaching/.test(child.out), 20000))) return null;
          return waitForBpf(child.pid, isAlive);
        },
      }),
    },
  ];
}

// The TUI needs a terminal: run it in a detached tmux session on our own tmux socket. The
// pane's process is sockscope itself (exec), the tmux server is reported separately (it is
// the terminal's cost of drawing, which a user pays too).
async function startTui({ node, nodeArgs, tmuxSocket, repoDir }) {
  const tmux = (...args) => run('tmux', ['-L', tmuxSocket, '-f', '/dev/null', ...args], { timeoutMs: 10000 });
  const cmd = `exec ${node} ${nodeArgs.join(' ')} live`;
  const r = await tmux('new-session', '-d', '-s', 'bench', '-x', '120', '-y', '40', '-c', repoDir, cmd, ';',
    'set-option', '-t', 'bench', 'remain-on-exit', 'on');
  if (r.code !== 0) return { ok: false, reason: `tmux failed: ${firstLine(r.stderr)}` };
  const info = await tmux('display-message', '-p', '-t', 'bench', '#{pid} #{pane_pid}');
  const [serverPid, panePid] = info.stdout.trim().split(' ').map(Number);
  // If the benchmark dies, the tmux server (ours, but daemonized) and the TUI in it go too.
  const unhook = onExitSync(() => { for (const p of [panePid, serverPid]) if (p && alive(p)) process.kill(p, 'SIGKILL'); });
  const killServer = async () => {
    unhook();
    if (serverPid && alive(serverPid)) {
      try { process.kill(serverPid, 'SIGTERM'); } catch { /* gone */ }
      await waitFor(() => !alive(serverPid), 3000);
    }
  };
  const paneAlive = async () => {
    const d = await tmux('display-message', '-p', '-t', 'bench', '#{pane_dead}');
    return d.code === 0 && d.stdout.trim() === '0';
  };
  if (!panePid || !(await paneAlive())) {
    const shot = await tmux('capture-pane', '-p', '-t', 'bench');
    await killServer();
    return { ok: false, reason: `TUI exited at once: ${firstLine(shot.stdout)}` };
  }
  const progs = await waitForBpf(panePid, () => alive(panePid));
  if (!progs) {
    const shot = await tmux('capture-pane', '-p', '-t', 'bench');
    if (alive(panePid)) try { process.kill(panePid, 'SIGTERM'); } catch { /* gone */ }
    await killServer();
    return { ok: false, reason: `TUI did not attach: ${firstLine(shot.stdout)}` };
  }
  await sleep(SETTLE_MS);
  return {
    ok: true,
    progs,
    alive: () => alive(panePid),
    pids: () => treePids(panePid),
    extraPids: () => (serverPid && alive(serverPid) ? [serverPid] : []),
    stop: async () => {
      // q is the TUI's own quit key; SIGTERM by pid if it does not leave in time.
      await tmux('send-keys', '-t', 'bench', 'q');
      const left = await waitFor(() => !alive(panePid), 5000);
      if (!left) try { process.kill(panePid, 'SIGTERM'); } catch { /* gone */ }
      await waitFor(() => !alive(panePid), 5000);
      await killServer();
      return { code: null, signal: null, stderr: '' };
    },
  };
}
