// The live TUI: the enriched live source folded by the reducer as it arrives. R records
// the session from the screen (LiveFeed owns the writer).
import type { EventSource } from '../events/types';
import type { RecordedEventSource } from '../live/source';
import { LiveFeed } from './live-feed';
import { mountTui } from './mount';
import { assertTty } from './tty';

export interface LiveTuiOptions {
  durationMs?: number | null;
  /** Where R writes recordings; the current directory by default. */
  recordDir?: string;
  /** The flow cap (--max-flows); null or absent: the reducer's default. */
  maxFlows?: number | null;
  /** Settles when a source mounted while opening is open (see mountTui). */
  ready?: Promise<unknown>;
}

export async function runLiveTui(source: EventSource | RecordedEventSource, opts: LiveTuiOptions = {}): Promise<number> {
  try {
    assertTty('live');
  } catch (err) {
    await source.close();
    throw err;
  }
  const feed = new LiveFeed(source, { recordDir: opts.recordDir, ...(opts.maxFlows ? { maxFlows: opts.maxFlows } : {}) });
  return mountTui(feed, { durationMs: opts.durationMs ?? null, ready: opts.ready });
}
