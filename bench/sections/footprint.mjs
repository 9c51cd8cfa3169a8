// Section 3, footprint: resident memory of `sockscope live --format jsonl` while it tracks
// 1,000 / 10,000 / 100,000 open loopback connections (a fresh sockscope per size), the flows
// it actually reported for them, its CPU while the host is idle, and the time from starting
// it to the first connection it captured.
import net from 'node:net';
import { start, stop, treePids, cpuSeconds, rssKiB, sleep, waitFor } from '../lib/proc.mjs';
import { startLiveJsonl, finishJsonl } from '../lib/sockscope.mjs';
import { summary } from '../lib/stats.mjs';

const PER_HOLDER = 9000; // hold_conns keeps both ends: 18,000 fds under the 20,000 hard limit

export async function runFootprint(ctx) {
  const { opts, log } = ctx;
  const sizes = opts.quick ? [1000] : [1000, 10000, 100000];
  const result = { sizes: [], firstData: null, idle: null, unavailable: null,
    command: 'node dist/sockscope.mjs live --format jsonl   # stopped with SIGINT; hold_conns N PORT SECONDS (bench/c/hold_conns.c)' };
  if (!ctx.sockscopeOk) { result.unavailable = ctx.sockscopeReason; return result; }
  let portBase = opts.basePort + 1000;
  for (const [i, n] of sizes.entries()) {
    const probePort = portBase++;
    // The first size also measures start-to-first-data and idle CPU.
    const probe = i === 0 ? await startProber(probePort) : null;
    const spawnedAt = Date.now();
    const live = await startLiveJsonl(ctx.repoDir);
    const attachedMs = Date.now() - spawnedAt;
    if (!live.ok) {
      probe?.stop();
      result.unavailable = live.reason;
      log(`footprint: not available: ${live.reason}`);
      return result;
    }
    const pids = () => treePids(live.child.pid);
    if (probe) {
      await sleep(1500);
      probe.stop();
      await sleep(1000);
      const idleSeconds = opts.quick ? 3 : 15;
      const c0 = cpuSeconds(pids()); const t0 = Date.now();
      await sleep(idleSeconds * 1000);
      const c1 = cpuSeconds(pids());
      result.idle = { seconds: (Date.now() - t0) / 1000, cpuPct: (100 * (c1.total - c0.total)) / ((Date.now() - t0) / 1000), rssKiB: rssKiB(pids()).rss };
      log(`footprint: idle cpu ${result.idle.cpuPct.toFixed(2)}% of a core, rss ${(result.idle.rssKiB / 1024).toFixed(0)} MiB`);
    }
    const before = rssKiB(pids());
    const holders = [];
    const ports = new Set();
    const t0 = Date.now();
    for (let left = n, k = 0; left > 0; left -= PER_HOLDER, k++) {
      const port = portBase++;
      ports.add(port);
      holders.push(start(ctx.tools.hold_conns, [String(Math.min(left, PER_HOLDER)), String(port), '600'], { name: 'hold_conns', stdio: ['pipe', 'pipe', 'pipe'] }));
    }
    const opened = await waitFor(() => (holders.every((h) => /ready/.test(h.out) || h.exitCode !== null) ? true : null), 180000, 200);
    const openedCount = holders.reduce((s, h) => s + Number(/ready (\d+)/.exec(h.out)?.[1] ?? 0), 0);
    const openSeconds = (Date.now() - t0) / 1000;
    // Let sockscope take in every flow (a few of its intervals), sampling RSS meanwhile.
    let peak = 0;
    const settleMs = opts.quick ? 3000 : 6000;
    for (let t = 0; t < settleMs; t += 500) { await sleep(500); peak = Math.max(peak, rssKiB(pids()).rss); }
    const during = rssKiB(pids());
    const cpuNow = cpuSeconds(pids());
    for (const h of holders) h.stdin.end();
    await Promise.all(holders.map((h) => Promise.race([h.exited, sleep(10000)])));
    for (const h of holders) await stop(h, 'SIGTERM', 2000);
    await sleep(1000);
    const fin = await finishJsonl(live.child, 120000);
    let tracked = 0;
    for (const f of fin.flows) if (f.proto === 'tcp' && (ports.has(f.lport) || ports.has(f.rport))) tracked++;
    const row = { connections: n, opened: openedCount, openSeconds, openedOk: !!opened, trackedFlows: tracked, totalFlows: fin.flows.length,
      rssBeforeKiB: before.rss, rssKiB: during.rss, rssPeakKiB: Math.max(peak, during.rss), hwmKiB: during.hwm, cpuSeconds: cpuNow.total, attachedMs };
    result.sizes.push(row);
    log(`footprint: ${n} connections (${openedCount} opened): sockscope rss ${(row.rssKiB / 1024).toFixed(0)} MiB (peak ${(row.rssPeakKiB / 1024).toFixed(0)}), reported ${tracked} flows for them`);
    if (probe) {
      const starts = fin.flows.filter((f) => f.proto === 'tcp' && f.rport === probePort && !f.seen_at_start && f.start)
        .map((f) => Date.parse(f.start)).filter(Number.isFinite);
      result.firstData = {
        attachedMs,
        firstFlowMs: starts.length ? Math.min(...starts) - spawnedAt : null,
        probesSent: probe.sent, probesSeen: starts.length,
      };
      log(`footprint: attached after ${attachedMs} ms; first captured connection ${result.firstData.firstFlowMs ?? 'none'} ms after start`);
    }
  }
  result.rss = summary(result.sizes.map((s) => s.rssKiB));
  return result;
}

// A connection every 20 ms to a local listener: the first one sockscope reports (by its own
// start timestamp) tells when capture really began. Bounded: stops itself after 30 s.
async function startProber(port) {
  const server = net.createServer((s) => s.destroy());
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  let sent = 0;
  const timer = setInterval(() => {
    sent++;
    const c = net.connect({ host: '127.0.0.1', port }, () => c.end());
    c.on('error', () => {});
  }, 20);
  const stopAll = () => { clearInterval(timer); server.close(); };
  const guard = setTimeout(stopAll, 30000);
  return { get sent() { return sent; }, stop: () => { clearTimeout(guard); stopAll(); } };
}
