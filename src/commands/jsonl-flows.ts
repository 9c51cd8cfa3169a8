// The JSON lines of `--format jsonl` (CONTRACT.md), live and in replay: one line per flow,
// in its final state. A closed flow no longer changes once it has lingered a while (late
// facts, such as a container's name from the runtime API, arrive within that), so its line
// is written then and the flow leaves memory: a long run on a busy host holds only the open
// flows and those closed in the last JSONL_LINGER_NS, not every flow it has ever seen. Open
// and still-lingering flows are written at the end.
import type { AppEvent } from '../events/types';
import { toJsonFlow } from '../core/flow-json';
import { applyBatch, createCoreState } from '../core/reducer';
import type { CoreState, Flow } from '../core/state';

/** How long a closed flow waits before its line is written (monotonic ns of the source). */
export const JSONL_LINGER_NS = 10e9;

/** At the end, lines are written in blocks of this many. */
const LINES_PER_WRITE = 2000;

export class JsonlFlows {
  readonly state: CoreState;
  private lines: string[] = [];

  /** `bootTimeMs`: the recording host's boot time (replay), for wall-clock times before
   * the first tick. */
  constructor(private readonly bootTimeMs: number | null = null) {
    this.state = createCoreState({
      lingerNs: JSONL_LINGER_NS,
      // Every flow is written, however many: none is capped away.
      maxFlows: Number.MAX_SAFE_INTEGER,
      // No rate history: the JSON lines never show it.
      historyLength: 0,
      onFlowDone: (flow) => this.add(flow),
    });
  }

  /** Folds a batch and writes the lines of the flows it finished (awaited when the output
   * is slower than the source). */
  async apply(batch: AppEvent[]): Promise<void> {
    applyBatch(this.state, batch);
    if (this.lines.length > 0) await this.flush();
  }

  /** Writes every flow not written yet. */
  async finish(): Promise<void> {
    for (const flow of this.state.flows.values()) {
      this.add(flow);
      if (this.lines.length >= LINES_PER_WRITE) await this.flush();
    }
    await this.flush();
  }

  private add(flow: Flow): void {
    this.lines.push(JSON.stringify(toJsonFlow(this.state, flow, this.bootTimeMs)));
  }

  private flush(): Promise<void> {
    const lines = this.lines;
    this.lines = [];
    return writeLines(lines);
  }
}

function writeLines(lines: string[]): Promise<void> {
  if (lines.length === 0) return Promise.resolve();
  return new Promise((resolve) => {
    if (process.stdout.write(`${lines.join('\n')}\n`)) resolve();
    else process.stdout.once('drain', resolve);
  });
}
