#!/usr/bin/env node
// Memory per tracked flow in the reducer and the TUI's selectors, without the kernel:
// bundles scripts/bench-memory-app.ts (the real reducer and select code), feeds it FLOWS
// synthetic flows over TICKS one-second ticks, and prints heapUsed and RSS after a forced
// GC, one JSON line per mode and moving fraction.
//
//   node scripts/bench-memory.mjs [--flows 100000] [--ticks 65] [--moving 0,0.1,once]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from '../bench/lib/args.mjs';
import { bundle } from './bundle.mjs';

const { values } = parseArgs({
  options: { flows: { type: 'string', default: '100000' }, ticks: { type: 'string', default: '65' }, moving: { type: 'string', default: '0,0.1,once' } },
});
const root = new URL('..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'sockscope-bench-memory-'));
try {
  const entry = join(dir, 'app.mjs');
  await bundle(join(root, 'scripts/bench-memory-app.ts'), entry, 'bench');
  for (const mode of ['jsonl', 'tui']) {
    for (const moving of values.moving.split(',')) {
      // A fresh process per run, so one run's garbage does not count against the next.
      const out = execFileSync(process.execPath, ['--expose-gc', entry], {
        env: { ...process.env, MODE: mode, FLOWS: values.flows, TICKS: values.ticks, MOVING: moving },
        encoding: 'utf8',
      });
      process.stdout.write(out);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
