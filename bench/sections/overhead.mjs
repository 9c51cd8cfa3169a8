// Section 1, host overhead: requests/s of nginx+wrk (keep-alive, Connection: close) and of a
// UDP request/response pair with each monitor attached, as a fraction of the runs with nothing
// attached next to it; plus the CPU each monitor's processes used and the BPF run time of the
// programs it loaded. How the ratios are made tight enough to judge a 0.98 target
// (bench/README.md "Method of section 1"):
//  - nginx and wrk are pinned to fixed CPUs (PLACEMENT in lib/workloads.mjs);
//  - the VM's speed drifts by 10-15% over tens of seconds, so "nothing attached" runs between
//    every two monitors (none A none B none C none D, the monitors rotating each repetition,
//    one more none at the end) and each monitor's ratio is against the two nothing runs on
//    either side of it (their geometric mean): a drift that is linear over that span cancels;
//  - kernel.bpf_stats_enabled (two clock reads per BPF program run, paid by the BPF monitors
//    only) is off while requests/s are measured; BPF run time comes from a separate short
//    phase with it on, right after, with the monitor still attached.
import { startNginx, stopNginx, runWrk, runUdp, workloadCommands, placement } from '../lib/workloads.mjs';
import { monitorDefinitions } from '../lib/monitors.mjs';
import { cpuSeconds, sleep } from '../lib/proc.mjs';
import { snapshot, delta, setStats } from '../lib/bpfstats.mjs';
import { summary, medianInterval } from '../lib/stats.mjs';

export const WORKLOADS = [
  { id: 'keepalive', label: 'nginx keep-alive (wrk)' },
  { id: 'close', label: 'nginx new connection per request (wrk, Connection: close)' },
  { id: 'udp', label: 'UDP request/response (udp_rr, 16 in flight)' },
];

// A monitor is measured on each workload right after an unmeasured warm-up on that same
// workload, so that it is measured in steady state on every one, as an SRE's monitor runs for
// hours: V8 compiles the TUI's code for a workload the first time it sees it (under churn, 265
// compiles and 592 ms in the first 3 s, 2026-11-27), and under churn the flow store fills to its
// 100,000 cap and then evicts (5 s linger at ~25k connections/s). The churn goes last, so no
// workload is measured in the aftermath of another: nethogs, warmed with 4 s of churn before
// keep-alive (until 2026-11-27), spent the next 20-35 s at 60-100% of a core working off the
// churn's queued packets (bench/nethogs-after-churn.mjs), and its keep-alive run measured that
// (0.39 of nothing attached) instead of its keep-alive cost (0.88).
// WARM_UP is in the order measured; every monitor, nothing attached aside, gets the same.
// Keep-alive 15 s: a fresh TUI is still compiling for seconds (2026-11-29, under keep-alive,
// % of a core per 5 s since start: 8.2 at 6 s, about 3 at 11-21 s, 1.2-2.9 from 26 s on);
// with 5 s its keep-alive run measured its 6th-9th second (4.3% of a core; still 4.3 with
// 15 s in the full run of 21d7530, where standalone runs read about 3: bench/README.md).
export const WARM_UP = [{ id: 'keepalive', s: 15 }, { id: 'udp', s: 1 }, { id: 'close', s: 4 }];
export const WARM_UP_S = WARM_UP.reduce((a, w) => a + w.s, 0);
export const BPF_PHASE_S = 1; // per workload, bpf_stats on: runs and ns per run
const MEASURED_ORDER = WARM_UP.map((w) => WORKLOADS.find((wl) => wl.id === w.id));

export async function runOverhead(ctx) {
  const { opts, log } = ctx;
  const seconds = opts.duration;
  const warmUp = opts.quick ? [] : WARM_UP;
  const udpPort = opts.basePort + 1;
  const servers = {};
  const samples = [];
  const unavailable = {};
  const monitors = monitorDefinitions(ctx);
  const order = sectionOrder(monitors, opts.reps);
  try {
    servers.keepalive = await startNginx({ benchDir: ctx.benchDir, workDir: ctx.workDir, port: opts.basePort, place: placement('keepalive') });
    servers.close = await startNginx({ benchDir: ctx.benchDir, workDir: ctx.workDir, port: opts.basePort + 2, place: placement('close') });
    log('overhead: warm-up');
    await runWrk(servers.keepalive, 1, false);
    await runWrk(servers.close, 1, true);
    for (const [slot, { rep, mon }] of order.entries()) {
      if (unavailable[mon.id]) continue;
      log(`overhead: rep ${rep + 1}/${opts.reps} ${mon.label}`);
      const handle = await mon.start();
      if (!handle.ok) {
        unavailable[mon.id] = handle.reason;
        log(`  not available: ${handle.reason}`);
        continue;
      }
      const runLoad = (wl, s) => (wl.id === 'udp' ? runUdp(ctx.tools, udpPort, s) : runWrk(servers[wl.id], s, wl.id === 'close'));
      // Steady state, as the CPU targets are judged (WARM_UP). Nothing attached follows a
      // monitor's runs directly: nginx is warm.
      if (ctx.bpfStats) setStats(false);
      for (const wl of MEASURED_ORDER) {
        const warm = warmUp.find((w) => w.id === wl.id);
        if (!handle.none && warm) await runLoad(wl, warm.s);
        const pids = handle.none ? [] : handle.pids();
        const cpu0 = cpuSeconds(pids);
        const term0 = cpuSeconds(handle.none ? [] : handle.extraPids());
        const t0 = process.hrtime.bigint();
        const res = await runLoad(wl, seconds);
        const wall = Number(process.hrtime.bigint() - t0) / 1e9;
        const cpu1 = cpuSeconds(pids);
        const term1 = cpuSeconds(handle.none ? [] : handle.extraPids());
        const died = !handle.none && !handle.alive();
        samples.push({
          rep, slot, monitor: mon.id, workload: wl.id, rps: died ? null : res.rps, wall,
          cpuUser: cpu1.user - cpu0.user, cpuSys: cpu1.sys - cpu0.sys,
          terminalCpu: term1.total - term0.total, bpf: null,
          errors: res.errors, failed: died ? 'monitor exited during the run' : res.failed,
        });
        log(`  ${wl.id}: ${res.rps?.toFixed(0) ?? 'failed'} req/s, monitor cpu ${(cpu1.total - cpu0.total).toFixed(2)} s${died ? ' (monitor died)' : ''}`);
      }
      // BPF run time, apart: bpf_stats on, the same loads briefly, the monitor still attached.
      if (ctx.bpfStats && handle.progs?.size && handle.alive()) {
        setStats(true);
        for (const wl of MEASURED_ORDER) {
          const bpf0 = await snapshot();
          const t0 = process.hrtime.bigint();
          await runLoad(wl, BPF_PHASE_S);
          const wall = Number(process.hrtime.bigint() - t0) / 1e9;
          const bpf = { ...delta(bpf0, await snapshot(), handle.progs), wall };
          const s = samples.find((x) => x.slot === slot && x.workload === wl.id);
          if (s) s.bpf = bpf;
        }
      }
      if (!handle.none) {
        const r = await handle.stop();
        if (r?.code && r.code !== 0 && r.code !== 130) log(`  ${mon.label} exited ${r.code}: ${String(r.stderr).trim().split('\n')[0]}`);
        await sleep(500); // the monitor's exit (detaching, the last write) is not the next run's
      }
    }
  } finally {
    if (ctx.bpfStats) setStats(true); // the sections after this one read it
    await stopNginx(servers.keepalive);
    await stopNginx(servers.close);
  }
  return {
    seconds, warmUp, warmEach: true, warmUpS: warmUp.reduce((a, w) => a + w.s, 0), bpfPhaseS: ctx.bpfStats ? BPF_PHASE_S : null, reps: opts.reps, samples, unavailable,
    monitors: monitors.map(({ id, label, command }) => ({ id, label, command })),
    commands: {
      nginx: `nginx -c ${servers.keepalive?.confPath} (keep-alive), nginx -c ${servers.close?.confPath} (close)   # from bench/nginx.conf.template, placement in bench/lib/workloads.mjs`,
      ...(servers.close ? workloadCommands(servers, udpPort, seconds, ctx.tools) : {}),
    },
    table: tabulate(samples, monitors),
  };
}

// The whole section's sequence: per repetition none, A, none, B, none, C, none, D with the
// monitors rotated by one each repetition, and a last none, so that every monitor run has
// a nothing-attached run right before and right after it.
export function sectionOrder(monitors, reps) {
  const none = monitors.find((m) => m.id === 'none');
  const rest = monitors.filter((m) => m.id !== 'none');
  const out = [];
  for (let rep = 0; rep < reps; rep++) {
    for (let i = 0; i < rest.length; i++) out.push({ rep, mon: none }, { rep, mon: rest[(i + rep) % rest.length] });
  }
  out.push({ rep: reps - 1, mon: none });
  return out;
}

// For a run in slot `slot`: the nothing-attached runs of the same workload nearest before and
// after it in the sequence (either may be missing at the ends, or failed).
export function neighbours(samples, workload, slot) {
  const nones = samples.filter((b) => b.workload === workload && b.monitor === 'none' && b.rps);
  const before = nones.filter((b) => b.slot < slot).at(-1);
  const after = nones.find((b) => b.slot > slot);
  return [before, after].filter(Boolean);
}

const geomean = (xs) => Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length);

// Per workload and monitor: median and spread of requests/s, of the ratio to the same
// repetition's baseline, of monitor CPU as % of one core, and of BPF run time.
export function tabulate(samples, monitors) {
  const rows = [];
  for (const wl of WORKLOADS) {
    for (const mon of monitors) {
      const mine = samples.filter((s) => s.workload === wl.id && s.monitor === mon.id && s.rps !== null);
      if (mine.length === 0) { rows.push({ workload: wl.id, monitor: mon.id, n: 0 }); continue; }
      // A monitor's run against the nothing runs on either side of it. For "nothing attached"
      // itself, each none against the nones on either side of it (two slots away, so a
      // little more drift than a monitor sees): how much identical runs differ here, the
      // noise floor of every ratio.
      const ratios = mine.map((s) => {
        const b = neighbours(samples, wl.id, s.slot).filter((x) => x !== s);
        return b.length === 2 ? s.rps / geomean(b.map((x) => x.rps)) : NaN;
      });
      const ratio = summary(ratios);
      rows.push({
        workload: wl.id, monitor: mon.id, n: mine.length,
        rps: summary(mine.map((s) => s.rps)),
        // ci: where the median ratio lies (96% for 9 reps), to judge a target line against.
        ratio: ratio && { ...ratio, ci: medianInterval(ratios) },
        cpuPct: summary(mine.map((s) => (100 * (s.cpuUser + s.cpuSys)) / s.wall)),
        cpuUserPct: summary(mine.map((s) => (100 * s.cpuUser) / s.wall)),
        cpuSysPct: summary(mine.map((s) => (100 * s.cpuSys) / s.wall)),
        terminalPct: summary(mine.map((s) => (100 * s.terminalCpu) / s.wall)),
        // From the separate phase with bpf_stats on (its own wall time).
        bpfPct: summary(mine.filter((s) => s.bpf).map((s) => (100 * s.bpf.runTimeNs) / 1e9 / (s.bpf.wall ?? s.wall))),
        bpfNsPerRun: summary(mine.filter((s) => s.bpf?.runCnt).map((s) => s.bpf.runTimeNs / s.bpf.runCnt)),
        bpfRunsPerSec: summary(mine.filter((s) => s.bpf).map((s) => s.bpf.runCnt / (s.bpf.wall ?? s.wall))),
        errors: [...new Set(mine.map((s) => s.errors).filter(Boolean))].slice(0, 2),
      });
    }
  }
  return rows;
}
