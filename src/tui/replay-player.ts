// The replay player: holds the recording's events in memory, split into intervals (each
// segment ends with a tick), and plays them into the reducer at `speed` times real time.
// Seeking back rebuilds the state by re-reducing from the nearest checkpoint (a clone of
// the state taken every CHECKPOINT_EVERY intervals on the way forward) or from the start.
// The reducer is deterministic, so the rebuilt state is the same as the played one.
import { applyBatch, createCoreState } from '../core/reducer';
import type { CoreOptions, CoreState } from '../core/state';
import type { AppEvent, EventSource, SourceInfo } from '../events/types';
import { carriesFacts, Emitter, type FeedStatus, type ReplayControls, type TuiFeed } from './feed';

const CHECKPOINT_EVERY = 64;
const SPEEDS_MIN = 1 / 16;
const SPEEDS_MAX = 1024;
/** Shortest time between two redraws while playing fast: several intervals per frame. */
const MIN_FRAME_MS = 100;
export const SEEK_INTERVALS = 10;

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface PlayerOptions {
  speed?: number;
  paused?: boolean;
  core?: Partial<CoreOptions>;
  timers?: Timers;
}

export class ReplayPlayer implements TuiFeed, ReplayControls {
  readonly controls: ReplayControls = this;
  private segments: AppEvent[][] = [];
  private pending: AppEvent[] = []; // events after the last tick seen so far
  private core: CoreState;
  private position = 0; // segments applied to `core`
  private checkpoints = new Map<number, CoreState>();
  private speed: number;
  private paused: boolean;
  private loading = true;
  private error: string | null = null;
  private timer: unknown = null;
  private credit = 0; // fractional intervals owed to playback
  private current: FeedStatus;
  private emitter = new Emitter();
  private timers: Timers;
  private source: EventSource | null = null;
  private closed = false;
  /** Batches applied that carried facts (FeedStatus.facts). */
  private factsSeen = 0;
  private coreOptions: Partial<CoreOptions> | undefined;
  readonly loaded: Promise<void>;

  constructor(readonly info: SourceInfo, source: EventSource | AppEvent[][], opts: PlayerOptions = {}) {
    this.speed = clampSpeed(opts.speed ?? 1);
    this.paused = opts.paused ?? false;
    this.timers = opts.timers ?? realTimers;
    this.coreOptions = opts.core;
    this.core = createCoreState(this.coreOptions);
    this.current = this.makeStatus(0);
    this.loaded = Array.isArray(source) ? this.loadArray(source) : this.load(source);
  }

  state(): CoreState {
    return this.core;
  }
  status(): FeedStatus {
    return this.current;
  }
  subscribe = (l: () => void) => this.emitter.subscribe(l);

  /** Number of intervals in the recording (those loaded so far). */
  get total(): number {
    return this.segments.length;
  }

  // ---- loading -------------------------------------------------------------------------

  private async loadArray(batches: AppEvent[][]): Promise<void> {
    for (const b of batches) this.ingest(b);
    this.finishLoading();
  }

  private async load(source: EventSource): Promise<void> {
    this.source = source;
    try {
      for await (const batch of source.batches()) {
        if (this.closed) break;
        this.ingest(batch);
        // Show the first interval as soon as it is there, and keep playing while loading.
        if (this.position === 0 && this.segments.length > 0) {
          this.advance(1);
          this.notify();
        }
        this.schedule();
      }
      // A damaged file ends the iteration quietly (src/record/reader.ts): say so on screen,
      // after playing everything before the damage.
      const damage = (source as { damage?: () => Error | null }).damage?.();
      if (damage) this.error = damage.message;
    } catch (err) {
      this.error = err instanceof Error ? err.message : String(err);
    } finally {
      await source.close().catch(() => {});
    }
    this.finishLoading();
  }

  private ingest(batch: AppEvent[]): void {
    for (const e of batch) {
      this.pending.push(e);
      if (e.type === 'tick') {
        this.segments.push(this.pending);
        this.pending = [];
      }
    }
  }

  private finishLoading(): void {
    // Events after the last tick (a final close, say) still count as one last interval.
    if (this.pending.length > 0) this.segments.push(this.pending);
    this.pending = [];
    this.loading = false;
    if (this.position === 0 && this.segments.length > 0) this.advance(1);
    this.notify();
    this.schedule();
  }

  // ---- playing -------------------------------------------------------------------------

  private frameMs(): number {
    return Math.max(MIN_FRAME_MS, this.info.intervalMs / this.speed);
  }

  private schedule(): void {
    if (this.timer !== null || this.paused || this.position >= this.segments.length) return;
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      this.credit += (this.frameMs() * this.speed) / this.info.intervalMs;
      const n = Math.floor(this.credit);
      this.credit -= n;
      if (n > 0) this.advance(n);
      // At the end playback pauses; p plays again from the start.
      if (this.position >= this.segments.length && !this.loading) this.paused = true;
      this.notify();
      this.schedule();
    }, this.frameMs());
  }

  private unschedule(): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
    this.credit = 0;
  }

  /** Applies the next `n` intervals. */
  private advance(n: number): void {
    const to = Math.min(this.segments.length, this.position + n);
    while (this.position < to) {
      applyBatch(this.core, this.segments[this.position]);
      if (carriesFacts(this.segments[this.position])) this.factsSeen++;
      this.position++;
      if (this.position % CHECKPOINT_EVERY === 0 && !this.checkpoints.has(this.position)) {
        this.checkpoints.set(this.position, structuredClone(this.core));
      }
    }
  }

  /** Puts the state at exactly `target` intervals played. */
  seekTo(target: number): void {
    const t = Math.max(this.segments.length > 0 ? 1 : 0, Math.min(this.segments.length, Math.round(target)));
    if (t < this.position) {
      let from = 0;
      for (const p of this.checkpoints.keys()) if (p <= t && p > from) from = p;
      this.core = from > 0 ? structuredClone(this.checkpoints.get(from)!) : createCoreState(this.coreOptions);
      this.position = from;
    }
    this.advance(t - this.position);
    this.notify();
  }

  // ---- controls ------------------------------------------------------------------------

  togglePause(): void {
    if (this.paused && this.position >= this.segments.length && !this.loading) this.seekTo(1); // play again from the start
    this.paused = !this.paused;
    if (this.paused) this.unschedule();
    this.notify();
    this.schedule();
  }
  faster(): void {
    this.setSpeed(this.speed * 2);
  }
  slower(): void {
    this.setSpeed(this.speed / 2);
  }
  setSpeed(x: number): void {
    this.speed = clampSpeed(x);
    this.unschedule();
    this.notify();
    this.schedule();
  }
  step(dir: 1 | -1): void {
    this.paused = true;
    this.unschedule();
    this.seekTo(this.position + dir);
  }
  seek(delta: number): void {
    this.seekTo(this.position + delta);
    this.schedule();
  }
  toStart(): void {
    this.seekTo(1);
    this.schedule();
  }
  toEnd(): void {
    this.seekTo(this.segments.length);
  }

  private makeStatus(version: number): FeedStatus {
    return {
      version,
      facts: this.factsSeen,
      ended: !this.loading && this.position >= this.segments.length,
      error: this.error,
      recording: null,
      note: null,
      replay: {
        position: this.position,
        total: this.segments.length,
        speed: this.speed,
        paused: this.paused,
        atEnd: !this.loading && this.position >= this.segments.length,
        loading: this.loading,
      },
    };
  }

  private notify(): void {
    this.current = this.makeStatus(this.current.version + 1);
    this.emitter.emit();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.unschedule();
    this.paused = true;
    await this.source?.close().catch(() => {});
  }
}

function clampSpeed(x: number): number {
  if (!(x > 0)) return 1;
  return Math.min(SPEEDS_MAX, Math.max(SPEEDS_MIN, x));
}
