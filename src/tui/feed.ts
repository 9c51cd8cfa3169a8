// What the screen reads data from: a live source folded by the reducer as batches arrive,
// or the replay player. The screen subscribes and redraws when the feed says something
// changed (once per interval: a batch that ends with a tick), never by polling.
import type { CoreState } from '../core/state';
import type { AppEvent, SourceInfo } from '../events/types';

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

/** Events that only move flows and counters; anything else (process, user, cgroup and
 * container facts, process exec and exit, and any kind added later) may change a name. */
const FLOW_EVENTS: ReadonlySet<string> = new Set(['flow-open', 'flow-state', 'flow-close', 'connect-fail', 'counters', 'counter-columns', 'tick']);

/** Whether a batch may change a flow's names (see FeedStatus.facts). */
export function carriesFacts(batch: readonly AppEvent[]): boolean {
  for (let i = 0; i < batch.length; i++) if (!FLOW_EVENTS.has(batch[i].type)) return true;
  return false;
}
