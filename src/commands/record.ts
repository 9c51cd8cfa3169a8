// `sockscope record -o FILE [--duration D] [--interval I]`: live capture with enrichment,
// every batch written to a recording. Ends on --duration, Ctrl-C or SIGTERM with a
// complete file; a write error (disk full) ends with one line, keeping what was flushed.
import { nextOrStop } from './next-or-stop';
import { parseArgs } from 'node:util';
import { parseDuration } from '../duration';
import { UsageError } from '../errors';
import { runSummary, type RecordedEvent } from '../events/kernel-records';
import { RecordingWriter } from '../record/writer';
import { openEnrichedRecordingSource, untilStopped } from './live';

export const RECORD_HELP = `usage: sockscope record -o FILE [--duration D] [--interval I]

Captures live (like 'sockscope live') into FILE (created with mode 0600: it holds
command lines and addresses), until --duration passes or Ctrl-C/SIGTERM. The file is
flushed at least once a second, so even a killed recorder leaves a file that replays up
to its last second. D and I take 500ms, 10s, 5m, 1h; the interval defaults to 1s.`;

interface Progress {
  flows: number;
  events: number;
  lost: number;
}

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        output: { type: 'string', short: 'o' },
        duration: { type: 'string' },
        interval: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: false,
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}; try 'sockscope record --help'`);
  }
  const { values } = parsed;
  if (values.help) {
    process.stdout.write(`${RECORD_HELP}\n`);
    return 0;
  }
  if (!values.output) throw new UsageError("record needs -o FILE; try 'sockscope record --help'");
  const durationMs = values.duration ? parseDuration(values.duration, '--duration') : null;
  const intervalMs = values.interval ? parseDuration(values.interval, '--interval') : 1000;

  const source = await openEnrichedRecordingSource(intervalMs);
  let writer: RecordingWriter;
  try {
    writer = RecordingWriter.create(values.output, source.info, { capture: { durationMs, intervalMs }, releaseRuns: true });
  } catch (err) {
    await source.close();
    throw err;
  }
  // A write error in the flush timer ends the run like a stop, then is reported.
  let writeError: unknown = null;
  let onWriteError!: () => void;
  const failed = new Promise<null>((r) => (onWriteError = () => r(null)));
  writer.startAutoFlush((err) => {
    writeError = err;
    onWriteError();
  });
  const progress: Progress = { flows: 0, events: 0, lost: 0 };
  const take = (batch: RecordedEvent[]) => {
    writer.write(batch);
    for (const e of batch) {
      if (e.type === 'kernel-records') {
        const s = runSummary(e);
        progress.events += s.events;
        progress.flows += s.opens;
        continue;
      }
      progress.events++;
      if (e.type === 'flow-open') progress.flows++;
      else if (e.type === 'tick') progress.lost = e.lost;
    }
  };
  const started = performance.now();
  const tty = process.stderr.isTTY === true;
  const show = () => process.stderr.write(`\r\x1b[2K${progressLine(progress, performance.now() - started, writer.bytesWritten)}`);
  const ticker = tty ? setInterval(show, 1000) : null;
  if (tty) show();
  const stop = untilStopped(durationMs);
  // While the file is being finished, a second Ctrl-C must not kill the process half-way.
  const ignore = () => {};
  const iterator = source.batches()[Symbol.asyncIterator]();
  // As in live --format jsonl: the pending next() survives the stop so that the source's
  // final batch (last counters, read on close) still lands in the file.
  let pending: Promise<IteratorResult<RecordedEvent[]>> | null = iterator.next();
  const nextBatch = nextOrStop([stop.stopped, failed]);
  try {
    for (;;) {
      const next = await nextBatch(pending);
      if (writeError) throw writeError;
      if (next === null) break;
      if (next.done) {
        pending = null;
        break;
      }
      take(next.value);
      pending = iterator.next();
    }
    process.on('SIGINT', ignore).on('SIGTERM', ignore);
    stop.dispose();
    await source.close();
    for (let r = pending ? await pending : null; r && !r.done; r = await iterator.next()) take(r.value);
    writer.close();
  } catch (err) {
    writer.abandon();
    throw err;
  } finally {
    stop.dispose();
    if (ticker) clearInterval(ticker);
    if (tty) process.stderr.write('\r\x1b[2K');
    await source.close();
    process.removeListener('SIGINT', ignore).removeListener('SIGTERM', ignore);
  }
  process.stderr.write(`recorded ${values.output}: ${progressLine(progress, performance.now() - started, writer.bytesWritten)}\n`);
  return 0;
}

function progressLine(p: Progress, elapsedMs: number, bytes: number): string {
  const s = Math.floor(elapsedMs / 1000);
  const hms = `${Math.floor(s / 3600)}:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
  const size = bytes < 1 << 20 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / (1 << 20)).toFixed(1)} MiB`;
  return `${hms} elapsed, ${p.flows} flows, ${p.events} events, ${p.lost} lost, ${size} written`;
}
