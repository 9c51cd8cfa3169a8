// ink-testing-library around the App: a fixed-size screen, keys as the terminal sends
// them, and waits that let React and Ink flush before the frame is read.
import { render } from 'ink-testing-library';
import { App } from '../../src/tui/App';
import type { TuiFeed } from '../../src/tui/feed';
import { ReplayPlayer } from '../../src/tui/replay-player';
import type { AppEvent, EventSource, SourceInfo } from '../../src/events/types';
import { WALL0 } from './fixtures';

export const KEYS = {
  tab: '\t', enter: '\r', esc: '\x1b', up: '\x1b[A', down: '\x1b[B', right: '\x1b[C', left: '\x1b[D',
  backspace: '\x7f', ctrlC: '\x03',
};

export const INFO: SourceInfo = {
  mode: 'replay', hostname: 'scenehost', kernel: '6.18.0-scene', cpus: 2, bootTimeMs: WALL0, cgroupRoot: '/sys/fs/cgroup',
  hooks: [], intervalMs: 1000, sockscopeVersion: 'test', file: '/recordings/scene.ssrec',
};

export const flush = (ms = 30) => new Promise((r) => setTimeout(r, ms));

export function renderApp(feed: TuiFeed, size = { columns: 120, rows: 30 }, extra: { notice?: string } = {}) {
  let quits = 0;
  const r = render(<App feed={feed} size={size} noColor onQuit={() => quits++} notice={extra.notice} />);
  return {
    ...r,
    quits: () => quits,
    frame: () => r.lastFrame() ?? '',
    /** Types keys one event at a time, as a terminal delivers them. */
    async press(...keys: string[]) {
      for (const k of keys) {
        r.stdin.write(k);
        await flush(k === KEYS.esc ? 60 : 25);
      }
    },
    async type(text: string) {
      for (const ch of text) await this.press(ch);
    },
  };
}

/** A paused player over in-memory batches, moved to interval `at`. */
export async function scenePlayer(batches: AppEvent[][], at: number | 'end' = 'end', info = INFO): Promise<ReplayPlayer> {
  const p = new ReplayPlayer(info, batches, { paused: true });
  await p.loaded;
  if (at === 'end') p.toEnd();
  else p.seekTo(at);
  return p;
}

/** A live-like EventSource: yields the batches it is given, when it is given them. */
export class PushSource implements EventSource {
  private queue: AppEvent[][] = [];
  private wake: (() => void) | null = null;
  private closed = false;
  constructor(readonly info: SourceInfo) {}
  push(batch: AppEvent[]): void {
    this.queue.push(batch);
    this.wake?.();
  }
  async *batches(): AsyncIterable<AppEvent[]> {
    while (!this.closed) {
      const b = this.queue.shift();
      if (b) yield b;
      else await new Promise<void>((r) => (this.wake = r));
    }
  }
  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
  }
}

/** Lines of the frame, for row assertions: the table rows start after header and titles. */
export function lines(frame: string): string[] {
  return frame.split('\n');
}
