#!/usr/bin/env node
// Nothing attached, keep-alive (section 1's placement): a run right after another run (no
// idle gap) against a run after an idle gap, interleaved per round: [idle GAP s, run A, run B]
// with B starting the moment A ends. Does a run straight after load differ from one after a
// pause? In section 1 a monitor's run follows its warm-up at once, a nothing run follows the
// previous monitor's stop and a 0.5 s pause.
//   node bench/gap-aa.mjs --rounds 8 --duration 3 --gap 2
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from './lib/args.mjs';
import { killOwnedSync, sleep } from './lib/proc.mjs';
import { startNginx, stopNginx, runWrk, placement } from './lib/workloads.mjs';
import { summary } from './lib/stats.mjs';

const { values: opts } = parseArgs({ options: {
  rounds: { type: 'string', default: '8' }, duration: { type: 'string', default: '3' }, gap: { type: 'string', default: '2' },
  load: { type: 'string', default: 'keepalive' }, port: { type: 'string', default: '18700' },
} });
process.on('exit', killOwnedSync);
const close = opts.load === 'close';
const benchDir = new URL('.', import.meta.url).pathname;
const nginx = await startNginx({ benchDir, workDir: mkdtempSync(path.join(tmpdir(), 'sockscope-gap-')), port: Number(opts.port), place: placement(opts.load) });
await runWrk(nginx, 1, close);
const ratios = [];
for (let r = 0; r < Number(opts.rounds); r++) {
  await sleep(Number(opts.gap) * 1000);
  const a = await runWrk(nginx, Number(opts.duration), close);
  const b = await runWrk(nginx, Number(opts.duration), close);
  ratios.push(b.rps / a.rps);
  console.log(`round ${r + 1}: after a gap ${a.rps.toFixed(0)}/s, straight after ${b.rps.toFixed(0)}/s, ${(b.rps / a.rps).toFixed(3)}`);
}
await stopNginx(nginx);
const s = summary(ratios);
console.log(`${opts.load}: straight after / after a ${opts.gap} s gap: median ${s.median.toFixed(3)} (${s.min.toFixed(3)}-${s.max.toFixed(3)}, n=${s.n})`);
