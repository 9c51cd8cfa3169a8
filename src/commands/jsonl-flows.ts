// The JSON lines of `--format jsonl` (CONTRACT.md), live and in replay: one line per flow,
// in its final state. A closed flow no longer changes once it has lingered a while, so its
// line is written then and the flow leaves memory: a long run on a busy host holds only the
// open flows and those closed in the last seconds, not every flow it has ever seen. The
// linger is short unless a fact about the flow's owner may still come (its cgroup's path,
// a container's name from the runtime's API): then up to JSONL_FACTS_LINGER_NS. Open and
// still-lingering flows are written at the end. A flow that opened and closed in one record
// (most flows of a connection churn) is written as it comes when no fact is pending.
import { releaseRun, type RecordedEvent } from '../events/kernel-records';
import type { FlowCloseEvent, FlowOpenEvent } from '../events/types';
import { BriefFlow } from '../core/brief-flow';
import { FlowJsonLines } from '../core/flow-json-line';
import { createCoreState, heldSlots } from '../core/reducer';
import { applyRecordedBatch } from '../core/apply-runs';
import type { CoreState, Flow } from '../core/state';
import { LineWriter } from './line-writer';

/** How long a closed flow waits before its line is written (monotonic ns of the source):
 * the records and facts of its last interval come within it. Under connection churn the
 * flows held for it are most of the state: with 10 s for every flow (about 500,000 flows
 * at 25,000 connections/s) this build used 1/0.938 of the CPU per connection (2026-11-29,
 * both attached to one churn, 6 reps: 0.911-0.996, lower in all 6). */
export const JSONL_LINGER_NS = 2e9;
/** Up to this while a fact about the flow's owner may still come (reducer.ts,
 * lingerForFactsNs): the enricher retries an unresolved cgroup for 5 intervals, and asks a
 * container's name of the runtime (300 ms timeout). */
export const JSONL_FACTS_LINGER_NS = 10e9;

/** At the end, the output is waited for every this many lines. */
const LINES_PER_WAIT = 2000;

export class JsonlFlows {
  readonly state: CoreState;
  private readonly out = new LineWriter();
  private readonly lines = new FlowJsonLines();
  private readonly brief = new BriefFlow();

  /** `bootTimeMs`: the recording host's boot time (replay), for wall-clock times before
   * the first tick. */
  constructor(private readonly bootTimeMs: number | null = null) {
    this.state = createCoreState({
      lingerNs: JSONL_LINGER_NS,
      lingerForFactsNs: JSONL_FACTS_LINGER_NS,
      // Every flow is written, however many: none is capped away.
      maxFlows: Number.MAX_SAFE_INTEGER,
      // No rates, nor their history: the JSON lines never show them.
      historyLength: 0,
      rates: false,
      // Nothing looks a flow up: one closed as it opened needs no place in the index.
      listBriefs: false,
      onFlowDone: (flow) => this.add(flow),
      // A flow opened and closed in one record, its owner's facts all in, is final as it
      // comes: its line is written then, with no stay in the state.
      onBriefDone: (open, close) => this.addBrief(open, close),
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

  /** add() of a flow that opened and closed in one record, written from its events. */
  private addBrief(open: FlowOpenEvent, close: FlowCloseEvent): void {
    const out = this.out;
    const current = out.current;
    if (current !== null) {
      const end = this.lines.writeBriefWithin(current, out.used, current.length, this.state, open, close, this.bootTimeMs);
      if (end >= 0) {
        out.commit(end);
        return;
      }
    }
    this.add(this.brief.set(open, close));
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
