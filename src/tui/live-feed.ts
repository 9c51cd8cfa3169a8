// The live feed: drains the EventSource in the background and folds each batch into the
// reducer's state; tells the screen once per tick. The screen never waits on the source.
import { applyBatch, createCoreState } from '../core/reducer';
import type { CoreOptions, CoreState } from '../core/state';
import type { EventSource } from '../events/types';
import { Emitter, type FeedStatus, type TuiFeed } from './feed';

export class LiveFeed implements TuiFeed {
  readonly controls = null;
  private core: CoreState;
  private current: FeedStatus = { version: 0, ended: false, error: null, replay: null };
  private emitter = new Emitter();
  private closed = false;
  readonly done: Promise<void>;

  constructor(private source: EventSource, options?: Partial<CoreOptions>) {
    this.core = createCoreState(options);
    this.done = this.pump();
  }

  get info() {
    return this.source.info;
  }
  state(): CoreState {
    return this.core;
  }
  status(): FeedStatus {
    return this.current;
  }
  subscribe = (l: () => void) => this.emitter.subscribe(l);

  private async pump(): Promise<void> {
    try {
      for await (const batch of this.source.batches()) {
        applyBatch(this.core, batch);
        // Redraw once per interval: only a tick completes an interval's numbers.
        if (batch.some((e) => e.type === 'tick')) this.update({});
        if (this.closed) break;
      }
      this.update({ ended: true });
    } catch (err) {
      this.update({ ended: true, error: err instanceof Error ? err.message : String(err) });
    }
  }

  private update(patch: Partial<FeedStatus>): void {
    this.current = { ...this.current, ...patch, version: this.current.version + 1 };
    this.emitter.emit();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.source.close();
  }
}
