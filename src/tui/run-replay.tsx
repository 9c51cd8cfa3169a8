// `sockscope replay FILE` (TUI): the recording is loaded into the replay player, which
// plays it into the reducer; the same screen as live, labelled REPLAY.
import type { EventSource, SourceInfo } from '../events/types';
import { ReplayPlayer } from './replay-player';
import { mountTui } from './mount';
import { assertTty } from './tty';

export async function runReplayTui(source: EventSource, info: SourceInfo, opts: { speed?: number } = {}): Promise<number> {
  assertTty(`replay ${info.file ?? 'FILE'}`);
  const player = new ReplayPlayer({ ...info, mode: 'replay' }, source, { speed: opts.speed });
  return mountTui(player);
}
