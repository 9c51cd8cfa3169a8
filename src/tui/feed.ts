// What the screen reads data from: a live source folded by the reducer as batches arrive,
// or the replay player. The screen subscribes and redraws when the feed says something
// changed (once per interval: a batch that ends with a tick), never by polling.
import type { CoreState } from '../core/state';
import type { RecordedEvent } from '../events/kernel-records';
import type { SourceInfo } from '../events/types';

export interface ReplayStatus {
  position: number; // intervals played
  total: number; // intervals in the recording (so far, while loading)
  speed: number;
  paused: boolean;
  atEnd: boolean;
  loading: boolean;
}

export interface FeedStatus {
  version: number; // bumps whenever state() changed
  /** Bumps when a change carried facts (names of processes, users, containers); absent
   * from a feed that does not tell, and then any change may have. */
  facts?: number;
  ended: boolean; // the source has no more data
  error: string | null;
  replay: ReplayStatus | null;
  /** The file the live session is being recorded to, shown in the header. */
  recording: string | null;
  /** A one-off message for the footer (recording saved, or why it failed). */
  note: string | null;
}

/** Records the live session from the screen (R). */
export interface SessionRecorder {
  toggle(): void;
}

export interface ReplayControls {
  togglePause(): void;
  faster(): void;
  slower(): void;
  step(dir: 1 | -1): void;
  seek(deltaIntervals: number): void;
  toStart(): void;
  toEnd(): void;
}

export interface TuiFeed {
  readonly info: SourceInfo;
  state(): CoreState;
  /** Same object until something changes (useSyncExternalStore relies on it). */
  status(): FeedStatus;
  subscribe(listener: () => void): () => void;
  readonly controls: ReplayControls | null;
  readonly recorder?: SessionRecorder;
  close(): Promise<void>;
}

/** Listener bookkeeping shared by the feeds. */
export class Emitter {
  private listeners = new Set<() => void>();
  subscribe = (l: () => void): (() => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };
  emit(): void {
    for (const l of this.listeners) l();
  }
}

/** Whether a batch may change a flow's names (see FeedStatus.facts): anything but the
 * events that only move flows and counters (process, user, cgroup and container facts,
 * process exec and exit, and any kind added later) may. Compared one by one rather than
 * looked up in a Set: a live batch under connection churn holds tens of thousands. */
export function carriesFacts(batch: readonly RecordedEvent[]): boolean {
  for (let i = 0; i < batch.length; i++) {
    const t: string = batch[i].type;
    if (t !== 'flow-open' && t !== 'flow-close' && t !== 'counters' && t !== 'counter-columns' && t !== 'flow-state' && t !== 'tick' && t !== 'connect-fail' &&
        t !== 'kernel-records') return true;
  }
  return false;
}

/** Whether a batch holds a tick (a live batch ends with its one tick: looked for from the
 * end). */
export function hasTick(batch: readonly RecordedEvent[]): boolean {
  for (let i = batch.length - 1; i >= 0; i--) if (batch[i].type === 'tick') return true;
  return false;
}
