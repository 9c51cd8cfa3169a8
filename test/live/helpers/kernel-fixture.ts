// A kernel capture a test opens itself (the object's maps and programs, no live source),
// and the helper processes it starts: both closed after each test, pass or fail.
import { afterEach } from 'vitest';
import { openKernelCapture, type KernelCapture } from '../../../src/live/kernel';
import { stopHelpers, type Helper } from './procs';

export function kernelCaptureEachTest(): { open(): KernelCapture; helpers: Helper[] } {
  let cap: KernelCapture | null = null;
  const helpers: Helper[] = [];
  afterEach(async () => {
    await stopHelpers(helpers);
    cap?.obj.close();
    cap = null;
  });
  return { open: () => (cap = openKernelCapture()), helpers };
}
