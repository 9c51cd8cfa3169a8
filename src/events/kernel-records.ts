// Flow records kept as the kernel wrote them. `sockscope record` under connection churn
// would otherwise decode every ring record into objects only to encode them again into
// msgpack: instead the live source copies the flow records' bytes into runs, the
// recording stores each run as one binary value, and the reader decodes them on replay
// (docs/recording-format.md, "Kernel record runs"). `sockscope live` takes the same runs
// to its reducer, which decodes each record in place (src/core/apply-runs.ts). Only flow
// records travel this way; process and cgroup records, facts, counters and ticks stay
// ordinary events.
import type { AppEvent } from './types';
import { decodeFlowRecordAt, le32, u32, u64, u8 } from './decode';
import { BRIEF_RECORD, FLOW_RECORD, OWNER, REC, STATE_RECORD, TUPLE } from './layout';
import { RunBufferPool } from './run-buffers';

/** Version of the record layouts in a run (bpf/sockscope.h as of format version 2). A
 * reader refuses a run whose layout it does not know rather than guess at its bytes. */
export const KERNEL_RECORDS_LAYOUT = 1;

/** A run of kernel flow records: each is a u32 little-endian byte length, then the
 * record's bytes exactly as read from the ring buffer. Recordings, and the live source
 * of `sockscope live` (folded by applyRecordedBatch): readers of a recording expand it
 * into the events decodeRecord gives, so no consumer of a replay sees one. */
export interface KernelRecordsEvent {
  type: 'kernel-records';
  layout: number;
  bytes: Uint8Array;
}

/** What a recording's event frames hold. */
export type RecordedEvent = AppEvent | KernelRecordsEvent;

/** Record types that may travel in a run: the ones that decode to flow events. */
export function isFlowRecordType(type: number): boolean {
  return type === REC.FLOW_OPEN || type === REC.FLOW_CLOSE || type === REC.FLOW_BRIEF || type === REC.FLOW_STATE || type === REC.CONNECT_FAIL;
}

/** Whether a record of `type` and `length` bytes is whole (decodeRecord would not drop it). */
export function isWholeFlowRecord(type: number, length: number): boolean {
  if (type === REC.FLOW_BRIEF) return length >= BRIEF_RECORD.size;
  if (type === REC.FLOW_STATE) return length >= STATE_RECORD.size;
  return length >= FLOW_RECORD.size;
}

/** A run is cut at this size: frames stay far below their cap, and a run's buffer stays
 * under malloc's mmap threshold (128 KiB), so that buffers are reused instead of each
 * costing fresh pages (measured: page faults doubled the cost of copying a record). */
export const MAX_RUN_BYTES = 60 * 1024;

/** What runSummary() tells of a run. */
export interface RunSummary {
  events: number;
  opens: number;
  firstTs: number | null;
  lastTs: number | null;
}

/** What a collector knows of a run it made, kept with the run (one WeakMap entry per
 * run): its counts, its times in a Float64Array (a time is a double beyond a small
 * integer's range: stored into an object's field it would be a new heap number per
 * record, which was most of what `record` allocated under churn), the offsets of its
 * opening records whose owner the enricher must look at, and the pooled buffer under it. */
class RunTally {
  events = 0;
  opens = 0;
  /** Earliest and latest event time seen; +/-Infinity while none. */
  readonly times = new Float64Array([Infinity, -Infinity]);
  /** Null for a run summarized from its bytes (not a collector's): it must be walked. */
  readonly owners: number[] | null;
  /** The pool's buffer the run's bytes are in, or null (a buffer grown past the pool's size). */
  pooled: Buffer | null = null;

  constructor(owners: number[] | null) {
    this.owners = owners;
  }

  summary(): RunSummary {
    const t = this.times;
    return { events: this.events, opens: this.opens, firstTs: t[0] === Infinity ? null : t[0], lastTs: t[1] === -Infinity ? null : t[1] };
  }
}

/** The tallies of the runs a collector made (and of runs summarized once). */
const tallies = new WeakMap<KernelRecordsEvent, RunTally>();

/** The collectors' run buffers (run-buffers.ts): taken by take(), given back by releaseRun(). */
const pool = new RunBufferPool(64 * 1024);
const EMPTY = new Uint8Array(0);

/** Owners remembered per run to skip repeats (a churning client and its server alternate). */
const RECENT_OWNERS = 4;
/** u32 words of an owner that tell owners apart as the enricher does: pid, uid, gid, cgroup id. */
const OWNER_KEY = [OWNER.members.tgid.offset, OWNER.members.uid.offset, OWNER.members.gid.offset, OWNER.members.cgroup_id.offset, OWNER.members.cgroup_id.offset + 4]
  .map((o) => (FLOW_RECORD.members.owner.offset + o) >>> 2);
const KEY_WORDS = OWNER_KEY.length;

/** Collects records into runs; take() hands out what was collected. */
export class KernelRecordRun {
  private buf = pool.take();
  /** `buf`'s memory as u32 words, made once per buffer taken (not looked up per record). */
  private words = wordsOf(this.buf);
  private len = 0;
  private owners: number[] = [];
  private tally = new RunTally(this.owners);
  /** The owner keys of the last RECENT_OWNERS owners noted in this run. */
  private readonly recent = new Uint32Array(RECENT_OWNERS * KEY_WORDS);
  private recentCount = 0;
  private recentNext = 0;

  /** Appends one record of `type` (copied: `rec` may be a view of the ring). True when the
   * run reached its size cap and should be taken now. */
  append(rec: Buffer, type: number): boolean {
    return this.appendAt(rec, 0, rec.length, type);
  }

  /** append() of the `length` bytes at `offset` in `buf`. */
  appendAt(buf: Buffer, offset: number, length: number, type: number): boolean {
    const need = this.len + 4 + length;
    if (need > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
      this.buf.copy(bigger, 0, 0, this.len);
      pool.give(this.buf);
      this.buf = bigger;
      this.words = wordsOf(bigger);
    }
    const at = this.len + 4;
    const s = buf.byteOffset + offset;
    const d = this.buf.byteOffset + at;
    if (((s | d | length) & 3) === 0) {
      // Ring records and runs are always 4-aligned: copied and read as u32 words, through
      // views kept from one record to the next (no object per record).
      const dw = this.words;
      dw[(d >>> 2) - 1] = length;
      copyWords(srcWords.of(buf), s >>> 2, dw, d >>> 2, length >>> 2);
      noteRecordWords(this.tally, dw, d >>> 2, length, type);
    } else {
      this.buf.writeUInt32LE(length, this.len);
      buf.copy(this.buf, at, offset, offset + length);
      noteRecord(this.tally, this.buf, at, length, type);
    }
    if ((type === REC.FLOW_OPEN || type === REC.FLOW_BRIEF || type === REC.CONNECT_FAIL) && length >= FLOW_RECORD.size) this.noteOwner(at);
    this.len = need;
    return this.len >= MAX_RUN_BYTES;
  }

  /** Keeps the opening record at `offset` for the enricher unless one of the last few
   * owners noted was the same (read from the copy, which is in cache now). */
  private noteOwner(offset: number): void {
    if (((this.buf.byteOffset + offset) & 3) !== 0) {
      this.owners.push(offset); // a record of odd length before it: no word view, no skipping
      return;
    }
    const w = this.words;
    const base = (this.buf.byteOffset + offset) >>> 2;
    const r = this.recent;
    for (let i = 0; i < this.recentCount; i++) {
      let k = 0;
      while (k < KEY_WORDS && r[i * KEY_WORDS + k] === w[base + OWNER_KEY[k]]) k++;
      if (k === KEY_WORDS) return;
    }
    const at = this.recentNext * KEY_WORDS;
    for (let k = 0; k < KEY_WORDS; k++) r[at + k] = w[base + OWNER_KEY[k]];
    this.recentNext = (this.recentNext + 1) % RECENT_OWNERS;
    if (this.recentCount < RECENT_OWNERS) this.recentCount++;
    this.owners.push(offset);
  }

  /** The run as an event, or null when empty. The bytes are handed over, not copied: the
   * collector starts its next run in another buffer. */
  take(): KernelRecordsEvent | null {
    if (this.len === 0) return null;
    const ev: KernelRecordsEvent = { type: 'kernel-records', layout: KERNEL_RECORDS_LAYOUT, bytes: this.buf.subarray(0, this.len) };
    if (this.buf.length === pool.bufferSize) this.tally.pooled = this.buf;
    tallies.set(ev, this.tally);
    this.buf = pool.take();
    this.words = wordsOf(this.buf);
    this.len = 0;
    this.owners = [];
    this.tally = new RunTally(this.owners);
    this.recentCount = 0;
    this.recentNext = 0;
    return ev;
  }

  /** Once per interval: lets the shared pool of run buffers shrink after a burst. */
  settle(): void {
    pool.settle();
  }
}

/** Gives a run's buffer back to the collectors once its bytes are no longer needed (the
 * recording writer, after framing it); a run not made by a collector is left alone. The
 * run is emptied: a late reader sees no records rather than another run's. */
export function releaseRun(ev: KernelRecordsEvent): void {
  const t = tallies.get(ev);
  if (t === undefined || t.pooled === null) return;
  const buf = t.pooled;
  t.pooled = null;
  ev.bytes = EMPTY;
  pool.give(buf);
}

/** Offsets (in the run's bytes) of the opening records whose owners the enricher needs:
 * every owner at its first record, and maybe again later; null for a run not made by a
 * collector (read from a file), which must then be walked. */
export function runOwnerRecords(ev: KernelRecordsEvent): readonly number[] | null {
  return tallies.get(ev)?.owners ?? null;
}

/** A u32 view of the whole memory under the last Buffer asked about. Kept by Buffer, not
 * by ArrayBuffer: reading `.buffer` of a Buffer is a runtime call, which cost more than
 * the copy of a record itself. */
class WordView {
  private b: Buffer | null = null;
  private words: Uint32Array<ArrayBufferLike> = new Uint32Array(0);

  of(b: Buffer): Uint32Array<ArrayBufferLike> {
    if (b !== this.b) {
      this.b = b;
      this.words = wordsOf(b);
    }
    return this.words;
  }
}

/** The view of the ring's mapping the records are copied from. */
const srcWords = new WordView();

/** A u32 view of all of `b`'s memory (offsets in words from the ArrayBuffer's start). */
function wordsOf(b: Buffer): Uint32Array<ArrayBufferLike> {
  return new Uint32Array(b.buffer, 0, b.buffer.byteLength >>> 2);
}

/** Copies `n` u32 words: a JS loop, which beat Buffer.copy (a view per call) on records of
 * a few hundred bytes. */
function copyWords(src: Uint32Array, from: number, dst: Uint32Array, to: number, n: number): void {
  for (let i = 0; i < n; i++) dst[to + i] = src[from + i];
}

/** noteRecord() of a record at u32 word `w` of `words`. The times stay doubles in
 * registers and go straight into the tally's Float64Array (no heap number per record). */
function noteRecordWords(t: RunTally, words: Uint32Array, w: number, length: number, type: number): void {
  t.events += type === REC.FLOW_BRIEF ? 2 : 1;
  if (type === REC.FLOW_OPEN || type === REC.FLOW_BRIEF) t.opens++;
  const times = t.times;
  if (length >= TS_END) {
    const ts = words[w + TS_WORD + 1] * 4294967296 + words[w + TS_WORD];
    if (ts < times[0]) times[0] = ts;
    if (ts > times[1]) times[1] = ts;
  }
  if (type === REC.FLOW_BRIEF && length >= BRIEF_RECORD.size) {
    const ts = words[w + CLOSE_TS_WORD + 1] * 4294967296 + words[w + CLOSE_TS_WORD];
    if (ts < times[0]) times[0] = ts;
    if (ts > times[1]) times[1] = ts;
  }
}

const TS_WORD = FLOW_RECORD.members.ts.offset >>> 2;
const TS_END = STATE_RECORD.members.ts.offset + 8;
const CLOSE_TS_WORD = BRIEF_RECORD.members.close_ts.offset >>> 2;

/** Counts one record (of `length` bytes at `offset`) into a tally; times are read only
 * where the record has them (a damaged run may hold short ones). */
function noteRecord(t: RunTally, b: Buffer, offset: number, length: number, type: number): void {
  t.events += type === REC.FLOW_BRIEF ? 2 : 1;
  if (type === REC.FLOW_OPEN || type === REC.FLOW_BRIEF) t.opens++;
  if (length >= TS_END) seenTs(t, recordOwnerAt.ts(b, offset));
  if (type === REC.FLOW_BRIEF && length >= BRIEF_RECORD.size) seenTs(t, u64(b, offset, BRIEF_RECORD.members.close_ts));
}

function seenTs(t: RunTally, ts: number): void {
  if (ts < t.times[0]) t.times[0] = ts;
  if (ts > t.times[1]) t.times[1] = ts;
}

/** A run's bytes as a Buffer (msgpack may decode them as a plain Uint8Array view). */
export function runBytes(ev: KernelRecordsEvent): Buffer {
  // A collector's run is a Buffer already (no new view per run on the record path).
  if (Buffer.isBuffer(ev.bytes)) return ev.bytes;
  return Buffer.from(ev.bytes.buffer, ev.bytes.byteOffset, ev.bytes.byteLength);
}

/** Calls `fn` with each record's type and its bytes' offset and length in `bytes`.
 * Returns null, or what is wrong at which byte (a length that overruns the run). */
export function walkKernelRecords(bytes: Uint8Array, fn: (type: number, offset: number, length: number) => void): string | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  while (pos < bytes.length) {
    if (pos + 4 > bytes.length) return `record length cut at byte ${pos} of the run`;
    const len = view.getUint32(pos, true);
    if (len < 4 || pos + 4 + len > bytes.length) return `record of ${len} bytes at byte ${pos} overruns the run of ${bytes.length}`;
    fn(view.getUint32(pos + 4, true), pos + 4, len);
    pos += 4 + len;
  }
  return null;
}

/** The owner fields of an opening record (FLOW_OPEN, FLOW_BRIEF, CONNECT_FAIL) at
 * `offset`, for the enricher: read in place, no object per record. */
export const recordOwnerAt = {
  base: (offset: number) => offset + FLOW_RECORD.members.owner.offset,
  pid: (b: Buffer, o: number) => u32(b, o, OWNER.members.tgid),
  ppid: (b: Buffer, o: number) => u32(b, o, OWNER.members.ppid),
  uid: (b: Buffer, o: number) => u32(b, o, OWNER.members.uid),
  gid: (b: Buffer, o: number) => u32(b, o, OWNER.members.gid),
  cgroupId: (b: Buffer, o: number) => u64(b, o, OWNER.members.cgroup_id),
  ts: (b: Buffer, offset: number) => u64(b, offset, FLOW_RECORD.members.ts),
};

/** A FLOW_OPEN's flow id, protocol and TCP state number, for the live source's books. */
export const openRecordAt = {
  flowId: (b: Buffer, offset: number) => u32(b, offset, FLOW_RECORD.members.flow_id),
  isUdp: (b: Buffer, offset: number) => u8(b, offset + FLOW_RECORD.members.tuple.offset, TUPLE.members.proto) === 17,
  state: (b: Buffer, offset: number) => u8(b, offset, FLOW_RECORD.members.state),
};

/** The events of a run, in order (a FLOW_BRIEF gives its open and its close), appended
 * to `out` (a new array if not given), or what is wrong with it (then `out` may hold part
 * of the run). Walks the bytes as walkKernelRecords does, but without a callback or a view
 * per record: replay runs every flow record through here. A run whose lengths do not add
 * up is reported as such even after a record that is not a flow record. */
export function expandKernelRecords(ev: KernelRecordsEvent, out: AppEvent[] = []): AppEvent[] | string {
  if (ev.layout !== KERNEL_RECORDS_LAYOUT) return `kernel records of layout ${ev.layout}, which this sockscope does not know`;
  const b = runBytes(ev);
  let bad: string | null = null;
  let pos = 0;
  while (pos < b.length) {
    if (pos + 4 > b.length) return `record length cut at byte ${pos} of the run`;
    const len = le32(b, pos);
    if (len < 4 || pos + 4 + len > b.length) return `record of ${len} bytes at byte ${pos} overruns the run of ${b.length}`;
    if (bad === null && !decodeFlowRecordAt(b, pos + 4, len, out)) {
      bad = `record at byte ${pos} of the run is not a flow record (type ${b.readUInt32LE(pos + 4)}, ${len} bytes)`;
    }
    pos += 4 + len;
  }
  return bad ?? out;
}

/** How many events a run expands to, and its earliest and latest event times (for the
 * recording's end summary and the recorder's progress line), without decoding it. */
export function runSummary(ev: KernelRecordsEvent): RunSummary {
  const known = tallies.get(ev);
  if (known) return known.summary();
  const b = runBytes(ev);
  const t = new RunTally(null);
  walkKernelRecords(b, (type, offset, length) => noteRecord(t, b, offset, length, type));
  tallies.set(ev, t);
  return t.summary();
}
