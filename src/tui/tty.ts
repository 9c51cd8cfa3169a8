// The TUI needs a terminal on both ends. Commands check this first and, without one,
// say so and point to the line-oriented output.
import { UsageError } from '../errors';

export function ttyProblem(
  stdout: { isTTY?: boolean } = process.stdout,
  stdin: { isTTY?: boolean } = process.stdin,
): string | null {
  if (!stdout.isTTY) return 'standard output is not a terminal';
  if (!stdin.isTTY) return 'standard input is not a terminal (the screen reads keys from it)';
  return null;
}

/** Throws a one-line UsageError (exit 2) pointing to `--format jsonl` when there is no TTY. */
export function assertTty(command = 'live'): void {
  const problem = ttyProblem();
  if (problem) throw new UsageError(`${problem}: the TUI needs one; use 'sockscope ${command} --format jsonl' for line output`);
}
