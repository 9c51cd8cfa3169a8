// Lines to standard output, encoded straight into chunks of bytes: joining the lines into
// one string and encoding that copied every byte twice more (a tenth of
// `live --format jsonl`'s CPU under connection churn, where it writes ~20,000 lines/s).
import { mergeObjects } from '../core/flow-json-line';

/** Bytes per chunk; a line that may not fit in one is written on its own. */
const CHUNK_BYTES = 256 * 1024;
/** UTF-8 bytes per UTF-16 code unit, at most. */
const MAX_BYTES_PER_UNIT = 3;

export class LineWriter {
  private chunk: Buffer | null = null;
  /** Bytes of the chunk holding lines. */
  private filled = 0;
  /** Whether a write was buffered by the stream (a slow reader): flush() waits for it. */
  private behind = false;

  /** `out` must have written or copied a chunk when its writableLength is 0 right after
   * write() (process.stdout does, to a file, a pipe or a terminal): the chunk is reused. */
  constructor(private readonly out: NodeJS.WritableStream & { writableLength?: number } = process.stdout) {}

  /** Adds `line` and a newline; full chunks are written at once. */
  add(line: string): void {
    const room = line.length * MAX_BYTES_PER_UNIT + 1;
    if (!this.makeRoom(room)) {
      this.write(`${line}\n`);
      return;
    }
    this.filled += this.chunk!.write(line, this.filled);
    this.chunk![this.filled++] = 10;
  }

  /** Adds one line made of JSON objects (non-empty) merged into one, as mergeObjects
   * (src/core/flow-json-line.ts) does, but as they are encoded: each object after the
   * first is written over the previous one's closing "}", and its own "{" becomes ",". */
  addMerged(objects: readonly string[]): void {
    let room = 1;
    for (let i = 0; i < objects.length; i++) room += objects[i].length * MAX_BYTES_PER_UNIT;
    if (!this.makeRoom(room)) {
      this.write(`${mergeObjects(objects)}\n`);
      return;
    }
    const chunk = this.chunk!;
    let at = this.filled;
    for (let i = 0; i < objects.length; i++) {
      if (i > 0) at--; // over the "}" just written
      const start = at;
      at += chunk.write(objects[i], at);
      if (i > 0) chunk[start] = 0x2c; // its "{" -> ","
    }
    chunk[at++] = 10;
    this.filled = at;
  }

  /** Room for a line of at most `room` bytes, written by the caller into the returned
   * chunk from `used` on and ended with commit(); null for a line too long for any chunk
   * (the caller writes it with add()). */
  reserve(room: number): Buffer | null {
    return this.makeRoom(room) ? this.chunk : null;
  }

  /** The chunk lines are being added to (null: none yet, or the last one went to the
   * stream): a caller that can tell whether its line fits writes it from `used` on, up to
   * the chunk's end, and ends it with commit(); else it asks reserve() for room. */
  get current(): Buffer | null {
    return this.chunk;
  }

  /** Where the next line starts in the chunk reserve() returned. */
  get used(): number {
    return this.filled;
  }

  /** Ends a line written after reserve(): the chunk now holds bytes up to `end`. */
  commit(end: number): void {
    this.filled = end;
  }

  /** Whether `room` bytes fit in a chunk (making one ready); false for a line too long for
   * any chunk, to be written on its own. */
  private makeRoom(room: number): boolean {
    if (room > CHUNK_BYTES) {
      this.writeChunk();
      return false;
    }
    if (this.chunk === null || this.filled + room > this.chunk.length) {
      this.writeChunk();
      this.chunk ??= Buffer.allocUnsafe(CHUNK_BYTES);
    }
    return true;
  }

  /** Writes what was added; resolves once the stream has taken it all (backpressure). */
  flush(): Promise<void> {
    this.writeChunk();
    if (!this.behind) return Promise.resolve();
    this.behind = false;
    return new Promise((resolve) => this.out.once('drain', resolve));
  }

  private writeChunk(): void {
    if (this.chunk === null || this.filled === 0) return;
    const bytes = this.chunk.subarray(0, this.filled);
    this.filled = 0;
    this.write(bytes);
    // A chunk the stream still holds is its own now; one written through is reused.
    if ((this.out.writableLength ?? 1) > 0) this.chunk = null;
  }

  private write(data: Buffer | string): void {
    if (!this.out.write(data)) this.behind = true;
  }
}
