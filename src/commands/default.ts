// Plain `sockscope`: the live TUI when this host and user can capture; otherwise one line
// saying why, then the bundled demo recording in the replay TUI, labelled as a replay.
import { demoRecordingPath } from '../assets';
import { RuntimeError, SockscopeError, UsageError } from '../errors';
import { runLiveTuiWhileOpening } from './live';

export async function run(argv: string[]): Promise<number> {
  if (argv.length > 0) throw new UsageError(`unknown argument '${argv[0]}'; try 'sockscope --help'`);
  if (!process.stdout.isTTY) {
    throw new UsageError('standard output is not a terminal: use `sockscope live --format jsonl` (or `replay FILE --format jsonl`)');
  }
  let why: string;
  try {
    return await runLiveTuiWhileOpening(1000, { durationMs: null });
  } catch (err) {
    // Only the "cannot capture here" failures fall back to the demo; bugs surface.
    if (!(err instanceof SockscopeError) || err.exitCode < 3 || err.exitCode > 4) throw err;
    why = err.message;
  }
  const demo = demoRecordingPath();
  if (!demo) throw new RuntimeError(`live capture is not possible (${why}) and no demo recording is installed`);
  const line = `live capture is not possible: ${why}. Showing the bundled demo recording (a replay) instead.`;
  // Said twice: on stderr, where it stays after the screen closes, and on the screen.
  process.stderr.write(`sockscope: ${line}\n`);
  const { openRecording } = await import('../record/reader');
  const { runReplayTui } = await import('../tui/run-replay');
  const source = await openRecording(demo);
  return runReplayTui(source, source.info, { notice: line });
}
