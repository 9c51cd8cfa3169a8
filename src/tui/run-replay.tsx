// `sockscope replay FILE` (TUI): the recording is loaded into the replay player, which
// plays it into the reducer; the same screen as live, labelled REPLAY.
import type { EventSource, SourceInfo } from '../events/types';
import { ReplayPlayer } from './replay-player';
import { mountTui } from './mount';
import { assertTty } from './tty';

export interface ReplayTuiOptions {
  speed?: number;
  /** A line shown on the screen until the first key (why the demo replaces live). */
  notice?: string;
  /** The flow cap (--max-flows); null or absent: the reducer's default. */
  maxFlows?: number | null;
}

export async function runReplayTui(source: EventSource, info: SourceInfo, opts: ReplayTuiOptions = {}): Promise<number> {
  try {
    assertTty(`replay ${info.file ?? 'FILE'}`);
  } catch (err) {
    await source.close();
    throw err;
  }
  const core = opts.maxFlows ? { maxFlows: opts.maxFlows } : undefined;
  const player = new ReplayPlayer({ ...info, mode: 'replay' }, source, { speed: opts.speed, core });
  return mountTui(player, { notice: opts.notice });
}
