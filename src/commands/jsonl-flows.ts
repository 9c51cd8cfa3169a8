// The JSON lines of `--format jsonl` (CONTRACT.md), live and in replay: one line per flow,
// in its final state. A closed flow no longer changes once it has lingered a while (late
// facts, such as a container's name from the runtime API, arrive within that), so its line
// is written then and the flow leaves memory: a long run on a busy host holds only the open
// flows and those closed in the last JSONL_LINGER_NS, not every flow it has ever seen. Open
// and still-lingering flows are written at the end.
import { releaseRun, type RecordedEvent } from '../events/kernel-records';
import { FlowJsonLines } from '../core/flow-json-line';
import { createCoreState, heldSlots } from '../core/reducer';
import { applyRecordedBatch } from '../core/apply-runs';
import type { CoreState, Flow } from '../core/state';
import { LineWriter } from './line-writer';

/** How long a closed flow waits before its line is written (monotonic ns of the source). */
export const JSONL_LINGER_NS = 10e9;

/** At the end, the output is waited for every this many lines. */
const LINES_PER_WAIT = 2000;

export class JsonlFlows {
  readonly state: CoreState;
  private readonly out = new LineWriter();
  private readonly lines = new FlowJsonLines();

  /** `bootTimeMs`: the recording host's boot time (replay), for wall-clock times before
   * the first tick. */
  constructor(private readonly bootTimeMs: number | null = null) {
    this.state = createCoreState({
      lingerNs: JSONL_LINGER_NS,
      // Every flow is written, however many: none is capped away.
      maxFlows: Number.MAX_SAFE_INTEGER,
      // No rates, nor their history: the JSON lines never show them.
      historyLength: 0,
      rates: false,
      // Nothing looks a flow up: one closed as it opened needs no place in the index.
      listBriefs: false,
      onFlowDone: (flow) => this.add(flow),
    });
  }

  /** Folds a batch (kernel-records runs too: src/core/apply-runs.ts) and writes the lines
   * of the flows it finished (awaited when the output is slower than the source). */
  async apply(batch: readonly RecordedEvent[]): Promise<void> {
    applyRecordedBatch(this.state, batch);
    // A live collector's runs go back to its pool once read.
    for (let i = 0; i < batch.length; i++) {
      const e = batch[i];
      if (e.type === 'kernel-records') releaseRun(e);
    }
    await this.out.flush();
  }

  /** Writes every flow not written yet. */
  async finish(): Promise<void> {
    // One view re-pointed at each flow (add reads it at once): a view object per flow, as
    // flows.values() makes them, was half of the 650 ms these lines took at the end of a
    // run that held ~500,000 (churn at 25,000 connections/s and their 10 s of lingering).
    const store = this.state.flows.store;
    let n = 0;
    for (const slot of heldSlots(this.state)) {
      this.add(store.transientView(slot));
      // A slow reader holds back the rest rather than all of it queued in memory.
      if (++n % LINES_PER_WAIT === 0) await this.out.flush();
    }
    await this.out.flush();
  }

  private add(flow: Flow): void {
    // Written as bytes straight into the output's chunk (FlowJsonLines.writeLine): into
    // the current one when the line surely fits (nearly always), with no bound computed
    // apart (maxLineBytes) ...
    const out = this.out;
    const current = out.current;
    if (current !== null) {
      const end = this.lines.writeLineWithin(current, out.used, current.length, this.state, flow, this.bootTimeMs);
      if (end >= 0) {
        out.commit(end);
        return;
      }
    }
    // ... else into room made for its bound.
    const chunk = out.reserve(this.lines.maxLineBytes(this.state, flow));
    if (chunk === null) out.addMerged(this.lines.objects(this.state, flow, this.bootTimeMs));
    else out.commit(this.lines.writeLine(chunk, out.used, this.state, flow, this.bootTimeMs));
  }
}
