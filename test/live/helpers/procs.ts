// Child processes for the live tests: the traffic generator (./traffic.py) run by a known
// python binary, optionally behind a prefix (setpriv, ip netns exec) that execs in place
// so the pid the test holds is the pid the kernel sees. Each step the generator prints is
// a JSON line, read here one at a time.
import { spawn, type ChildProcess } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const TRAFFIC_PY = join(import.meta.dirname, 'traffic.py');
/** The system python, resolved: readable by uid 65534 (pyenv under /root is not), and the
 * exe the kernel and /proc report for it. */
export const PYTHON = realpathSync('/usr/bin/python3');

export type Msg = Record<string, unknown> & { event: string; pid: number };

export interface Helper {
  child: ChildProcess;
  pid: number;
  /** The next JSON line, optionally the next one with this event. */
  next(event?: string): Promise<Msg>;
  /** Writes a line to the helper's stdin. */
  send(line: string): void;
  /** Resolves with the exit code once the process is gone. */
  exited: Promise<number | null>;
  stderr(): string;
  kill(): void;
}

/** Every helper still running, so a failed test's afterAll can end them all. */
const running = new Set<ChildProcess>();

/** Kills (SIGKILL, by pid) every helper this module started that is still running. */
export function killAllHelpers(): void {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  running.clear();
}

/** Ends the helpers a test started (stdin closed, killed by pid) and empties the list. */
export async function stopHelpers(helpers: Helper[]): Promise<void> {
  for (const h of helpers.splice(0)) {
    h.child.stdin?.end();
    h.kill();
    await h.exited;
  }
}

export function runTraffic(args: string[], opts: { prefix?: string[]; timeoutMs?: number } = {}): Helper {
  const argv = [...(opts.prefix ?? []), PYTHON, TRAFFIC_PY, ...args];
  const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
  running.add(child);
  child.on('exit', () => running.delete(child));
  const queue: Msg[] = [];
  let wake: (() => void) | null = null;
  let err = '';
  let ended = false;
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const rl = createInterface({ input: child.stdout! });
  rl.on('line', (line) => {
    queue.push(JSON.parse(line) as Msg);
    wake?.();
  });
  rl.on('close', () => {
    ended = true;
    wake?.();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const timeoutMs = opts.timeoutMs ?? 20_000;
  return {
    child,
    pid: child.pid!,
    async next(event?: string) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const i = queue.findIndex((m) => event === undefined || m.event === event);
        if (i >= 0) return queue.splice(i, 1)[0];
        if (ended) throw new Error(`${args[0]} ended without '${event ?? 'a line'}': ${err}`);
        if (Date.now() > deadline) throw new Error(`${args[0]}: no '${event ?? 'line'}' within ${timeoutMs} ms: ${err}`);
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 100);
        });
        wake = null;
      }
    },
    send(line: string) {
      child.stdin!.write(`${line}\n`);
    },
    exited,
    stderr: () => err,
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** A TCP server helper plus the port it listens on. */
export async function tcpServer(host: string, args: string[] = [], prefix?: string[]): Promise<{ server: Helper; port: number; worker: number | null }> {
  const server = runTraffic(['serve-tcp', host, ...args], { prefix });
  const msg = await server.next('listening');
  return { server, port: msg.port as number, worker: (msg.worker as number | undefined) ?? null };
}
