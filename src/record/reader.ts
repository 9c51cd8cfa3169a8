// Reads a recording as an EventSource (docs/recording-format.md).
//
//   const src = await openRecording(path);   // throws BadFileError if not even the
//                                            // header is readable, or the version is newer
//   for await (const batch of src.batches()) ...   // one batch per event frame
//   src.damage()   // null, or the BadFileError describing where the file went bad;
//                  // everything before that point was yielded
//   src.end()      // the end frame's summary when the file was finished cleanly
//
// Damage never throws from batches(): the iteration just ends, so callers replay what is
// valid and then report. A file without its end frame (recorder killed) is damage too.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { BadFileError } from '../errors';
import type { AppEvent, EventSource, SourceInfo } from '../events/types';
import { checkEvents, expandStored, type StoredEvent } from './check-events';
import { decompress, sharedUnpacker, structuresUnpacker, unpackValue } from './codec';
import { FORMAT_VERSION, FRAME_HEADER_SIZE, FrameKind, MAGIC, PREAMBLE_SIZE, SHARED_STRUCTURES_VERSION, decodeFrameHeader, frameCrc, type FrameHeader } from './format';
import { checkEnd, checkHeader, headerToInfo, type EndSummary, type RecordingHeader } from './header';

export interface RecordingSource extends EventSource {
  readonly path: string;
  readonly header: RecordingHeader;
  readonly formatVersion: number;
  /** File size when opened. */
  readonly size: number;
  damage(): BadFileError | null;
  end(): EndSummary | null;
  /** The event frames as stored (runs and packed counters not expanded). */
  storedBatches(): AsyncIterable<StoredEvent[]>;
}

interface Frame {
  header: FrameHeader;
  payload: Buffer; // decoded (decompressed) bytes
  offset: number;
}

type FrameResult = Frame | { damage: string } | null; // null: clean end of file

/** Reads ahead in blocks of this size: a recording's frames are small (tens of KB), and
 * one read per block instead of two per frame keeps replay fast. */
const READ_BLOCK = 256 * 1024;

/** Reads are synchronous: a block takes tens of microseconds from the page cache, less
 * than the round trip of an asynchronous read through libuv's thread pool (opening
 * demo.ssrec, four such round trips, was a tenth of its replay), and a replay reads as
 * fast as it can anyway; the TUI player asks for one batch at a time. */
class FileReader {
  private block: Buffer = Buffer.alloc(0);
  private blockPos = 0;

  constructor(
    readonly fd: number,
    readonly size: number,
  ) {}

  /** `len` bytes at `pos` (fewer at the end of the file). A returned buffer is never
   * overwritten: each block is a new allocation. */
  private readAt(pos: number, len: number): Buffer {
    if (pos >= this.blockPos && pos + len <= this.blockPos + this.block.length) {
      return this.block.subarray(pos - this.blockPos, pos - this.blockPos + len);
    }
    const want = Math.min(Math.max(len, READ_BLOCK), Math.max(this.size - pos, 0));
    if (want <= len) return this.readRaw(pos, len); // a large frame: read just it
    const block = this.readRaw(pos, want);
    this.block = block;
    this.blockPos = pos;
    return block.subarray(0, Math.min(len, block.length));
  }

  private readRaw(pos: number, len: number): Buffer {
    const buf = Buffer.allocUnsafe(len);
    let got = 0;
    while (got < len) {
      const bytesRead = readSync(this.fd, buf, got, len - got, pos + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return got === len ? buf : buf.subarray(0, got);
  }

  preamble(): Buffer {
    return this.readAt(0, Math.min(PREAMBLE_SIZE, this.size));
  }

  /** The frame at `pos`, checked and decoded. Sizes are checked against the caps and the
   * file size before anything is allocated. */
  frame(pos: number): FrameResult {
    if (pos === this.size) return null;
    if (pos + FRAME_HEADER_SIZE > this.size) return { damage: `truncated frame header (${this.size - pos} of ${FRAME_HEADER_SIZE} bytes)` };
    const h = this.readAt(pos, FRAME_HEADER_SIZE);
    const header = decodeFrameHeader(h);
    if (typeof header === 'string') return { damage: header };
    const end = pos + FRAME_HEADER_SIZE + header.payloadLength;
    if (end > this.size) return { damage: `truncated frame (${this.size - pos - FRAME_HEADER_SIZE} of ${header.payloadLength} payload bytes)` };
    const payload = this.readAt(pos + FRAME_HEADER_SIZE, header.payloadLength);
    if (frameCrc(h, payload) !== h.readUInt32LE(12)) return { damage: 'checksum mismatch (corrupted)' };
    try {
      return { header, payload: decompress(header.codec, payload, header.rawLength), offset: pos };
    } catch (err) {
      return { damage: `cannot decompress: ${(err as Error).message}` };
    }
  }
}

function unpack(payload: Buffer, using: (bytes: Uint8Array) => unknown = unpackValue): unknown {
  try {
    return using(payload);
  } catch {
    return undefined;
  }
}

export async function openRecording(path: string): Promise<RecordingSource> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new BadFileError(`cannot open recording ${path}: ${code === 'ENOENT' ? 'no such file' : (code ?? (err as Error).message)}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new BadFileError(`${path} is not a regular file`);
    const reader = new FileReader(fd, st.size);
    const pre = reader.preamble();
    if (pre.length < MAGIC.length || !pre.subarray(0, MAGIC.length).equals(MAGIC)) {
      throw new BadFileError(`${path} is not a sockscope recording (no recording signature at byte 0)`);
    }
    if (pre.length < PREAMBLE_SIZE) throw new BadFileError(`${path} is truncated at byte ${pre.length}, inside the file preamble`);
    const version = pre.readUInt16LE(8);
    if (version > FORMAT_VERSION) {
      throw new BadFileError(`${path} uses recording format version ${version}, newer than this sockscope reads (up to ${FORMAT_VERSION}); upgrade sockscope`);
    }
    if (version < 1 || pre.readUInt16LE(10) !== 0) throw new BadFileError(`${path} has an invalid preamble (format version ${version}) at byte 8`);
    const first = reader.frame(PREAMBLE_SIZE);
    const where = `${path}: header at byte ${PREAMBLE_SIZE}`;
    if (first === null) throw new BadFileError(`${where}: missing (file ends after the preamble)`);
    if ('damage' in first) throw new BadFileError(`${where}: ${first.damage}`);
    if (first.header.kind !== FrameKind.Header) throw new BadFileError(`${where}: the first frame is not a header`);
    const header = checkHeader(unpack(first.payload));
    if (typeof header === 'string') throw new BadFileError(`${where}: ${header}`);
    // The preamble's version is not covered by a checksum; the header's copy is: a flipped
    // version byte must not turn a file into a valid one of another version.
    if (header.formatVersion !== version) throw new BadFileError(`${path} has an invalid preamble at byte 8: format version ${version}, but its header says ${header.formatVersion}`);
    return new Recording(path, reader, header, version, PREAMBLE_SIZE + FRAME_HEADER_SIZE + first.header.payloadLength);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

class Recording implements RecordingSource {
  readonly info: SourceInfo;
  private damaged: BadFileError | null = null;
  private ended: EndSummary | null = null;
  private closed = false;
  /** Decodes event frames: from version 3 on with the structures the file defined so far
   * (its structures frames), before with each frame's own. */
  private unpackEvents: (bytes: Uint8Array) => unknown;

  constructor(
    readonly path: string,
    private readonly reader: FileReader,
    readonly header: RecordingHeader,
    readonly formatVersion: number,
    private readonly firstFramePos: number,
  ) {
    this.info = headerToInfo(header, path);
    this.unpackEvents = formatVersion >= SHARED_STRUCTURES_VERSION ? sharedUnpacker([]) : unpackValue;
  }

  get size(): number {
    return this.reader.size;
  }

  damage(): BadFileError | null {
    return this.damaged;
  }

  end(): EndSummary | null {
    return this.ended;
  }

  batches(): AsyncIterable<AppEvent[]> {
    return this.frames(true) as AsyncIterable<AppEvent[]>;
  }

  /** The event frames as stored: kernel-records runs and packed counters not expanded
   * (checked as batches() checks them, but a run that does not decode is not noticed).
   * For tools that filter or re-encode a file (scripts/record-fixture.mjs). */
  storedBatches(): AsyncIterable<StoredEvent[]> {
    return this.frames(false);
  }

  private async *frames(expand: boolean): AsyncIterable<AppEvent[] | StoredEvent[]> {
    let pos = this.firstFramePos;
    // Chunks are the event frames; a structures frame belongs to the chunk after it.
    for (let chunk = 1; !this.closed; ) {
      let f: FrameResult;
      try {
        f = this.reader.frame(pos);
      } catch (err) {
        this.fail(`chunk ${chunk} at byte ${pos}: read error ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
        return;
      }
      const at = `chunk ${chunk} at byte ${pos}`;
      if (f === null) {
        this.fail(`truncated at byte ${pos} after chunk ${chunk - 1}: no end marker (the recorder was killed or the file cut)`);
        return;
      }
      if ('damage' in f) {
        this.fail(`${at}: ${f.damage}`);
        return;
      }
      const next = pos + FRAME_HEADER_SIZE + f.header.payloadLength;
      if (f.header.kind === FrameKind.End) {
        const end = checkEnd(unpack(f.payload));
        if (typeof end === 'string') this.fail(`${at}: ${end}`);
        else if (next !== this.reader.size) this.fail(`${this.reader.size - next} unexpected bytes after the end marker at byte ${next}`);
        else this.ended = end;
        return;
      }
      if (f.header.kind === FrameKind.Structures && this.formatVersion >= SHARED_STRUCTURES_VERSION) {
        // The table the next event frames are decoded with (it replaces the last one).
        const unpacker = structuresUnpacker(f.payload);
        if (typeof unpacker === 'string') {
          this.fail(`${at}: ${unpacker}`);
          return;
        }
        this.unpackEvents = unpacker;
        pos = next;
        continue;
      }
      if (f.header.kind !== FrameKind.Events) {
        this.fail(`${at}: unexpected ${f.header.kind === FrameKind.Header ? 'header' : 'structures'} frame`);
        return;
      }
      const checked = checkEvents(unpack(f.payload, this.unpackEvents), this.formatVersion);
      if (typeof checked === 'number') {
        this.fail(checked < 0 ? `${at}: the chunk is not a list of events` : `${at}: malformed event #${checked}`);
        return;
      }
      const events = expand ? expandStored(checked) : checked;
      if (!Array.isArray(events)) {
        this.fail(`${at}: event #${events.index}: ${events.what}`);
        return;
      }
      pos = next;
      chunk++;
      yield events;
    }
  }

  private fail(what: string): void {
    this.damaged = new BadFileError(`${this.path}: ${what}`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.reader.fd);
  }
}
