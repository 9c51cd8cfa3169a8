// A real terminal for end-to-end TUI tests: one tmux server per test file (its own socket,
// -L), a pane of a fixed size running one command, keys sent as a user types them, the
// screen read with capture-pane, and the command's exit status kept after it ends.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class TmuxScreen {
  readonly socket = `sockscope-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  private readonly dir = mkdtempSync(join(tmpdir(), 'sockscope-tmux-'));
  readonly exitFile = join(this.dir, 'exit-code');

  /** Starts `command` (a shell line) in a new detached session of `columns` x `rows`. */
  constructor(command: string, readonly columns = 120, readonly rows = 40, env: Record<string, string> = {}, cwd = process.cwd()) {
    const vars = Object.entries({ LANG: 'C.UTF-8', ...env }).map(([k, v]) => `${k}='${v}'`).join(' ');
    // The exit status goes to a file; the pane then stays open so the screen can be read.
    // The pane is a user's terminal: CI=true from .ci/run would turn colour off (chalk).
    const line = `cd '${cwd}' && env -u CI ${vars} ${command}; echo $? > ${this.exitFile}; sleep 600`;
    this.tmux('new-session', '-d', '-x', String(columns), '-y', String(rows), line);
    // The server ends with this test process however it ends (a runner's SIGTERM or
    // SIGKILL runs no afterAll): a hidden window polls its pid and then kills the server,
    // and with it the command (a `sockscope live` left attached slows every syscall).
    const watch = `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; tmux -L ${this.socket} kill-server`;
    this.tmux('new-window', '-d', watch);
  }

  tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8' });
  }

  screen(): string {
    return this.tmux('capture-pane', '-p');
  }

  /** Keys as tmux names them: 'q', 'Tab', 'Enter', 'Escape', 'Right', 'C-c'... */
  send(...keys: string[]): void {
    for (const k of keys) this.tmux('send-keys', k);
  }

  /** Types text literally (no key-name lookup). */
  type(text: string): void {
    this.tmux('send-keys', '-l', text);
  }

  /** Polls the screen until `ok` holds; fails with the last screen. */
  async waitFor(ok: (screen: string) => boolean, what: string, timeoutMs = 10_000): Promise<string> {
    const until = Date.now() + timeoutMs;
    let s = '';
    while (Date.now() < until) {
      s = this.screen();
      if (ok(s)) return s;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${what}; the screen was:\n${s}`);
  }

  /** The command's exit status once it has ended. */
  async exitCode(timeoutMs = 10_000): Promise<number> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if (existsSync(this.exitFile)) {
        const t = readFileSync(this.exitFile, 'utf8').trim();
        if (t) return Number(t);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the command did not exit; the screen was:\n${this.screen()}`);
  }

  kill(): void {
    try {
      this.tmux('kill-server');
    } catch {
      // already gone
    }
  }
}

/** Table rows of a captured screen: lines that start with a number (pid or flow count). */
export function tableRows(screen: string): string[] {
  return screen.split('\n').filter((l) => /^\s*\d+ /.test(l));
}
