// The live TUI: the enriched live source folded by the reducer as it arrives. Recording
// from the screen (R) uses the callbacks the live command passes in.
import type { EventSource } from '../events/types';
import type { Recorder } from './App';
import { LiveFeed } from './live-feed';
import { mountTui } from './mount';
import { assertTty } from './tty';

export interface LiveTuiOptions {
  durationMs?: number | null;
  startRecording?: (path: string) => Promise<void> | void;
  stopRecording?: () => Promise<void> | void;
  recordingPath?: () => string;
}

export async function runLiveTui(source: EventSource, opts: LiveTuiOptions = {}): Promise<number> {
  try {
    assertTty('live');
  } catch (err) {
    await source.close();
    throw err;
  }
  const feed = new LiveFeed(source);
  const recorder: Recorder | undefined =
    opts.startRecording && opts.stopRecording
      ? { start: opts.startRecording, stop: opts.stopRecording, defaultPath: opts.recordingPath }
      : undefined;
  return mountTui(feed, { recorder, durationMs: opts.durationMs ?? null });
}
