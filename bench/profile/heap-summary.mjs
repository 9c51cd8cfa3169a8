// Self size per constructor (objects) or per type (arrays, strings, code, ...) in a V8
// .heapsnapshot, largest first, and the largest single objects: what a snapshot taken by
// memory-report.cjs (SOCKSCOPE_HEAP_SNAPSHOT_DIR) holds, without opening DevTools.
//   node bench/profile/heap-summary.mjs FILE.heapsnapshot [TOP]
import { readFileSync } from 'node:fs';

const [file, topArg] = process.argv.slice(2);
const top = Number(topArg ?? 30);
const snap = JSON.parse(readFileSync(file, 'utf8'));
const meta = snap.snapshot.meta;
const fields = meta.node_fields;
const stride = fields.length;
const types = meta.node_types[0];
const iType = fields.indexOf('type');
const iName = fields.indexOf('name');
const iSize = fields.indexOf('self_size');
const { nodes, strings } = snap;
const groups = new Map();
const largest = [];
let total = 0;
for (let i = 0; i < nodes.length; i += stride) {
  const type = types[nodes[i + iType]];
  const name = strings[nodes[i + iName]];
  const size = nodes[i + iSize];
  total += size;
  // Objects by constructor; everything else by type (and a native's or code's name).
  const key = type === 'object' || type === 'native' || type === 'closure' ? `${type} ${name}` : type === 'array' ? `array ${name}` : type;
  const g = groups.get(key) ?? { count: 0, size: 0 };
  g.count++;
  g.size += size;
  groups.set(key, g);
  if (size >= 256 * 1024) largest.push({ type, name: name.slice(0, 60), size });
}
const mib = (b) => (b / 2 ** 20).toFixed(2);
console.log(`total self size ${mib(total)} MiB in ${nodes.length / stride} nodes`);
for (const [k, g] of [...groups].sort((a, b) => b[1].size - a[1].size).slice(0, top)) {
  console.log(`${mib(g.size).padStart(8)} MiB ${String(g.count).padStart(9)}  ${k.slice(0, 90)}`);
}
console.log('largest objects (>= 256 KiB):');
for (const o of largest.sort((a, b) => b.size - a.size).slice(0, top)) console.log(`${mib(o.size).padStart(8)} MiB  ${o.type} ${o.name}`);
