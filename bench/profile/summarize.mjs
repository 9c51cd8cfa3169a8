// Self time per function (and per source file) from a .cpuprofile, largest first.
//   node bench/profile/summarize.mjs FILE.cpuprofile [TOP]
import { readFileSync } from 'node:fs';
const [file, topArg] = process.argv.slice(2);
if (!file) { console.error('usage: summarize.mjs FILE.cpuprofile [TOP]'); process.exit(2); }
const p = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const self = new Map();
const dt = p.timeDeltas;
for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + (dt[i] ?? 0));
const total = [...self.values()].reduce((a, b) => a + b, 0);
const fn = new Map();
for (const [id, us] of self) {
  const cf = byId.get(id).callFrame;
  const key = `${cf.functionName || '(anonymous)'} ${cf.url.split('/').pop()}:${cf.lineNumber + 1}`;
  fn.set(key, (fn.get(key) ?? 0) + us);
}
const top = [...fn].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg ?? 25));
console.log(`total sampled ${(total / 1e6).toFixed(2)} s`);
for (const [k, us] of top) console.log(`${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1e3).toFixed(0).padStart(7)} ms  ${k}`);
