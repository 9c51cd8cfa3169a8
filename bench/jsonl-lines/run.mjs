#!/usr/bin/env node
// ns and garbage bytes per JSON line (FlowJsonLines.writeLine) of a build's sources, on a
// recording's flows: bench/jsonl-lines/entry.ts bundled as dist is, run with dist's node
// flags. CPU-timed: run it under `flock /tmp/bench.lock`. Compare two checkouts by running
// each one's copy, interleaved.
//   node bench/jsonl-lines/run.mjs [recordings/churn.ssrec] (env SPAN=1: one flow; DUMP=1: md5)
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { bundle } from '../../scripts/bundle.mjs';
import { NODE_FLAGS } from '../../scripts/node-flags.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'sockscope-jsonl-lines-')), 'entry.mjs');
await bundle(path.join(root, 'bench/jsonl-lines/entry.ts'), out, 'bench');
const recording = process.argv[2] ?? path.join(root, 'recordings/churn.ssrec');
const r = spawnSync(process.execPath, [...NODE_FLAGS, out, recording], { stdio: 'inherit' });
process.exit(r.status ?? 1);
