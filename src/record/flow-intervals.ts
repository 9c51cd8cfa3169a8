// What "a flow-interval" is, for `sockscope info` and scripts/bench-replay.mjs alike: one
// flow that showed activity (opened, moved its counters, or closed) in one capture
// interval (ticks delimit intervals). A flow that opens and closes between two ticks is
// one flow-interval; a long transfer is one per interval it moves in; an idle flow costs
// nothing in the file and counts nothing. Bytes per flow-interval = file size / this.
import type { AppEvent } from '../events/types';

export class FlowIntervalCounter {
  total = 0;
  private seen = new Set<number>();

  add(batch: readonly AppEvent[]): void {
    for (let i = 0; i < batch.length; i++) {
      const e = batch[i];
      switch (e.type) {
        case 'flow-open':
        case 'flow-close':
          this.note(e.flowId);
          break;
        case 'counters':
          for (let j = 0; j < e.flows.length; j++) this.note(e.flows[j].flowId);
          break;
        case 'counter-columns':
          for (let j = 0; j < e.columns.length; j++) this.note(e.columns.flowId[j]);
          break;
        case 'tick':
          this.seen.clear();
          break;
      }
    }
  }

  private note(id: number): void {
    if (this.seen.has(id)) return;
    this.seen.add(id);
    this.total++;
  }
}
