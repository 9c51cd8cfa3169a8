// The live feed: drains the EventSource in the background and folds each batch into the
// reducer's state; tells the screen once per tick. The screen never waits on the source.
// It also records the session on request (R): a writer tap on the same batches, after a
// snapshot of what is already known so that the file replays on its own.
import { resolve } from 'node:path';
import { createCoreState } from '../core/reducer';
import { applyRecordedBatch } from '../core/apply-runs';
import type { CoreOptions, CoreState } from '../core/state';
import { releaseRun, type RecordedEvent } from '../events/kernel-records';
import type { EventSource } from '../events/types';
import type { RecordedEventSource } from '../live/source';
import { RecordingWriter } from '../record/writer';
import { carriesFacts, Emitter, hasTick, type FeedStatus, type SessionRecorder, type TuiFeed } from './feed';
import { defaultRecordingName, snapshotEvents } from './session-snapshot';

export class LiveFeed implements TuiFeed {
  readonly controls = null;
  readonly recorder: SessionRecorder;
  private core: CoreState;
  private current: FeedStatus = { version: 0, facts: 0, ended: false, error: null, replay: null, recording: null, note: null };
  private emitter = new Emitter();
  private closed = false;
  /** Batches applied that carried facts (FeedStatus.facts). */
  private factsSeen = 0;
  private writer: RecordingWriter | null = null;
  readonly done: Promise<void>;

  constructor(private source: EventSource | RecordedEventSource, options?: Partial<CoreOptions> & { recordDir?: string }) {
    this.core = createCoreState(options);
    const dir = options?.recordDir ?? process.cwd();
    this.recorder = {
      toggle: () => (this.writer ? this.stopRecording() : this.startRecording(resolve(dir, defaultRecordingName()))),
    };
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
        applyRecordedBatch(this.core, batch);
        // Applied first: kernel-records runs go back to the collector's pool once read,
        // by the writer after framing them, or here.
        if (this.writer) this.record(batch);
        else for (const e of batch) if (e.type === 'kernel-records') releaseRun(e);
        if (carriesFacts(batch)) this.factsSeen++;
        // Redraw once per interval: only a tick completes an interval's numbers.
        if (hasTick(batch)) this.update({});
        if (this.closed) break;
      }
      this.update({ ended: true });
    } catch (err) {
      this.update({ ended: true, error: err instanceof Error ? err.message : String(err) });
    }
  }

  // ---- recording -----------------------------------------------------------------------

  startRecording(path: string): void {
    if (this.writer) return;
    // A source still opening (PendingSource) has no hooks or cgroup root for the header yet.
    if ((this.source as { opening?: boolean }).opening) {
      this.update({ note: 'cannot record yet: the capture is still starting; press R again in a moment' });
      return;
    }
    try {
      const w = RecordingWriter.create(path, this.source.info, { capture: { intervalMs: this.source.info.intervalMs, from: 'tui' }, releaseRuns: true });
      w.write(snapshotEvents(this.core));
      // A flush error from the timer (disk full) stops the recording, never the screen.
      w.startAutoFlush((err) => {
        if (this.writer !== w) return;
        this.writer = null;
        this.update({ recording: null, note: `recording stopped: ${message(err)}` });
      });
      this.writer = w;
      this.update({ recording: path, note: null });
    } catch (err) {
      this.update({ note: `cannot record: ${message(err)}` });
    }
  }

  stopRecording(): void {
    const w = this.writer;
    if (!w) return;
    this.writer = null;
    try {
      w.close();
      this.update({ recording: null, note: `recorded ${w.path} (${w.events} events)` });
    } catch (err) {
      this.update({ recording: null, note: `recording stopped: ${message(err)}` });
    }
  }

  /** A write error (disk full) stops the recording, never the screen. */
  private record(batch: RecordedEvent[]): void {
    try {
      this.writer!.write(batch);
    } catch (err) {
      this.writer?.abandon();
      this.writer = null;
      this.update({ recording: null, note: `recording stopped: ${message(err)}` });
    }
  }

  private update(patch: Partial<FeedStatus>): void {
    this.current = { ...this.current, ...patch, version: this.current.version + 1, facts: this.factsSeen };
    this.emitter.emit();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Quitting while recording leaves a complete file.
    this.stopRecording();
    await this.source.close();
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
