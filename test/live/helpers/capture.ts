// Live capture in the test process, wired exactly as `sockscope live` wires it:
// openLiveRunsSource -> createEnricher -> applyRecordedBatch (flow records as kernel-records
// runs), with the CONTRACT JSON of each flow. Batches are applied in the background; tests
// wait for the flows they expect, and read them (`batches`) with the runs expanded to events.
import { existsSync } from 'node:fs';
import { openLiveRunsSource, type RecordedEventSource } from '../../../src/live/source';
import type { CaptureSizes } from '../../../src/live/kernel';
import { createEnricher } from '../../../src/enrich';
import { createCoreState } from '../../../src/core/reducer';
import { applyRecordedBatch } from '../../../src/core/apply-runs';
import { expandKernelRecords, type RecordedEvent } from '../../../src/events/kernel-records';
import { toJsonFlow, type JsonFlow } from '../../../src/core/flow-json';
import type { AppEvent, TickEvent } from '../../../src/events/types';
import type { CoreState, Flow } from '../../../src/core/state';

/** Live capture needs root and kernel BTF; the CI guard makes sure CI never skips. */
export const canCapture: { ok: boolean; why: string } = process.getuid?.() !== 0
  ? { ok: false, why: 'not root' }
  : !existsSync('/sys/kernel/btf/vmlinux')
    ? { ok: false, why: 'no /sys/kernel/btf/vmlinux' }
    : { ok: true, why: '' };

export const skipWhy = canCapture.ok ? '' : ` (skipped: ${canCapture.why})`;

export interface Capture {
  source: RecordedEventSource;
  state: CoreState;
  /** Every batch, as the enricher returned it (for the recording round trip). */
  batches: AppEvent[][];
  ticks: TickEvent[];
  /** The CONTRACT JSON of every flow the reducer holds, with the reducer's flow. */
  flows(): Array<JsonFlow & { flowId: number }>;
  /** Polls `fn` after each batch until it returns a value (not undefined/null/false). */
  waitFor<T>(what: string, fn: () => T | undefined | null | false, timeoutMs?: number): Promise<T>;
  /** Waits for one more full interval, so counters read after this moment are in. */
  nextTick(): Promise<TickEvent>;
  stop(): Promise<void>;
}

export interface CaptureOptions {
  intervalMs?: number;
  sizes?: CaptureSizes;
  /** Sees each enriched batch before the reducer (the recorder's place). */
  tap?: (batch: RecordedEvent[], source: RecordedEventSource) => void;
}

export async function startCapture(opts: CaptureOptions = {}): Promise<Capture> {
  const enricher = createEnricher();
  const source = await openLiveRunsSource({
    intervalMs: opts.intervalMs ?? 200,
    sizes: opts.sizes,
    enrich: (b) => enricher.observe(b),
  });
  // Closed flows stay: the tests look at them after they end.
  const state = createCoreState({ lingerNs: Infinity, maxFlows: Number.MAX_SAFE_INTEGER, historyLength: 0 });
  const batches: AppEvent[][] = [];
  const ticks: TickEvent[] = [];
  let waiters: Array<() => void> = [];
  let failure: unknown = null;
  const loop = (async () => {
    try {
      for await (const batch of source.batches()) {
        opts.tap?.(batch, source);
        applyRecordedBatch(state, batch);
        // Runs are not given back to the pool: a tap's writer may still hold them.
        batches.push(expandRuns(batch));
        for (const e of batch) if (e.type === 'tick') ticks.push(e);
        const w = waiters;
        waiters = [];
        for (const f of w) f();
      }
    } catch (err) {
      failure = err;
    }
  })();
  const afterBatch = () => new Promise<void>((r) => waiters.push(r));

  const capture: Capture = {
    source,
    state,
    batches,
    ticks,
    flows: () => [...state.flows.values()].map((f: Flow) => ({ ...toJsonFlow(state, f), flowId: f.flowId })),
    async waitFor(what, fn, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (failure) throw failure;
        const v = fn();
        if (v !== undefined && v !== null && v !== false) return v as NonNullable<typeof v>;
        if (Date.now() > deadline) {
          const t = ticks.at(-1);
          throw new Error(`timed out waiting for ${what} (${state.flows.size} flows, ${ticks.length} ticks, lost ${t?.lost}, evicted ${t?.evicted})`);
        }
        await Promise.race([afterBatch(), new Promise((r) => setTimeout(r, 1000))]);
      }
    },
    async nextTick() {
      const n = ticks.length;
      await capture.waitFor('a tick', () => ticks.length > n + 1);
      return ticks[ticks.length - 1];
    },
    async stop() {
      await source.close();
      await loop;
      enricher.close();
      if (failure) throw failure;
    },
  };
  // The first batch (connections found at start) has been applied before tests begin.
  await capture.waitFor('the first batch', () => batches.length > 0);
  return capture;
}

/** The batch with each kernel-records run replaced by the events it holds. */
function expandRuns(batch: readonly RecordedEvent[]): AppEvent[] {
  const out: AppEvent[] = [];
  for (const e of batch) {
    if (e.type !== 'kernel-records') out.push(e);
    else {
      const r = expandKernelRecords(e, out);
      if (typeof r === 'string') throw new Error(r);
    }
  }
  return out;
}

/** The fields a matcher may look at: the same in the reducer's Flow and in JsonFlow. */
export type FlowKey = Pick<Flow, 'proto' | 'laddr' | 'lport' | 'raddr' | 'rport' | 'direction' | 'state'>;

/** Matches a flow by protocol and local/remote ports (every test uses fresh ports). */
export function byPorts(proto: 'tcp' | 'udp', lport: number, rport: number) {
  return (f: FlowKey) => f.proto === proto && f.lport === lport && f.rport === rport;
}

/** The JSON of the first flow that matches and satisfies `ready` (default: closed).
 * Matches on the reducer's flows first: other traffic on the host can mean thousands. */
export function flowWhere(cap: Capture, what: string, match: (f: FlowKey) => boolean, ready: (f: JsonFlow) => boolean = (f) => f.state === 'closed', timeoutMs?: number) {
  return cap.waitFor(what, () => {
    for (const f of cap.state.flows.values()) {
      if (!match(f)) continue;
      const j = { ...toJsonFlow(cap.state, f), flowId: f.flowId };
      if (ready(j)) return j;
    }
    return undefined;
  }, timeoutMs);
}

export function closedFlow(cap: Capture, what: string, match: (f: FlowKey) => boolean): Promise<JsonFlow & { flowId: number }> {
  return flowWhere(cap, what, match);
}
