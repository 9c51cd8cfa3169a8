// A live source whose kernel side is still loading (the BPF programs are verified on a worker
// thread for about 0.2 s): the screen mounts on it meanwhile and shows the real source's
// batches once it is open. Its info until then is the host's, with no hooks yet.
import type { RecordedEvent } from '../events/kernel-records';
import type { SourceInfo } from '../events/types';
import { liveSourceInfo, type RecordedEventSource } from './source';

export class PendingSource implements RecordedEventSource {
  private opened: RecordedEventSource | null = null;
  /** Settles when the source is open, or with the error that stopped it. */
  readonly ready: Promise<RecordedEventSource>;
  private readonly provisional: SourceInfo;

  constructor(opening: Promise<RecordedEventSource>, intervalMs: number) {
    this.provisional = liveSourceInfo(intervalMs);
    this.ready = opening.then((s) => (this.opened = s));
    this.ready.catch(() => {}); // the screen's owner awaits it
  }

  /** True until the source is open (or has failed to). */
  get opening(): boolean {
    return this.opened === null;
  }

  get info(): SourceInfo {
    return this.opened?.info ?? this.provisional;
  }

  async *batches(): AsyncIterable<RecordedEvent[]> {
    yield* (await this.ready).batches();
  }

  async close(): Promise<void> {
    let source: RecordedEventSource;
    try {
      source = await this.ready;
    } catch {
      return; // never opened: nothing to close
    }
    await source.close();
  }
}
