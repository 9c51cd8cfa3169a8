#!/usr/bin/env node
// Entry point: picks the command, turns expected failures into one line and an exit code.
import { SockscopeError, UsageError } from './errors';
import { requireNodeVersion } from './node-version';
import { VERSION } from './version';

type CommandModule = { run(argv: string[]): Promise<number> };

// Lazy imports keep `--version` and `--help` instant and keep Ink out of jsonl runs.
const COMMANDS: Record<string, { summary: string; load: () => Promise<CommandModule> }> = {
  live: { summary: 'capture live (TUI, or --format jsonl)', load: () => import('./commands/live') },
  record: { summary: 'capture live to a recording file', load: () => import('./commands/record') },
  replay: { summary: 'replay a recording (TUI, or --format jsonl)', load: () => import('./commands/replay') },
  info: { summary: 'header and summary of a recording', load: () => import('./commands/info') },
  doctor: { summary: 'what this kernel and this user can do, and what is missing', load: () => import('./commands/doctor') },
};

export const USAGE = `sockscope ${VERSION}: every TCP connection and UDP flow with the process, user and container behind it

usage:
  sockscope                                   live TUI (the demo recording when live capture is not possible)
  sockscope live [--format jsonl] [--duration D] [--interval I] [--max-flows N]
  sockscope record -o FILE [--duration D] [--interval I]
  sockscope replay FILE [--speed X] [--format jsonl] [--max-flows N]
  sockscope info FILE
  sockscope doctor
  sockscope --help | --version | COMMAND --help

D and I take 500ms, 10s, 5m, 1h. N is how many flows the screen keeps (default 100,000;
--format jsonl keeps them all). Exit codes: 0 ok, 1 runtime failure, 2 bad usage,
3 missing privileges, 4 kernel or library not supported, 5 unreadable recording.`;

async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '--version' || first === '-V') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  requireNodeVersion();
  if (first === undefined) return (await import('./commands/default')).run(rest);
  const command = COMMANDS[first];
  if (!command) throw new UsageError(`unknown command '${first}'; try 'sockscope --help'`);
  return (await command.load()).run(rest);
}

function fail(err: unknown): never {
  if (err instanceof SockscopeError) {
    process.stderr.write(`sockscope: ${err.message}\n`);
    process.exit(err.exitCode);
  }
  process.stderr.write(`sockscope: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
}

// A typed error thrown from a timer or a stream callback (a ring buffer that fails while
// the TUI runs) is still one line and its exit code; BPF links are closed first by
// src/loader/shutdown.ts (uncaughtExceptionMonitor) and by the exit listener.
// A reader that goes away (`sockscope replay F --format jsonl | head`) ends the output: exit
// quietly, as a command killed by SIGPIPE would, not with an error (BPF links are closed by
// the exit listener).
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  fail(err);
});
process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
}, fail);
