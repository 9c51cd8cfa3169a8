// Section 1, host overhead: requests/s of nginx+wrk (keep-alive, Connection: close) and of a
// UDP request/response pair with each monitor attached, as a fraction of the same repetition
// with nothing attached; plus the CPU each monitor's processes used and the BPF run time of
// the programs it loaded. The CPU speed of this VM drifts by tens of percent within seconds
// (see the machine table), so every repetition runs "nothing attached" twice, between the
// monitors (none A B none C D, monitors rotating each repetition), and each monitor's ratio
// is taken against its own repetition's baselines.
import { startNginx, stopNginx, runWrk, runUdp, workloadCommands } from '../lib/workloads.mjs';
import { monitorDefinitions } from '../lib/monitors.mjs';
import { cpuSeconds } from '../lib/proc.mjs';
import { snapshot, delta } from '../lib/bpfstats.mjs';
import { summary } from '../lib/stats.mjs';

export const WORKLOADS = [
  { id: 'keepalive', label: 'nginx keep-alive (wrk)' },
  { id: 'close', label: 'nginx new connection per request (wrk, Connection: close)' },
  { id: 'udp', label: 'UDP request/response (udp_rr, 16 in flight)' },
];

export const WARM_UP_S = 5;

export async function runOverhead(ctx) {
  const { opts, log } = ctx;
  const seconds = opts.duration;
  const warmUpS = opts.quick ? 0 : WARM_UP_S;
  const nginxPort = opts.basePort;
  const udpPort = opts.basePort + 1;
  const nginx = await startNginx({ benchDir: ctx.benchDir, workDir: ctx.workDir, port: nginxPort });
  const monitors = monitorDefinitions(ctx);
  const samples = [];
  const unavailable = {};
  try {
    log(`overhead: warm-up`);
    await runWrk(nginx.url, 1, false);
    for (let rep = 0; rep < opts.reps; rep++) {
      for (const [slot, mon] of repetitionOrder(monitors, rep).entries()) {
        if (unavailable[mon.id]) continue;
        log(`overhead: rep ${rep + 1}/${opts.reps} ${mon.label}`);
        const handle = await mon.start();
        if (!handle.ok) {
          unavailable[mon.id] = handle.reason;
          log(`  not available: ${handle.reason}`);
          continue;
        }
        // Steady state, as the CPU targets are judged: every configuration (nothing attached
        // too) first serves WARM_UP_S of keep-alive load unmeasured, so that a monitor's
        // start-up (V8 compiling the TUI's code: 5-6% of a core in its first 5 s, about 3%
        // after 20 s, bench/live-steady.mjs --load keepalive) is not billed to the first workload.
        if (warmUpS) await runWrk(nginx.url, warmUpS, false);
        for (const wl of WORKLOADS) {
          const pids = handle.none ? [] : handle.pids();
          const cpu0 = cpuSeconds(pids);
          const term0 = cpuSeconds(handle.none ? [] : handle.extraPids());
          const bpf0 = handle.progs?.size ? await snapshot() : null;
          const t0 = process.hrtime.bigint();
          const res = wl.id === 'udp' ? await runUdp(ctx.tools, udpPort, seconds)
            : await runWrk(nginx.url, seconds, wl.id === 'close');
          const wall = Number(process.hrtime.bigint() - t0) / 1e9;
          const bpf1 = bpf0 ? await snapshot() : null;
          const cpu1 = cpuSeconds(pids);
          const term1 = cpuSeconds(handle.none ? [] : handle.extraPids());
          const died = !handle.none && !handle.alive();
          samples.push({
            rep, slot, monitor: mon.id, workload: wl.id, rps: died ? null : res.rps, wall,
            cpuUser: cpu1.user - cpu0.user, cpuSys: cpu1.sys - cpu0.sys,
            terminalCpu: term1.total - term0.total,
            bpf: bpf0 ? delta(bpf0, bpf1, handle.progs) : null,
            errors: res.errors, failed: died ? 'monitor exited during the run' : res.failed,
          });
          log(`  ${wl.id}: ${res.rps ?? 'failed'} req/s, monitor cpu ${(cpu1.total - cpu0.total).toFixed(2)} s${died ? ' (monitor died)' : ''}`);
        }
        if (!handle.none) {
          const r = await handle.stop();
          if (r?.code && r.code !== 0 && r.code !== 130) log(`  ${mon.label} exited ${r.code}: ${String(r.stderr).trim().split('\n')[0]}`);
        }
      }
    }
  } finally {
    await stopNginx(nginx);
  }
  return {
    seconds, warmUpS, reps: opts.reps, samples, unavailable,
    monitors: monitors.map(({ id, label, command }) => ({ id, label, command })),
    commands: { nginx: `nginx -c ${nginx.confPath}   # from bench/nginx.conf.template`, ...workloadCommands(nginx.url, udpPort, seconds, ctx.tools) },
    table: tabulate(samples, monitors),
  };
}

// none, A, B, none, C, D with the monitors rotated by one each repetition.
export function repetitionOrder(monitors, rep) {
  const none = monitors.find((m) => m.id === 'none');
  const rest = monitors.filter((m) => m.id !== 'none');
  const rot = rest.map((_, i) => rest[(i + rep) % rest.length]);
  const half = Math.ceil(rot.length / 2);
  return [none, ...rot.slice(0, half), none, ...rot.slice(half)];
}

// Per workload and monitor: median and spread of requests/s, of the ratio to the same
// repetition's baseline, of monitor CPU as % of one core, and of BPF run time.
export function tabulate(samples, monitors) {
  const rows = [];
  for (const wl of WORKLOADS) {
    for (const mon of monitors) {
      const mine = samples.filter((s) => s.workload === wl.id && s.monitor === mon.id && s.rps !== null);
      if (mine.length === 0) { rows.push({ workload: wl.id, monitor: mon.id, n: 0 }); continue; }
      const baseOf = (rep) => samples.filter((b) => b.workload === wl.id && b.monitor === 'none' && b.rep === rep && b.rps);
      const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
      // For "nothing attached" itself: the second baseline of a repetition against the first,
      // i.e. how much two identical runs differ here (the noise floor of every ratio).
      const ratios = mon.id === 'none'
        ? [...new Set(mine.map((s) => s.rep))].map((rep) => { const b = baseOf(rep); return b.length === 2 ? b[1].rps / b[0].rps : NaN; })
        : mine.map((s) => { const b = baseOf(s.rep); return b.length ? s.rps / mean(b.map((x) => x.rps)) : NaN; });
      rows.push({
        workload: wl.id, monitor: mon.id, n: mine.length,
        rps: summary(mine.map((s) => s.rps)),
        ratio: summary(ratios),
        cpuPct: summary(mine.map((s) => (100 * (s.cpuUser + s.cpuSys)) / s.wall)),
        cpuUserPct: summary(mine.map((s) => (100 * s.cpuUser) / s.wall)),
        cpuSysPct: summary(mine.map((s) => (100 * s.cpuSys) / s.wall)),
        terminalPct: summary(mine.map((s) => (100 * s.terminalCpu) / s.wall)),
        bpfPct: summary(mine.filter((s) => s.bpf).map((s) => (100 * s.bpf.runTimeNs) / 1e9 / s.wall)),
        bpfNsPerRun: summary(mine.filter((s) => s.bpf?.runCnt).map((s) => s.bpf.runTimeNs / s.bpf.runCnt)),
        bpfRunsPerSec: summary(mine.filter((s) => s.bpf).map((s) => s.bpf.runCnt / s.wall)),
        errors: [...new Set(mine.map((s) => s.errors).filter(Boolean))].slice(0, 2),
      });
    }
  }
  return rows;
}
