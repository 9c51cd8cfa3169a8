// The buffers kernel-records runs are collected in, reused instead of allocated one per
// run. Under connection churn a fresh 64 KiB buffer per run was three quarters of the
// array-buffer bytes `record` allocated, and V8 counts those towards its heap limits: a
// full mark-compact every second or two, on helper threads and the main one. The pool
// keeps as many free buffers as the busiest recent interval had out, so that a burst's
// buffers (the start-up listing of 100,000 connections) are not kept for good.

export class RunBufferPool {
  private readonly free: Buffer[] = [];
  /** Buffers handed out and not given back. */
  private out = 0;
  /** The most that were out at once since the last settle(). */
  private peak = 0;

  constructor(readonly bufferSize: number) {}

  take(): Buffer {
    this.out++;
    if (this.out > this.peak) this.peak = this.out;
    return this.free.pop() ?? Buffer.allocUnsafe(this.bufferSize);
  }

  /** Gives back a buffer take() handed out; its bytes may be overwritten from now on. */
  give(buf: Buffer): void {
    this.out--;
    if (buf.length === this.bufferSize) this.free.push(buf);
  }

  /** Once per interval: free buffers beyond what this interval needed are dropped (the GC
   * frees them), so the pool follows the load down after a burst. */
  settle(): void {
    const keep = Math.max(0, this.peak - this.out);
    if (this.free.length > keep) this.free.length = keep;
    this.peak = this.out;
  }

  /** Free buffers held (tests). */
  get held(): number {
    return this.free.length;
  }
}
