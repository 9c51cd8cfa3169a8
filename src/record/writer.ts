// Writes a recording (docs/recording-format.md): preamble, header frame, event frames
// flushed at least once a second, end frame on a clean finish. Writes are synchronous so
// a flushed frame is in the kernel's hands before the next batch is taken, and a full
// disk surfaces right where it happens.
import { closeSync, fchmodSync, fstatSync, fsyncSync, openSync, writeSync, writevSync } from 'node:fs';
import { RuntimeError } from '../errors';
import type { SourceInfo } from '../events/types';
import { releaseRun, runSummary, type RecordedEvent } from '../events/kernel-records';
import { DEFAULT_CODEC, FrameCompressor, FramePacker, packValue } from './codec';
import type { StoredEvent } from './check-events';
import { MAX_PACKED_ENTRIES, countersToColumns, encodeCounterColumns } from './counter-columns';
import { Codec, FORMAT_VERSION, FRAME_HEADER_SIZE, FrameKind, MAX_FRAME_RAW, encodeFrame, encodeFrameHeader, encodePreamble } from './format';
import type { EndSummary, RecordingHeader } from './header';

export interface WriterOptions {
  codec?: Codec;
  /** Pending events are written at least this often (ms); the format promises <= 1000. */
  flushIntervalMs?: number;
  /** A frame holds at most this many events (default MAX_FRAME_EVENTS). */
  maxFrameEvents?: number;
  /** The writer owns the kernel-records runs it is given: once framed, their buffers go
   * back to the collectors (releaseRun), so that the caller must not read them after
   * write(). For `record`, whose runs go nowhere else. */
  releaseRuns?: boolean;
  /** Extra capture options stored in the header. */
  capture?: Record<string, unknown>;
  /** Clock for flush scheduling only (never stored); injectable for tests. */
  clock?: () => number;
  /** For a file written once and kept (the committed recordings, re-encoded by
   * scripts/record-fixture.mjs), not for a capture: zstd at level COMPACT_ZSTD_LEVEL, and
   * header, structures and end frames compressed whenever that makes them smaller (event
   * frames under STORE_FRAMES_BELOW stay stored: decompressing them every replay cost more
   * than their bytes are worth). Readers need nothing new; writing is about 100 times
   * slower than at level 1. */
  compact?: boolean;
  /** The record structures to start the file's table with (structures() of a first
   * writing of the same events): the file then has one structures frame, not one more per
   * frame that brings a new shape. */
  structures?: readonly (readonly string[])[];
}

/** The zstd level of compact files: level 19 made demo.ssrec's event frames 14% smaller
 * than level 1, churn.ssrec's 18% (docs/recording-format.md); 20-22 gained nothing more. */
export const COMPACT_ZSTD_LEVEL = 19;

/** Events per frame, at most. A reader decodes a frame in one piece and the reducer holds
 * all of it until it is applied, so in a burst a large frame was mostly live at each young
 * generation GC, which copied it: churn.ssrec rewritten with 2,000-event frames replayed
 * 1.08-1.34x as fast as with 20,000 (docs/recording-format.md), for 0.1% more bytes. */
export const MAX_FRAME_EVENTS = 2_000;

/** Event frames with less msgpack than this are stored uncompressed: a decompression call
 * costs its setup (about 20 us for zstd) whatever the size, more than the few hundred bytes
 * such a frame would save are worth (a quiet interval's frame is a tick and a few facts). */
export const STORE_FRAMES_BELOW = 1024;

export class RecordingWriter {
  private fd: number | null;
  private pending: StoredEvent[] = [];
  /** Events in `pending` as a reader will count them (a kernel-records run expands). */
  private pendingEvents = 0;
  private lastFlush: number;
  private timer: NodeJS.Timeout | null = null;
  private readonly codec: Codec;
  private readonly compressor: FrameCompressor;
  private readonly flushIntervalMs: number;
  private readonly maxFrameEvents: number;
  private readonly releaseRuns: boolean;
  private readonly compact: boolean;
  private readonly clock: () => number;
  /** Packs event frames with the record structures this file shares (format version 3). */
  private readonly packer: FramePacker;
  /** The frame header being written (reused: a frame is written before the next is made). */
  private readonly header = Buffer.alloc(FRAME_HEADER_SIZE);
  bytesWritten = 0;
  events = 0;
  frames = 0;
  /** The first and the last event time written (NaN until one is): in a Float64Array,
   * as a double in an object's field would be a new heap number at every store. */
  private readonly times = new Float64Array([NaN, NaN]);

  private constructor(
    readonly path: string,
    fd: number,
    opts: WriterOptions,
  ) {
    this.fd = fd;
    this.codec = opts.codec ?? DEFAULT_CODEC;
    this.compact = opts.compact ?? false;
    this.compressor = new FrameCompressor(this.codec, this.compact ? COMPACT_ZSTD_LEVEL : undefined);
    this.packer = new FramePacker(opts.structures);
    this.flushIntervalMs = opts.flushIntervalMs ?? 1000;
    this.maxFrameEvents = opts.maxFrameEvents ?? MAX_FRAME_EVENTS;
    this.releaseRuns = opts.releaseRuns ?? false;
    this.clock = opts.clock ?? Date.now;
    this.lastFlush = this.clock();
  }

  /** Creates FILE with mode 0600 (recordings hold command lines and addresses) and
   * writes the preamble and header. */
  static create(path: string, info: SourceInfo, opts: WriterOptions = {}): RecordingWriter {
    let fd: number;
    try {
      fd = openSync(path, 'w', 0o600);
      // An existing file keeps its mode on open: fix it. Only for regular files: a device
      // or FIFO given as FILE (/dev/full, a pipe) must keep its own mode.
      if (fstatSync(fd).isFile()) fchmodSync(fd, 0o600);
    } catch (err) {
      throw new RuntimeError(`cannot create ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const w = new RecordingWriter(path, fd, opts);
    const header: RecordingHeader = {
      formatVersion: FORMAT_VERSION,
      sockscopeVersion: info.sockscopeVersion,
      hostname: info.hostname,
      kernel: info.kernel,
      cpus: info.cpus,
      bootTimeMs: info.bootTimeMs,
      cgroupRoot: info.cgroupRoot,
      hooks: info.hooks,
      intervalMs: info.intervalMs,
      capture: opts.capture ?? {},
    };
    w.writeBytes(Buffer.concat([encodePreamble(), w.fixedFrame(FrameKind.Header, packValue(header))]));
    return w;
  }

  /** Starts a timer that flushes pending events every flushIntervalMs, so data that
   * arrived stays at most that long in memory even if no further batch comes. A write
   * error in the timer goes to `onError` (by default: thrown, to the process's handler). */
  startAutoFlush(onError: (err: unknown) => void = (err) => {
    throw err;
  }): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      try {
        this.flush();
      } catch (err) {
        onError(err); // the file is abandoned already; the owner reports and stops
      }
    }, this.flushIntervalMs);
    this.timer.unref();
  }

  write(batch: readonly RecordedEvent[]): void {
    for (const e of batch) {
      if (e.type === 'counters' || e.type === 'counter-columns') {
        // Stored as columns, split so that no frame nears MAX_FRAME_RAW (one blob per
        // MAX_PACKED_ENTRIES, which readers also enforce).
        const c = e.type === 'counters' ? countersToColumns(e.flows) : e.columns;
        for (let i = 0; i === 0 || i < c.length; i += MAX_PACKED_ENTRIES) {
          this.push({ type: 'packed-counters', ts: e.ts, bytes: encodeCounterColumns(c, i, Math.min(i + MAX_PACKED_ENTRIES, c.length)) });
        }
      } else this.push(e);
    }
    if (this.clock() - this.lastFlush >= this.flushIntervalMs) this.flush();
  }

  private push(e: StoredEvent): void {
    this.pending.push(e);
    if (e.type === 'kernel-records') {
      const s = runSummary(e);
      this.pendingEvents += s.events;
      if (s.firstTs !== null) this.seen(s.firstTs);
      if (s.lastTs !== null) this.seen(s.lastTs);
    } else {
      this.pendingEvents++;
      if ('ts' in e) this.seen(e.ts);
    }
    if (this.pendingEvents >= this.maxFrameEvents) this.flush();
  }

  private seen(ts: number): void {
    if (Number.isNaN(this.times[0])) this.times[0] = ts;
    this.times[1] = ts;
  }

  /** Writes pending events as one frame. */
  flush(): void {
    this.lastFlush = this.clock();
    if (this.pending.length === 0 || this.fd === null) return;
    const events = this.pending;
    const count = this.pendingEvents;
    this.pending = [];
    this.pendingEvents = 0;
    this.writeEvents(events, count);
    if (this.releaseRuns) for (const e of events) if (e.type === 'kernel-records') releaseRun(e);
  }

  /** `count`: the events a reader will count in `events` (known for the whole pending
   * list; halves of an oversized frame are counted again). */
  private writeEvents(events: StoredEvent[], count: number | null): void {
    const raw = this.packer.pack(events);
    if (raw.length > MAX_FRAME_RAW && events.length > 1) {
      const half = events.length >> 1;
      this.writeEvents(events.slice(0, half), null);
      this.writeEvents(events.slice(half), null);
      return;
    }
    if (this.packer.changed()) {
      // New shapes: the table that defines them goes first. Its own write, so that when
      // the disk fills the byte count in the error is a frame boundary (a partial write of
      // both at once could end inside the event frame after a whole table). Written before
      // the events are compressed: a compact file compresses the table with the same
      // compressor, whose output memory the events' payload would be.
      this.writeBytes(this.fixedFrame(FrameKind.Structures, packValue(this.packer.structures())));
    }
    const [codec, payload] = this.compact && raw.length >= STORE_FRAMES_BELOW ? this.compactPayload(raw) : this.eventPayload(raw);
    this.writeFrame(FrameKind.Events, codec, raw.length, payload);
    this.events += count ?? events.reduce((n, e) => n + (e.type === 'kernel-records' ? runSummary(e).events : 1), 0);
    this.frames++;
  }

  private eventPayload(raw: Buffer): [Codec, Uint8Array] {
    const codec = raw.length < STORE_FRAMES_BELOW ? Codec.None : this.codec;
    return [codec, codec === Codec.None ? raw : this.compressor.compress(raw)];
  }

  /** A header, structures or end frame: stored as it is, but in a compact file compressed
   * when that is smaller (each is read once per replay). */
  private fixedFrame(kind: FrameKind, raw: Buffer): Buffer {
    const [codec, payload] = this.compact ? this.compactPayload(raw) : [Codec.None, raw];
    return encodeFrame(kind, codec, raw.length, payload);
  }

  /** The frame compressed if that makes it smaller, else stored. */
  private compactPayload(raw: Buffer): [Codec, Uint8Array] {
    const packed = this.codec === Codec.None ? raw : this.compressor.compress(raw);
    return packed.length < raw.length ? [this.codec, packed] : [Codec.None, raw];
  }

  /** The record structures the file's table holds so far (for a second, compact writing
   * of the same events: WriterOptions.structures). */
  structures(): string[][] {
    return this.packer.structures();
  }

  /** Flushes, writes the end frame and closes: the file is then complete. */
  close(): void {
    if (this.fd === null) return;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    try {
      this.flush();
      const [first, last] = this.times;
      const end: EndSummary = { events: this.events, frames: this.frames, firstTs: Number.isNaN(first) ? null : first, lastTs: Number.isNaN(last) ? null : last };
      this.writeBytes(this.fixedFrame(FrameKind.End, packValue(end)));
      try {
        fsyncSync(this.fd);
      } catch (err) {
        // Pipes and character devices cannot be synced; a regular file's failure is real.
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'EINVAL') throw new RuntimeError(`cannot sync ${this.path}: ${code ?? (err as Error).message}`);
      }
    } finally {
      this.abandon();
    }
  }

  /** Closes the file without an end frame (after a write error). */
  abandon(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.compressor.close();
    if (this.fd !== null) {
      try {
        closeSync(this.fd);
      } catch {
        // already failing; the write error is what the user needs to see
      }
      this.fd = null;
    }
  }

  /** One frame, its header and payload in one writev (no joined copy of the payload). */
  private writeFrame(kind: FrameKind, codec: Codec, rawLength: number, payload: Uint8Array): void {
    this.writeParts(encodeFrameHeader(this.header, kind, codec, rawLength, payload), payload);
  }

  private writeBytes(buf: Buffer): void {
    this.writeParts(buf, null);
  }

  /** Writes `first` then `second` (if any) whole: one writev, and after a short write
   * (a pipe, a signal) plain writes for what is left. */
  private writeParts(first: Uint8Array, second: Uint8Array | null): void {
    if (this.fd === null) return;
    const total = first.length + (second?.length ?? 0);
    try {
      let done = second === null ? writeSync(this.fd, first) : writevSync(this.fd, [first, second]);
      while (done < first.length) done += writeSync(this.fd, first, done, first.length - done);
      if (second !== null) while (done < total) done += writeSync(this.fd, second, done - first.length, total - done);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const kept = this.bytesWritten;
      this.abandon();
      if (code === 'ENOSPC' || code === 'EDQUOT') {
        throw new RuntimeError(`disk full writing ${this.path}: the recording keeps what was flushed (${kept} bytes) and replays up to there`);
      }
      throw new RuntimeError(`cannot write ${this.path}: ${code ?? (err as Error).message}`);
    }
    this.bytesWritten += total;
  }
}
