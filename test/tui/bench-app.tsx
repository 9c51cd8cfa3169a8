// The TUI under load, for scripts/bench-tui.mjs: the real App on the real terminal (run it
// in tmux), fed like live mode by a source that delivers `FLOWS` flows' counters once per
// interval. It writes its pid on start and, on quit, the key-to-redraw latencies (from
// Ink reading a key off stdin to the next frame written to stdout) and their CPU time.
import { writeFileSync } from 'node:fs';
import { render } from 'ink';
import { App } from '../../src/tui/App';
import { LiveFeed } from '../../src/tui/live-feed';
import { screenRenderOptions } from '../../src/tui/render-options';
import { capYoungGeneration, closeRate } from '../../src/tui/young-generation';
import type { AppEvent, EventSource, SourceInfo } from '../../src/events/types';
import { manyFlowBatches, manyFlowInterval } from './fixtures';

const flows = Number(process.env.FLOWS ?? 10_000);
const intervalMs = Number(process.env.INTERVAL_MS ?? 1000);
const out = process.env.BENCH_OUT ?? '/tmp/sockscope-bench-tui.json';
const intervals = Number(process.env.INTERVALS ?? 120);

const info: SourceInfo = {
  mode: 'live', hostname: 'bench', kernel: 'synthetic', cpus: 1, bootTimeMs: Date.now(), cgroupRoot: null, hooks: [],
  intervalMs, sockscopeVersion: 'bench',
};

class TimedSource implements EventSource {
  private closed = false;
  private wake: (() => void) | null = null;
  constructor(readonly info: SourceInfo) {}
  async *batches(): AsyncIterable<AppEvent[]> {
    // The flows open first; then each interval's counters, made when due, as the live
    // source decodes them from the kernel's maps (holding every interval in memory would
    // make the garbage collector, not the screen, what gets measured).
    yield manyFlowBatches(flows, 0)[0];
    for (let t = 1; t <= intervals && !this.closed; t++) {
      await new Promise<void>((r) => { this.wake = r; setTimeout(r, intervalMs); });
      if (!this.closed) yield manyFlowInterval(flows, t);
    }
  }
  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
  }
}

const latencies: number[] = [];
const cpuMs: number[] = []; // CPU time of the same span: what the redraw cost, without waiting for a busy CPU
let keyAt: number | null = null;
let keyCpu: NodeJS.CpuUsage | null = null;
const read = process.stdin.read.bind(process.stdin);
process.stdin.read = ((size?: number) => {
  const chunk = read(size);
  if (chunk !== null && keyAt === null) {
    keyAt = performance.now();
    keyCpu = process.cpuUsage();
  }
  return chunk;
}) as typeof process.stdin.read;
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = ((chunk: unknown, ...rest: unknown[]) => {
  if (keyAt !== null) {
    latencies.push(performance.now() - keyAt);
    const c = process.cpuUsage(keyCpu!);
    cpuMs.push((c.user + c.system) / 1000);
    keyAt = null;
  }
  return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
}) as typeof process.stdout.write;

writeFileSync(`${out}.pid`, String(process.pid));
const feed = new LiveFeed(new TimedSource(info));
// As mountTui does.
capYoungGeneration(closeRate(() => feed.state().totals));
const app = render(<App feed={feed} />, screenRenderOptions());
await app.waitUntilExit();
await feed.close();
writeFileSync(out, JSON.stringify({ latencies, cpuMs }));
process.exit(0);
