// Section 3, footprint: resident memory of `sockscope live --format jsonl`, `sockscope
// record` and the TUI while each tracks 1,000 / 10,000 / 100,000 flows (half as many loopback connections held open: each has two
// local ends, two flows), a fresh sockscope per size; the flows it actually reported; its CPU
// while the host is idle; and the time from start to the first flow on the TUI's screen.
import net from 'node:net';
import { run, start, stop, treePids, cpuSeconds, rssKiB, rssByMapping, sleep, waitFor, alive, onExitSync } from '../lib/proc.mjs';
import path from 'node:path';
import { NODE_FLAGS } from '../../scripts/node-flags.mjs';
import { startLiveJsonl, startRecord, finishJsonl, replayJsonl, sockscopePaths, lostMentions, waitForBpf } from '../lib/sockscope.mjs';
import { summary } from '../lib/stats.mjs';

const PER_HOLDER = 9000; // hold_conns keeps both ends: 18,000 fds under the 20,000 hard limit

export async function runFootprint(ctx) {
  const { opts, log } = ctx;
  const sizes = opts.quick ? [1000] : [1000, 10000, 100000];
  const result = { sizes: [], firstData: null, idle: null, unavailable: null,
    command: `node ${NODE_FLAGS.join(' ')} dist/sockscope.mjs live --format jsonl (and record -o FILE)   # stopped with SIGINT; hold_conns N PORT SECONDS (bench/c/hold_conns.c) holds N/2 connections` };
  if (!ctx.sockscopeOk) { result.unavailable = ctx.sockscopeReason; return result; }
  let portBase = opts.basePort + 1000;

  result.firstData = await firstData(ctx, portBase++, opts.quick ? 1 : 5);
  log(`footprint: first flow on screen after ${result.firstData.ms?.median ?? 'n/a'} ms (median of ${result.firstData.ms?.n ?? 0})`);

  for (const [i, flows] of sizes.entries()) {
    for (const mode of ['jsonl', 'record', 'tui']) {
      const file = path.join(ctx.workDir, `footprint-${flows}.ssrec`);
      const mon = mode === 'jsonl' ? await startLiveJsonl(ctx.repoDir) : mode === 'record' ? await startRecord(ctx.repoDir, file) : await startTuiPane(ctx, `fp-${i}`);
      if (mode !== 'tui' && mon.ok) mon.pids = () => treePids(mon.child.pid);
      if (!mon.ok) {
        result.sizes.push({ flows, mode, failed: mon.reason });
        log(`footprint: ${mode} not available: ${mon.reason}`);
        continue;
      }
      const pids = mon.pids;
      if (i === 0 && mode === 'jsonl') result.idle = await idleCpu(pids, opts.quick ? 3 : 20, log);
      const row = await holdAndSample(ctx, { flows, mode, pids, portBase, holdSeconds: opts.quick ? 3 : flows >= 100000 ? 65 : 20, onHeld: mon.capture });
      portBase += Math.ceil(flows / 2 / PER_HOLDER) + 1;
      if (mode !== 'tui') {
        const fin = await finishJsonl(mon.child, 120000);
        let flowList = fin.flows;
        if (mode === 'record') {
          const rep = await replayJsonl(ctx.repoDir, file);
          flowList = rep.flows;
          if (!rep.ok) row.failed = rep.reason;
        }
        row.trackedFlows = 0;
        for (const f of flowList) if (f.proto === 'tcp' && (row.ports.has(f.lport) || row.ports.has(f.rport))) row.trackedFlows++;
        row.notes.push(...lostMentions(fin.stderr));
      } else {
        row.screen = mon.header();
        await mon.stop();
      }
      delete row.ports;
      result.sizes.push(row);
      log(`footprint: ${mode} ${flows} flows (${row.opened} connections): rss ${(row.rssFirstKiB / 1024).toFixed(0)} MiB after 5 s, ${(row.rssKiB / 1024).toFixed(0)} MiB after ${row.holdSeconds} s (peak ${(row.rssPeakKiB / 1024).toFixed(0)})${row.trackedFlows !== undefined ? `, reported ${row.trackedFlows} flows` : ''}${row.screen ? `; ${row.screen}` : ''}`);
    }
  }
  return result;
}

async function idleCpu(pids, seconds, log) {
  // After startup settles; nothing generated (other processes may still talk a little).
  await sleep(2000);
  const c0 = cpuSeconds(pids()); const t0 = Date.now();
  await sleep(seconds * 1000);
  const c1 = cpuSeconds(pids());
  const secs = (Date.now() - t0) / 1000;
  const idle = { seconds: secs, cpuPct: (100 * (c1.total - c0.total)) / secs, rssKiB: rssKiB(pids()).rss, byMapping: rssByMapping(pids()[0]) };
  log(`footprint: idle cpu ${idle.cpuPct.toFixed(2)}% of a core, rss ${(idle.rssKiB / 1024).toFixed(0)} MiB`);
  return idle;
}

// Open flows/2 connections (several hold_conns, each under the fd limit), hold them while
// sampling RSS every 0.5 s, then close them.
export async function holdAndSample(ctx, { flows, mode, pids, portBase, holdSeconds, onHeld }) {
  const n = flows / 2;
  const before = rssKiB(pids());
  const holders = [];
  const ports = new Set();
  const t0 = Date.now();
  for (let left = n, port = portBase; left > 0; left -= PER_HOLDER, port++) {
    ports.add(port);
    holders.push(start(ctx.tools.hold_conns, [String(Math.min(left, PER_HOLDER)), String(port), '600'], { name: 'hold_conns', stdio: ['pipe', 'pipe', 'pipe'] }));
  }
  await waitFor(() => (holders.every((h) => /ready/.test(h.out) || h.exitCode !== null) ? true : null), 180000, 200);
  const opened = holders.reduce((s, h) => s + Number(/ready (\d+)/.exec(h.out)?.[1] ?? 0), 0);
  // A holder that never got ready (its listen port taken, say) is why fewer were opened:
  // the first of the row's notes.
  const notes = holders.filter((h) => !/ready/.test(h.out)).map((h) => `hold_conns exited: ${h.err.trim().split('\n')[0] || `code ${h.exitCode}`}`);
  const openSeconds = (Date.now() - t0) / 1000;
  // The TUI's per-flow rate histories settle over their first 60 ticks: the long hold
  // shows the steady state, the 5 s sample the first impression.
  let peak = 0, first = null;
  // The samples of the hold's last 30 s (or its second half): their median is the steady
  // value, which one sample at the end is not (V8's young generation swings by 12 MiB
  // between full GCs, and one comes as the held flows' short histories are given back,
  // 60 intervals after their byte: the end sample lands before or after it by luck).
  const late = [];
  // The process's CPU over the same last 30 s (the idle screen's cost at this many flows).
  let lateCpu = null;
  const tHold = Date.now();
  while (Date.now() - tHold < holdSeconds * 1000) {
    await sleep(500);
    const r = rssKiB(pids()).rss;
    peak = Math.max(peak, r);
    if (first === null && Date.now() - tHold >= 5000) first = r;
    if (Date.now() - tHold >= holdSeconds * 1000 - Math.min(30000, (holdSeconds * 1000) / 2)) {
      late.push(r);
      lateCpu ??= { s: cpuTotal(pids()[0]), at: Date.now() };
    }
  }
  const lateCpuPercent = lateCpu ? ((cpuTotal(pids()[0]) - lateCpu.s) / ((Date.now() - lateCpu.at) / 1000)) * 100 : null;
  const during = rssKiB(pids());
  const byMapping = rssByMapping(pids()[0]);
  if (onHeld) await onHeld();
  for (const h of holders) h.stdin.end();
  await Promise.all(holders.map((h) => Promise.race([h.exited, sleep(10000)])));
  for (const h of holders) await stop(h, 'SIGTERM', 2000);
  await sleep(1000);
  return { flows, mode, connections: n, opened, notes, openSeconds, holdSeconds, ports,
    rssBeforeKiB: before.rss, rssFirstKiB: first ?? during.rss, rssKiB: during.rss, rssPeakKiB: Math.max(peak, during.rss), rssLateMedianKiB: summary(late)?.median ?? during.rss, lateCpuPercent, byMapping };
}

const cpuTotal = (pid) => { const c = cpuSeconds([pid]); return c.user + c.sys; };

// The TUI in a detached 120x40 tmux pane, as a monitor whose memory we sample.
export async function startTuiPane(ctx, tag, extraArgs = []) {
  const { node, nodeArgs } = sockscopePaths(ctx.repoDir);
  const sock = `sockscope-bench-${tag}-${process.pid}`;
  const tmux = (...a) => run('tmux', ['-L', sock, '-f', '/dev/null', ...a], { timeoutMs: 10000 });
  const r = await tmux('new-session', '-d', '-x', '120', '-y', '40', `exec ${node} ${nodeArgs.join(' ')} live ${extraArgs.join(' ')}`);
  if (r.code !== 0) return { ok: false, reason: `tmux: ${r.stderr.trim()}` };
  const [serverPid, panePid] = (await tmux('display-message', '-p', '#{pid} #{pane_pid}')).stdout.trim().split(' ').map(Number);
  const unhook = onExitSync(() => { for (const p of [panePid, serverPid]) if (p && alive(p)) process.kill(p, 'SIGKILL'); });
  const kill = async () => {
    await tmux('send-keys', 'q');
    await waitFor(() => !alive(panePid), 5000);
    await tmux('kill-server');
    for (const p of [panePid, serverPid]) if (p && alive(p)) try { process.kill(p, 'SIGTERM'); } catch { /* gone */ }
    unhook();
  };
  if (!(await waitForBpf(panePid, () => alive(panePid)))) { await kill(); return { ok: false, reason: 'TUI did not attach' }; }
  let screen = '';
  return {
    ok: true,
    pids: () => treePids(panePid),
    // The header line with the flow count, as the TUI shows it, captured before stopping.
    header: () => screen,
    capture: async () => { screen = (await tmux('capture-pane', '-p')).stdout.split('\n').find((l) => /flows \d/.test(l))?.trim() ?? ''; },
    stop: kill,
  };
}

// Start to first data, as a user sees it: one connection is already open, the TUI starts in a
// tmux pane (120x40) and we poll the pane every 25 ms until that connection's port shows.
export async function firstData(ctx, port, reps) {
  const { node, nodeArgs } = sockscopePaths(ctx.repoDir);
  const server = net.createServer((s) => s.on('error', () => {}));
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  const client = net.connect({ host: '127.0.0.1', port });
  client.on('error', () => {});
  await new Promise((r) => client.once('connect', r));
  const samples = [];
  const notes = [];
  try {
    for (let i = 0; i < reps; i++) {
      const sock = `sockscope-bench-first-${process.pid}-${i}`;
      const tmux = (...a) => run('tmux', ['-L', sock, '-f', '/dev/null', ...a], { timeoutMs: 10000 });
      const t0 = performance.now();
      const r = await tmux('new-session', '-d', '-x', '120', '-y', '40', `exec ${node} ${nodeArgs.join(' ')} live`);
      if (r.code !== 0) { notes.push(`tmux: ${r.stderr.trim()}`); break; }
      const [serverPid, panePid] = (await tmux('display-message', '-p', '#{pid} #{pane_pid}')).stdout.trim().split(' ').map(Number);
      const unhook = onExitSync(() => { for (const p of [panePid, serverPid]) if (p && alive(p)) process.kill(p, 'SIGKILL'); });
      const seen = await waitFor(async () => ((await tmux('capture-pane', '-p')).stdout.includes(`:${port} `) ? true : null), 10000, 25);
      const ms = performance.now() - t0;
      if (seen) samples.push(ms); else notes.push(`run ${i + 1}: not on screen within 10 s`);
      await tmux('send-keys', 'q');
      await sleep(500);
      await tmux('kill-server');
      for (const p of [panePid, serverPid]) if (p && alive(p)) try { process.kill(p, 'SIGTERM'); } catch { /* gone */ }
      await sleep(300);
      unhook();
    }
  } finally {
    client.destroy();
    server.close();
  }
  return { ms: summary(samples), samples, notes, command: `tmux new-session -d -x 120 -y 40 'node ${NODE_FLAGS.join(' ')} dist/sockscope.mjs live'; tmux capture-pane -p   # every 25 ms until the open connection's port shows` };
}
