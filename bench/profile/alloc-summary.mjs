// Bytes allocated per function (self, and with callees) in a sampling heap profile written
// by bench/profile/alloc-profile.cjs, largest first, and the heaviest allocation stacks.
//   node bench/profile/alloc-summary.mjs FILE.heapprofile [TOP]
import { readFileSync } from 'node:fs';

const [file, topArg] = process.argv.slice(2);
const top = Number(topArg ?? 25);
const { head, samples } = JSON.parse(readFileSync(file, 'utf8'));
const where = (cf) => `${cf.functionName || '(anon)'} ${cf.url.split('/').pop()}:${cf.lineNumber + 1}`;
const self = new Map();
const total = new Map();
const stacks = [];
let all = 0;
(function walk(node, path) {
  const name = where(node.callFrame);
  const here = [...path, name];
  const own = node.selfSize;
  let sum = own;
  for (const c of node.children) sum += walk(c, here);
  self.set(name, (self.get(name) ?? 0) + own);
  // Counted once per stack even when recursive.
  if (!path.includes(name)) total.set(name, (total.get(name) ?? 0) + sum);
  if (own > 0) stacks.push([own, here.slice(-8).join(' < ').split(' < ').reverse().join(' < ')]);
  all += own;
  return sum;
})(head, []);
const mb = (b) => (b / 2 ** 20).toFixed(2).padStart(8);
console.log(`allocated ${mb(all)} MiB in ${samples.length} samples`);
console.log('-- self');
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(mb(v), k);
console.log('-- total');
for (const [k, v] of [...total].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(mb(v), k);
console.log('-- stacks (innermost first)');
for (const [v, s] of stacks.sort((a, b) => b[0] - a[0]).slice(0, top)) console.log(mb(v), s);
