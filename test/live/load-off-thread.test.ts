// BpfObject.loadOffThread and openKernelCaptureOffThread against the real kernel: the
// verifier runs while the main thread's event loop goes on, a failed load still ends in the
// error that names its cause (loaded again with libbpf's log on), and a close() during the
// load frees the object once the worker thread is done with it.
import { describe, expect, it } from 'vitest';
import { BpfObject } from '../../src/loader';
import { QuietLoadFailure } from '../../src/loader/failures';
import { openKernelCaptureOffThread } from '../../src/live/kernel';
import { NotSupportedError, RuntimeError } from '../../src/errors';
import { bpfFds } from './fixtures/bpf-fds';
import { canRunBpf, FIXTURE } from './fixtures/loader-fixture';
import { ensureBuilt, runCli } from '../helpers/cli';

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe.skipIf(!canRunBpf.ok)(`loading off the main thread${canRunBpf.ok ? '' : ` (skipped: ${canRunBpf.why})`}`, () => {
  it('the event loop turns while the kernel verifies sockscope’s programs, and the capture attaches', async () => {
    let turns = 0;
    let waiting = true;
    const spin = (): void => {
      turns++;
      if (waiting) setImmediate(spin);
    };
    setImmediate(spin);
    const cap = await openKernelCaptureOffThread();
    waiting = false;
    try {
      // A load in the foreground blocks the loop for its ~0.2 s: the spin could not turn.
      expect(turns).toBeGreaterThan(5);
      expect(cap.obj.isLoaded).toBe(true);
      expect(cap.hooks).toContain('on_inet_sock_set_state');
      expect(bpfFds().linkIds.length).toBeGreaterThanOrEqual(cap.obj.attachments().length);
    } finally {
      cap.obj.close();
    }
  });

  it('a load that fails off the thread is a QuietLoadFailure with the exit code of its cause, and closes the object', async () => {
    const obj = BpfObject.open(FIXTURE); // its fixture_missing_tp_btf program cannot load here
    const err = await rejection(obj.loadOffThread());
    expect(err).toBeInstanceOf(QuietLoadFailure);
    expect((err as QuietLoadFailure).exitCode).toBe(4);
    expect(obj.isClosed).toBe(true);
  });

  it('openKernelCaptureOffThread loads a failed object again with the log on: the error names the missing hook', async () => {
    const err = await rejection(openKernelCaptureOffThread(FIXTURE));
    expect(err).toBeInstanceOf(NotSupportedError);
    expect(err).not.toBeInstanceOf(QuietLoadFailure);
    expect(err.message).toMatch(/sockscope_no_such_tracepoint/);
    expect(err.message.split('\n')).toHaveLength(1);
  });

  it('with SOCKSCOPE_LIBBPF_DEBUG=1 the load runs in the foreground, so its log is printed', () => {
    ensureBuilt();
    const r = runCli(['live', '--format', 'jsonl', '--duration', '1s'], { env: { ...process.env, SOCKSCOPE_LIBBPF_DEBUG: '1' } });
    expect(r.code).toBe(0);
    // Lines libbpf prints only while it loads: CO-RE relocations and program loads.
    expect(r.stderr).toMatch(/CO-RE relocating \[\d+\] struct tcp_sock/);
    expect(r.stderr).toMatch(/prog 'on_inet_sock_set_state': relo #/);
  });

  it('close() during the load waits for the worker thread, then frees every program', async () => {
    const before = bpfFds().progIds.length;
    const obj = BpfObject.open(FIXTURE);
    obj.setAutoload('fixture_missing_tp_btf', false);
    const loading = obj.loadOffThread();
    obj.close();
    expect(obj.isClosed).toBe(false); // not yet: the worker thread still uses it
    const err = await rejection(loading);
    expect(err).toBeInstanceOf(RuntimeError);
    expect(err.message).toMatch(/closed while loading/);
    expect(obj.isClosed).toBe(true);
    expect(bpfFds().progIds.length).toBe(before);
  });
});
