// `sockscope replay FILE [--speed X] [--format jsonl]`: the TUI on a terminal; otherwise
// (or with --format jsonl) the whole file reduced as fast as possible and one JSON line
// per flow. A damaged file replays up to the damage, then exits 5 with one line.
import { parseArgs } from 'node:util';
import { UsageError } from '../errors';
import { parseMaxFlows } from './live';
import type { RecordingSource } from '../record/reader';

export const REPLAY_HELP = `usage: sockscope replay FILE [--speed X] [--format jsonl|tui] [--max-flows N]

Replays a recording made by 'sockscope record'. On a terminal it opens the TUI at
--speed X times the recorded pace (default 1). With --format jsonl, or when standard
output is not a terminal, it prints one JSON object per flow of the recording, in its
final state, and exits 0 (5 if the file is damaged, after printing what precedes the
damage). The screen keeps at most --max-flows flows (default 100,000; closed flows leave
early first, counted as shed, then open ones, counted as evicted); --format jsonl writes
every flow, a closed one 10 s (recording time) after it closed.`;

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { speed: { type: 'string' }, format: { type: 'string' }, 'max-flows': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}; try 'sockscope replay --help'`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${REPLAY_HELP}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError("replay takes one FILE; try 'sockscope replay --help'");
  const speed = values.speed === undefined ? 1 : Number(values.speed);
  if (!(speed > 0) || !Number.isFinite(speed)) throw new UsageError(`--speed takes a number greater than zero, not '${values.speed}'`);
  const format = values.format ?? (process.stdout.isTTY ? 'tui' : 'jsonl');
  if (format !== 'jsonl' && format !== 'tui') throw new UsageError(`--format takes jsonl or tui, not '${format}'`);
  const maxFlows = parseMaxFlows(values['max-flows']);

  const { openRecording } = await import('../record/reader');
  const source = await openRecording(positionals[0]);
  if (format === 'tui' && process.stdout.isTTY) return runTui(source, speed, maxFlows);
  return runJsonl(source);
}

/** The TUI seam: src/tui/run-replay owns the screen and plays at `speed`. */
async function runTui(source: RecordingSource, speed: number, maxFlows: number | null): Promise<number> {
  const { runReplayTui } = await import('../tui/run-replay');
  return runReplayTui(source, source.info, { speed, maxFlows });
}

async function runJsonl(source: RecordingSource): Promise<number> {
  const { JsonlFlows } = await import('./jsonl-flows');
  // Every flow of the file is written, however short (src/commands/jsonl-flows.ts).
  const out = new JsonlFlows(source.header.bootTimeMs);
  try {
    for await (const batch of source.batches()) await out.apply(batch);
  } finally {
    await source.close();
  }
  await out.finish();
  const damage = source.damage();
  if (damage) throw damage;
  return 0;
}
