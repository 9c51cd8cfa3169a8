// Self time per function from a .cpuprofile, largest first. The samples are wall-clock
// ticks of the main thread, so "(idle)" and "poll" are time spent waiting, not CPU.
//   node bench/profile/summarize.mjs FILE.cpuprofile [TOP]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function summarizeProfile(p, top = 25) {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map();
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
  const fn = new Map();
  let busy = 0;
  for (const [id, us] of self) {
    const cf = byId.get(id).callFrame;
    const name = cf.functionName || '(anonymous)';
    const key = `${name} ${cf.url ? `${cf.url.split('/').pop()}:${cf.lineNumber + 1}` : ''}`.trim();
    fn.set(key, (fn.get(key) ?? 0) + us);
    if (name !== '(idle)' && name !== '(program)' && name !== 'poll') busy += us;
  }
  const rows = [...fn].filter(([k]) => !/^\((idle|program)\)|^poll\b/.test(k)).sort((a, b) => b[1] - a[1]).slice(0, top)
    .map(([fnName, us]) => ({ fn: fnName, ms: Math.round(us / 1e3), pctOfBusy: Math.round((1000 * us) / busy) / 10 }));
  return { busyMs: Math.round(busy / 1e3), rows };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file, topArg] = process.argv.slice(2);
  if (!file) { console.error('usage: summarize.mjs FILE.cpuprofile [TOP]'); process.exit(2); }
  const s = summarizeProfile(JSON.parse(readFileSync(file, 'utf8')), Number(topArg ?? 25));
  console.log(`busy (not idle) ${s.busyMs} ms`);
  for (const r of s.rows) console.log(`${r.pctOfBusy.toFixed(1).padStart(5)}%  ${String(r.ms).padStart(7)} ms  ${r.fn}`);
}
