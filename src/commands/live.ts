// `sockscope live`: capture on this host; the TUI on a terminal, JSON lines otherwise.
import { nextOrStop } from './next-or-stop';
import { parseArgs } from 'node:util';
import { parseDuration } from '../duration';
import { UsageError } from '../errors';
import type { RecordedEvent } from '../events/kernel-records';
import { openLiveRunsSource, openRecordingLiveSource, type RecordedEventSource } from '../live/source';
import { createEnricher } from '../enrich/index';
import { PendingSource } from '../live/pending-source';
import type { LiveTuiOptions } from '../tui/run-live';

export const LIVE_HELP = `usage: sockscope live [--format jsonl|tui] [--duration D] [--interval I] [--max-flows N]

Captures every TCP connection and UDP flow on this host (needs root, or CAP_BPF +
CAP_PERFMON + CAP_NET_ADMIN). On a terminal it opens the TUI; with --format jsonl, or when
standard output is not a terminal, it prints one JSON object per flow seen, in its final
state: a closed flow 2 s after it closed (up to 10 s while its owner's cgroup or container
name is being resolved; one that opened and closed within one interval as soon as it is
read), the open ones when --duration ends or on Ctrl-C/SIGTERM. The screen keeps at most
--max-flows flows (default 100,000; closed flows leave early first, counted as shed, then
open ones, counted as evicted); --format jsonl writes every flow.`;

export interface LiveOptions {
  format: 'jsonl' | 'tui';
  durationMs: number | null;
  intervalMs: number;
  /** The screen's flow cap (null: the default); JSON lines keep every flow. */
  maxFlows: number | null;
}

/** `--max-flows N`: a whole number of at least 1. */
export function parseMaxFlows(value: string | undefined): number | null {
  if (value === undefined) return null;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new UsageError(`--max-flows takes a whole number of flows of at least 1, not '${value}'`);
  }
  return n;
}

export function parseLiveArgs(argv: string[], help: string): LiveOptions | null {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        format: { type: 'string' },
        duration: { type: 'string' },
        interval: { type: 'string' },
        'max-flows': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: false,
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}; try --help`);
  }
  const { values } = parsed;
  if (values.help) {
    process.stdout.write(`${help}\n`);
    return null;
  }
  const format = values.format ?? (process.stdout.isTTY ? 'tui' : 'jsonl');
  if (format !== 'jsonl' && format !== 'tui') throw new UsageError(`--format takes jsonl or tui, not '${format}'`);
  return {
    format,
    durationMs: values.duration ? parseDuration(values.duration, '--duration') : null,
    intervalMs: values.interval ? parseDuration(values.interval, '--interval') : 1000,
    maxFlows: parseMaxFlows(values['max-flows']),
  };
}

/** Opens the live source with enrichment; the one place live capture starts. Its batches
 * carry flow records as kernel-records runs: fold them with applyRecordedBatch. The kernel
 * verifies the BPF programs on a worker thread: by the time this returns its promise, the
 * load is under way and the caller may import what it needs meanwhile. */
export function openEnrichedLiveSource(intervalMs: number, opts: { trimWhenQuiet?: boolean } = {}): Promise<RecordedEventSource> {
  const enricher = createEnricher();
  return openLiveRunsSource({ intervalMs, enrich: (batch: RecordedEvent[]) => enricher.observe(batch), trimWhenQuiet: opts.trimWhenQuiet });
}

/** As openEnrichedLiveSource, with flow records passed through undecoded (for record). */
export function openEnrichedRecordingSource(intervalMs: number): Promise<RecordedEventSource> {
  const enricher = createEnricher();
  return openRecordingLiveSource({ intervalMs, enrich: (batch: RecordedEvent[]) => enricher.observe(batch) });
}

/**
 * The live TUI on a source that is still opening: the kernel verifies the BPF programs on a
 * worker thread (about 0.2 s) while the TUI's modules compile and its first frame draws.
 * What is checked before the load (privileges, BTF, libbpf) fails before the screen comes;
 * a failed load closes the screen and is this call's error, as if it had come first.
 */
export async function runLiveTuiWhileOpening(intervalMs: number, opts: Omit<LiveTuiOptions, 'ready'>): Promise<number> {
  // The screen's frames keep the garbage collector busy: freed native memory goes back
  // every quiet interval (src/live/native-memory.ts).
  const opening = openEnrichedLiveSource(intervalMs, { trimWhenQuiet: true });
  const tui = import('../tui/run-live');
  tui.catch(() => {}); // awaited below, unless the source fails first
  // The checks before the load settle within microtasks: a failure there ends the start here.
  await Promise.race([opening, new Promise((resolve) => setImmediate(resolve))]);
  const source = new PendingSource(opening, intervalMs);
  let runLiveTui: typeof import('../tui/run-live').runLiveTui;
  try {
    ({ runLiveTui } = await tui);
  } catch (err) {
    await source.close();
    throw err;
  }
  return runLiveTui(source, { ...opts, ready: source.ready });
}

/** Ends `promise`'s wait when the duration passes or on Ctrl-C/SIGTERM. */
export function untilStopped(durationMs: number | null): { stopped: Promise<void>; dispose(): void } {
  let resolve!: () => void;
  const stopped = new Promise<void>((r) => (resolve = r));
  const timer = durationMs === null ? null : setTimeout(resolve, durationMs);
  process.once('SIGINT', resolve);
  process.once('SIGTERM', resolve);
  return {
    stopped,
    dispose() {
      if (timer) clearTimeout(timer);
      process.removeListener('SIGINT', resolve);
      process.removeListener('SIGTERM', resolve);
    },
  };
}

async function runJsonl(opts: LiveOptions): Promise<number> {
  const opening = openEnrichedLiveSource(opts.intervalMs);
  opening.catch(() => {}); // awaited below, once the writer's module is in
  const { JsonlFlows } = await import('./jsonl-flows');
  const source = await opening;
  const out = new JsonlFlows();
  const stop = untilStopped(opts.durationMs);
  const iterator = source.batches()[Symbol.asyncIterator]();
  // The pending next() is kept across the stop so that no batch is dropped: after close()
  // the source yields its final batch (last counters) and then ends.
  let pending: Promise<IteratorResult<RecordedEvent[]>> | null = iterator.next();
  const nextBatch = nextOrStop([stop.stopped]);
  try {
    for (;;) {
      const next = await nextBatch(pending);
      if (next === null) break;
      if (next.done) {
        pending = null;
        break;
      }
      await out.apply(next.value);
      pending = iterator.next();
    }
  } finally {
    stop.dispose();
    await source.close();
  }
  for (let r = pending ? await pending : null; r && !r.done; r = await iterator.next()) await out.apply(r.value);
  await out.finish();
  // Nothing is lost silently: the JSON lines are flows only, so say it on stderr.
  const { lost, evicted, closesUnseen, opensUnseen } = out.state.totals;
  if (opensUnseen > 0) {
    process.stderr.write(`sockscope: ${opensUnseen} TCP flows established without the kernel programs seeing it (bpf/README "Known limits"): each is listed from when it was found, with every byte, its connect latency unknown\n`);
  }
  if (closesUnseen > 0) {
    process.stderr.write(`sockscope: ${closesUnseen} TCP flows closed without the kernel programs seeing it (bpf/README "Known limits"): each is listed closed at the time it was found, with the counters last read\n`);
  }
  if (lost > 0 || evicted > 0) {
    process.stderr.write(`sockscope: ${lost} events lost (ring buffers full, or a close the kernel did not show) and ${evicted} flows evicted (map full): some flows above are missing or incomplete\n`);
  }
  return 0;
}

async function runTui(opts: LiveOptions): Promise<number> {
  return runLiveTuiWhileOpening(opts.intervalMs, { durationMs: opts.durationMs, maxFlows: opts.maxFlows });
}

export async function run(argv: string[]): Promise<number> {
  const opts = parseLiveArgs(argv, LIVE_HELP);
  if (!opts) return 0;
  return opts.format === 'jsonl' ? runJsonl(opts) : runTui(opts);
}
