// Process-exit handling for BPF resources. Links and objects are fd-based, so the kernel
// would free them when the process dies anyway; closing them ourselves matters because
// the process may not die (a test, an embedding program), and because a clean detach
// keeps `bpftool link` honest. Rules:
// - close runs on normal exit, SIGINT, SIGTERM and an uncaught exception, once;
// - a signal is not swallowed: after cleanup the process exits the way the caller says
//   (the code its shutdown hook returns) or, without a code, dies of the same signal;
// - the CLI gets a hook to finish its own output (print flows, end a recording) first;
// - when the program listens for the signal itself (process.on('SIGTERM')) and has no
//   hook here, the first signal is its to handle: nothing is closed under its feet (it may
//   still read the maps for a final report) and the exit listener frees what is left. A
//   second signal closes everything and dies of it.

type Closer = () => void;
export type ShutdownHook = (signal: NodeJS.Signals) => number | void | Promise<number | void>;

const closers = new Set<Closer>();
const hooks: ShutdownHook[] = [];
let installed = false;
let shuttingDown = false;

/** Registers a resource's close() for process exit; returns a function that unregisters it. */
export function closeOnExit(close: Closer): () => void {
  install();
  closers.add(close);
  return () => {
    closers.delete(close);
  };
}

/**
 * Registers what to do on SIGINT/SIGTERM before BPF resources are closed: finish output,
 * flush a recording... Return the exit code the process should end with (e.g. 0 after a
 * clean Ctrl-C of `live --format jsonl`), or nothing to die of the signal itself.
 * Returns a function that removes the hook.
 */
export function onShutdown(hook: ShutdownHook): () => void {
  install();
  hooks.push(hook);
  return () => {
    const i = hooks.indexOf(hook);
    if (i >= 0) hooks.splice(i, 1);
  };
}

/** Closes every registered resource now (idempotent; each closer runs at most once). */
export function closeAll(): void {
  const list = [...closers].reverse();
  closers.clear();
  for (const close of list) {
    try {
      close();
    } catch {
      // One failing close must not keep the others attached.
    }
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', closeAll);
  // The monitor runs before Node's default crash handling without replacing it: the
  // stack trace and exit code stay what they would have been.
  process.on('uncaughtExceptionMonitor', closeAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, onSignal);
}

async function onSignal(signal: NodeJS.Signals): Promise<void> {
  if (shuttingDown) {
    // A second Ctrl-C while the hooks run: the user means it.
    closeAll();
    reraise(signal);
    return;
  }
  shuttingDown = true;
  if (hooks.length === 0 && process.listenerCount(signal) > 1) return;
  let code: number | undefined;
  for (const hook of [...hooks]) {
    try {
      const c = await hook(signal);
      if (typeof c === 'number' && code === undefined) code = c;
    } catch (err) {
      process.stderr.write(`sockscope: while shutting down: ${err instanceof Error ? err.message : String(err)}\n`);
      if (code === undefined) code = 1;
    }
  }
  closeAll();
  if (code !== undefined) process.exit(code);
  reraise(signal);
}

function reraise(signal: NodeJS.Signals): void {
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
  process.kill(process.pid, signal);
}
