// A flow's JSON line, JSON.stringify(toJsonFlow(...)) exactly (a test checks it on the
// bundled recordings), with the owner's fields stringified once per owner: they are the
// same for every flow of a process and the longest part of a line (comm, exe, cmdline,
// cgroup path), and a server under connection churn owns thousands of flows a second. The
// fields before and after the owner's are written as text directly (headText, tailText),
// in toJsonFlow's order, without an object per line to stringify.
import type { Container, FlowCloseEvent, FlowOpenEvent, Owner } from '../events/types';
import {
  BYTES_RECEIVED, BYTES_SENT, CONNECT_LATENCY_US, DIRECTION, END_TS, FAMILY_FLAGS, INT_STRIDE, LADDR, NUM_STRIDE, OWNER, PACKETS_RECEIVED,
  PACKETS_SENT, PAGE_BITS, PAGE_MASK, PORTS, PROTO, RADDR as RADDR_CODE, RETRANSMITS, SEEN_AT_START_BIT, SRTT_US, START_TS, STATE, u32Field,
  u32Number,
} from './flow-fields';
import { flowTimeIso, ownerJson, type OwnerJson } from './flow-json';
import { flowCgroup, flowContainer, flowProcess, flowUser } from './reducer';
import { FlowView } from './flow-view';
import { isoTimeAt, millisZAt } from './iso-time';
import { asciiAt, asciiBytes, jsonStringAt, jsonStringBytes, numberAt, Piece, putPiece } from './json-bytes';
import { jsonNumber, jsonString, jsonStringOrNull } from './json-text';
import type { CoreState, Flow } from './state';

interface OwnerText {
  json: OwnerJson;
  /** JSON.stringify(json). */
  text: string;
  /** The UTF-8 bytes of its members (the text without its braces), for writeLine. */
  members: Buffer;
  /** state.factsVersion when json was last found to be ownerJson's: until it moves, the
   * facts are not compared again (that was ~5% of writing a line under churn). */
  version: number;
  /** Per direction word: its piece and the counters after it (DirectionText). */
  byDirection: Map<string, DirectionText>;
  /** The last direction asked for and its text (a process's flows mostly go one way). */
  lastDirection: string;
  lastDirectionText: DirectionText | null;
}

/** ',"direction":"...",' + an owner's members + ',"bytes_sent":', copied whole; and the
 * same with the counters up to ',"srtt_us":' after it, for lines whose counters repeat. */
class DirectionText {
  /** bytes_sent, bytes_received, packets_sent, packets_received and retransmits (as
   * stored: NaN, U32_NULL for null) of the last line written with `piece`. */
  readonly counters = new Float64Array(REPEATED_COUNTERS);
  /** `piece`, the counters in `counters` and ',"srtt_us":', once two lines in a row had
   * them (under connection churn a client's and a server's flows each move the same
   * bytes every time); else null. */
  withCounters: Piece | null = null;

  constructor(readonly piece: Piece) {}
}

// The fixed parts of a line, as bytes.
const RADDR = new Piece(asciiBytes(',"raddr":'));
const RPORT_NAME = new Piece(asciiBytes(',"rport":'));
const BYTES_RECEIVED_NAME = new Piece(asciiBytes(',"bytes_received":'));
const PACKETS_SENT_NAME = new Piece(asciiBytes(',"packets_sent":'));
const PACKETS_RECEIVED_NAME = new Piece(asciiBytes(',"packets_received":'));
const RETRANSMITS_NAME = new Piece(asciiBytes(',"retransmits":'));
const SRTT_NAME = new Piece(asciiBytes(',"srtt_us":'));
const LATENCY_NAME = new Piece(asciiBytes(',"connect_latency_us":'));
const END_NAME = new Piece(asciiBytes(',"end":'));
const NULL = new Piece(asciiBytes('null'));
/** The counters in a line's order: fields of `num`, then (from COUNTER_U32_FROM) of `int`,
 * each after its name (the first one's ends the owner's piece). */
const COUNTER_FIELDS = [BYTES_SENT, BYTES_RECEIVED, PACKETS_SENT, PACKETS_RECEIVED, RETRANSMITS, SRTT_US, CONNECT_LATENCY_US];
const COUNTER_U32_FROM = 4;
/** The counters a DirectionText's withCounters holds: those before srtt_us. */
const REPEATED_COUNTERS = 5;
const COUNTER_NAMES = [null as unknown as Piece, BYTES_RECEIVED_NAME, PACKETS_SENT_NAME, PACKETS_RECEIVED_NAME, RETRANSMITS_NAME, SRTT_NAME, LATENCY_NAME];
const SEEN_TRUE = new Piece(asciiBytes(',"seen_at_start":true}\n'));
const SEEN_FALSE = new Piece(asciiBytes(',"seen_at_start":false}\n'));

/** Caches of encoded parts keyed by strings (local addresses, state words) stop growing here. */
const MAX_CACHED = 4096;

export class FlowJsonLines {
  /** Per shared owner object (the reducer shares one per process and identity). */
  private owners = new WeakMap<Owner, OwnerText>();
  /** The state the caches were made for (a version means nothing in another). */
  private forState: CoreState | null = null;
  /** The owner of the last line and its text: consecutive lines mostly share it. */
  private lastOwner: Owner | null = null;
  private lastText: OwnerText | null = null;
  /** The one before (a churning client's and its server's lines alternate). */
  private prevOwner: Owner | null = null;
  private prevText: OwnerText | null = null;
  /** '{"proto":...,"family":...,"laddr":...,"lport":' per local address, at [proto udp * 2 +
   * family 6] (tcp/udp, 4/6; other values are written as they come). */
  private readonly heads = new Map<string, Array<Piece | undefined>>();
  /** The last head and what it was for (consecutive lines mostly share a local address). */
  private lastHeadAddr = '';
  private lastHeadKind = -1;
  private lastHead: Piece | null = null;
  /** ',"raddr":...,"rport":' per remote address, and the last one asked for (consecutive
   * lines mostly share it: a client and its server on one host). */
  private readonly remotes = new Map<string, Piece>();
  private lastRemote = '';
  private lastRemotePiece: Piece | null = null;
  /** ',"state":...,"start":' per state word. */
  private readonly states = new Map<string, Piece>();
  private lastState = '';
  private lastStatePiece: Piece | null = null;
  /** A flow's row values for a flow that is not a view of the store (copied in: writeRow). */
  private readonly scratchNum = new Float64Array(NUM_STRIDE);
  private readonly scratchInt = new Int32Array(INT_STRIDE);
  private readonly parts: [string, string, string] = ['', '', ''];
  /** Per time of a line (start, end): the whole second (of wall ms) of the last one
   * written, and its first 20 bytes (a flow's start and end can be seconds apart), as the
   * doubles of its bytes 0-7, 8-15 and 12-19 (ASCII: never a NaN) for three 8-byte stores. */
  private readonly timeSeconds = new Float64Array([NaN, NaN]);
  private readonly timePrefixes = new Float64Array(6);
  /** A DataView of the last buffer written into, for putPiece's 8-byte stores. */
  private viewed: Uint8Array | null = null;
  private view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));

  /** The line as three JSON objects whose members, in this order, are the line's (see
   * mergeObjects): merged by the writer as it encodes them, with no string built for the
   * whole line. Valid until the next call. */
  objects(state: CoreState, flow: Flow, fallbackBootWallMs: number | null = null): readonly [string, string, string] {
    const parts = this.parts;
    parts[0] = headText(flow);
    parts[1] = this.owner(state, flow.owner).text;
    parts[2] = tailText(state, flow, fallbackBootWallMs);
    return parts;
  }

  /** The owner's text. Facts can change (a late container name, an exec): the text is
   * reused only for the very same values, compared only when the state's facts moved. */
  private owner(state: CoreState, owner: Owner): OwnerText {
    const version = state.factsVersion;
    if (state === this.forState) {
      if (owner === this.lastOwner && this.lastText!.version === version) return this.lastText!;
      if (owner === this.prevOwner && this.prevText!.version === version) {
        const text = this.prevText!;
        this.prevOwner = this.lastOwner;
        this.prevText = this.lastText;
        this.lastOwner = owner;
        this.lastText = text;
        return text;
      }
    } else {
      // Another state: no text of the last one is reused.
      this.forState = state;
      this.owners = new WeakMap();
      this.lastOwner = null;
      this.prevOwner = null;
    }
    let known = this.owners.get(owner);
    if (known === undefined || (known.version !== version && !ownerJsonIs(known.json, state, owner))) {
      const json = ownerJson(state, { owner } as Flow);
      const text = JSON.stringify(json);
      known = { json, text, members: Buffer.from(text.slice(1, -1), 'utf8'), version, byDirection: new Map(), lastDirection: '', lastDirectionText: null };
      this.owners.set(owner, known);
    }
    known.version = version;
    if (owner !== this.lastOwner) {
      this.prevOwner = this.lastOwner;
      this.prevText = this.lastText;
    }
    this.lastOwner = owner;
    this.lastText = known;
    return known;
  }

  /** The most bytes writeLine may write for the flow, its newline included. */
  maxLineBytes(state: CoreState, flow: Flow): number {
    // JSON.stringify writes at most 6 bytes per UTF-16 unit (\u00XX); the names, numbers
    // and times of the line take less than LINE_FIXED_BYTES.
    const store = flow instanceof FlowView ? flow.rowsIn() : null;
    if (store !== null) {
      const slot = (flow as FlowView).slot;
      const int = store.int[slot >> PAGE_BITS];
      const q = (slot & PAGE_MASK) * INT_STRIDE;
      const addresses = store.addresses.values;
      const texts = store.wordOf(int[q + PROTO]).length + (addresses[int[q + LADDR]] as string).length +
        (addresses[int[q + RADDR_CODE]] as string).length + store.wordOf(int[q + DIRECTION]).length + store.wordOf(int[q + STATE]).length;
      return LINE_FIXED_BYTES + 6 * texts + this.owner(state, store.owners.values[int[q + OWNER]] as Owner).members.length;
    }
    const texts = flow.proto.length + flow.laddr.length + flow.raddr.length + flow.direction.length + flow.state.length;
    return LINE_FIXED_BYTES + 6 * texts + this.owner(state, flow.owner).members.length;
  }

  /** The line and a newline written as UTF-8 into `b` at `at` (room for maxLineBytes
   * there), byte for byte what line() encodes to, with no string made for the line or its
   * parts (building the line as strings, then encoding them, was a third of
   * `live --format jsonl`'s CPU under connection churn). Returns where it ends. A view of
   * the reducer's store is read from its rows (a getter per field, each number boxed on
   * its way out, were a tenth of the main thread); any other flow is copied into rows of
   * its own first. */
  writeLine(b: Buffer, at: number, state: CoreState, flow: Flow, fallbackBootWallMs: number | null = null): number {
    return this.writeLineWithin(b, at, Infinity, state, flow, fallbackBootWallMs);
  }

  /** writeLine when the line surely ends by `limit`, else -1 with nothing written: the
   * room is judged from the cached parts the line is made of, which writeLine looks up
   * anyway (maxLineBytes first looked up the same texts and owner again: 5% of
   * `live --format jsonl`'s main thread under churn). */
  writeLineWithin(b: Buffer, at: number, limit: number, state: CoreState, flow: Flow, fallbackBootWallMs: number | null = null): number {
    const store = flow instanceof FlowView ? flow.rowsIn() : null;
    if (store !== null) {
      const slot = (flow as FlowView).slot;
      const page = slot >> PAGE_BITS;
      const row = slot & PAGE_MASK;
      const int = store.int[page];
      const q = row * INT_STRIDE;
      const addresses = store.addresses.values;
      return this.writeRow(b, at, limit, state, store.num[page], row * NUM_STRIDE, int, q, store.wordOf(int[q + PROTO]), addresses[int[q + LADDR]] as string,
        addresses[int[q + RADDR_CODE]] as string, store.wordOf(int[q + DIRECTION]), store.owners.values[int[q + OWNER]] as Owner,
        store.wordOf(int[q + STATE]), fallbackBootWallMs);
    }
    const num = this.scratchNum;
    const int = this.scratchInt;
    int[PORTS] = (flow.lport & 0xffff) | (flow.rport << 16);
    num[BYTES_SENT] = flow.bytesSent ?? NaN;
    num[BYTES_RECEIVED] = flow.bytesReceived ?? NaN;
    num[PACKETS_SENT] = flow.packetsSent ?? NaN;
    num[PACKETS_RECEIVED] = flow.packetsReceived ?? NaN;
    int[RETRANSMITS] = u32Field(flow.retransmits);
    int[SRTT_US] = u32Field(flow.srttUs);
    int[CONNECT_LATENCY_US] = u32Field(flow.connectLatencyUs);
    num[START_TS] = flow.startTs;
    num[END_TS] = flow.endTs ?? NaN;
    int[FAMILY_FLAGS] = (flow.family & 0xff) | (flow.seenAtStart ? SEEN_AT_START_BIT : 0);
    return this.writeRow(b, at, limit, state, num, 0, int, 0, flow.proto, flow.laddr, flow.raddr, flow.direction, flow.owner, flow.state, fallbackBootWallMs);
  }

  /** writeLineWithin of a flow that opened and closed in one record (its two events, as
   * CoreOptions.onBriefDone gives them), read from the events with no Flow made of them. */
  writeBriefWithin(b: Buffer, at: number, limit: number, state: CoreState, open: FlowOpenEvent, close: FlowCloseEvent,
    fallbackBootWallMs: number | null = null): number {
    const num = this.scratchNum;
    const int = this.scratchInt;
    const c = close.counters;
    int[PORTS] = (open.lport & 0xffff) | (open.rport << 16);
    num[BYTES_SENT] = c.bytesSent;
    num[BYTES_RECEIVED] = c.bytesReceived;
    num[PACKETS_SENT] = c.packetsSent ?? NaN;
    num[PACKETS_RECEIVED] = c.packetsReceived ?? NaN;
    int[RETRANSMITS] = u32Field(c.retransmits);
    int[SRTT_US] = u32Field(c.srttUs);
    int[CONNECT_LATENCY_US] = u32Field(open.connectLatencyUs);
    num[START_TS] = open.ts;
    num[END_TS] = close.ts;
    int[FAMILY_FLAGS] = (open.family & 0xff) | (open.seenAtStart ? SEEN_AT_START_BIT : 0);
    return this.writeRow(b, at, limit, state, num, 0, int, 0, open.proto, open.laddr, open.raddr, open.direction, open.owner, 'closed', fallbackBootWallMs);
  }

  /** writeLine of the flow whose numbers are in rows `num` at `o` and `int` at `q`
   * (flow-fields.ts; NaN is null), with these texts and owner. */
  private writeRow(b: Buffer, at: number, limit: number, state: CoreState, num: Float64Array, o: number, int: Int32Array, q: number, proto: string,
    laddr: string, raddr: string, direction: string, owner: Owner, st: string, fallbackBootWallMs: number | null): number {
    const flags = int[q + FAMILY_FLAGS];
    const family = flags & 0xff;
    const ports = int[q + PORTS];
    const head = this.head(proto, family, laddr);
    const remote = this.remote(raddr);
    const owned = this.withDirection(this.owner(state, owner), direction);
    const stateStart = this.stateStart(st);
    const headBytes = head !== undefined ? head.length : HEAD_FIXED_BYTES + 6 * (proto.length + laddr.length);
    if (at + headBytes + remote.length + owned.piece.length + stateStart.length + ROW_FIXED_BYTES > limit) return -1;
    if (b !== this.viewed) {
      this.view = new DataView(b.buffer, b.byteOffset, b.length);
      this.viewed = b;
    }
    const v = this.view;
    if (head !== undefined) at = putPiece(b, v, at, head);
    else {
      at = asciiAt(b, at, '{"proto":');
      at = jsonStringAt(b, at, proto);
      at = asciiAt(b, at, ',"family":');
      at = numberAt(b, at, family);
      at = asciiAt(b, at, ',"laddr":');
      at = jsonStringAt(b, at, laddr);
      at = asciiAt(b, at, ',"lport":');
    }
    at = numberAt(b, at, ports & 0xffff);
    at = putPiece(b, v, at, remote);
    at = numberAt(b, at, ports >>> 16);
    // The counters before srtt_us as the last line of this owner and direction had them:
    // copied with the owner's piece when they repeat (withCounters), else written and
    // kept as such a piece once they repeated.
    const seen = owned.counters;
    const same = num[o + BYTES_SENT] === seen[0] && num[o + BYTES_RECEIVED] === seen[1] && num[o + PACKETS_SENT] === seen[2] &&
      num[o + PACKETS_RECEIVED] === seen[3] && int[q + RETRANSMITS] === seen[4];
    if (same && owned.withCounters !== null) at = putPiece(b, v, at, owned.withCounters);
    else {
      const from = at;
      at = putPiece(b, v, at, owned.piece);
      at = this.countersAt(b, v, at, num, o, int, q, 0, REPEATED_COUNTERS);
      at = putPiece(b, v, at, SRTT_NAME);
      if (same) owned.withCounters = new Piece(Buffer.from(b.subarray(from, at)));
      else {
        seen[0] = num[o + BYTES_SENT];
        seen[1] = num[o + BYTES_RECEIVED];
        seen[2] = num[o + PACKETS_SENT];
        seen[3] = num[o + PACKETS_RECEIVED];
        seen[4] = int[q + RETRANSMITS];
        owned.withCounters = null;
      }
    }
    at = this.countersAt(b, v, at, num, o, int, q, REPEATED_COUNTERS, COUNTER_FIELDS.length);
    at = putPiece(b, v, at, stateStart);
    // The two times, as jsonStringOrNull(flowTimeIso(...)) (flow-json.ts) writes them, in
    // this loop rather than a call per time: a double passed to a call that is not inlined
    // is a new heap number, and these are above V8's small integers. With no boot time
    // both are null here, outside the loop: a `bootMs === null ? NaN : ...` inside it made
    // every time's ms a heap number (32 of the line's 48 bytes of garbage).
    const bootMs = state.bootWallMs ?? fallbackBootWallMs;
    if (bootMs === null) {
      at = putPiece(b, v, at, NULL);
      at = putPiece(b, v, at, END_NAME);
      at = putPiece(b, v, at, NULL);
    } else {
      at = this.timesAt(b, v, at, bootMs, num, o);
    }
    return putPiece(b, v, at, (flags & SEEN_AT_START_BIT) !== 0 ? SEEN_TRUE : SEEN_FALSE);
  }

  /** The values of counters `from` to `to` - 1 (bytes_sent to connect_latency_us) and the
   * names between them, of the flow whose rows are `num` at `o` and `int` at `q`: one
   * loop, so numberAt is inlined in one place here rather than called 7 times from writeRow. */
  private countersAt(b: Buffer, v: DataView<ArrayBufferLike>, at: number, num: Float64Array, o: number, int: Int32Array, q: number, from: number,
    to: number): number {
    for (let k = from; k < to; k++) {
      if (k > from) at = putPiece(b, v, at, COUNTER_NAMES[k]);
      const f = COUNTER_FIELDS[k];
      const x = k < COUNTER_U32_FROM ? num[o + f] : u32Number(int[q + f]);
      // null (NaN) here: passed to a call that is not inlined, a NaN is a new heap number
      // (8.7 bytes of garbage per line with it, 0.7 without: jsonl-lines).
      if (x !== x) at = putPiece(b, v, at, NULL);
      else at = numberAt(b, at, x);
    }
    return at;
  }

  /** The start's value, ',"end":' and the end's value, of the flow whose row of `num` is
   * at `o`, for the boot's wall-clock ms. The row, not the times, is passed: a double passed
   * to a call that is not inlined is a new heap number. */
  private timesAt(b: Buffer, v: DataView<ArrayBufferLike>, at: number, bootMs: number, num: Float64Array, o: number): number {
    for (let k = 0; k < 2; k++) {
      const ts = k === 0 ? num[o + START_TS] : num[o + END_TS];
      if (k === 1) {
        at = putPiece(b, v, at, END_NAME);
        if (ts !== ts) return putPiece(b, v, at, NULL);
      }
      const ms = Math.round(bootMs + ts / 1e6);
      if (!Number.isFinite(ms)) {
        at = putPiece(b, v, at, NULL);
        continue;
      }
      b[at++] = 0x22;
      const second = Math.floor(ms / 1000);
      if (second === this.timeSeconds[k]) {
        // The second's "YYYY-MM-DDTHH:MM:SS." as isoTimeAt wrote it last, then "mmmZ".
        const w = this.timePrefixes;
        v.setFloat64(at, w[3 * k], true);
        v.setFloat64(at + 8, w[3 * k + 1], true);
        v.setFloat64(at + 12, w[3 * k + 2], true);
        at = millisZAt(b, at + 20, ms - second * 1000);
      } else {
        at = this.newSecondAt(b, v, at, k, ms);
      }
      b[at++] = 0x22;
    }
    return at;
  }

  /** A time whose second is not the last one written for time `k`: written whole, and its
   * second's text kept. */
  private newSecondAt(b: Buffer, v: DataView<ArrayBufferLike>, at: number, k: number, ms: number): number {
    const from = at;
    at = isoTimeAt(b, at, ms);
    if (ms >= 0 && ms < 1e13) {
      const w = this.timePrefixes;
      w[3 * k] = v.getFloat64(from, true);
      w[3 * k + 1] = v.getFloat64(from + 8, true);
      w[3 * k + 2] = v.getFloat64(from + 12, true);
      this.timeSeconds[k] = Math.floor(ms / 1000);
    }
    return at;
  }

  /** The encoded start of a line up to the local port's value, or undefined for a proto
   * or family written as it comes. */
  private head(proto: string, family: number, laddr: string): Piece | undefined {
    const k = proto === 'tcp' ? 0 : proto === 'udp' ? 2 : -1;
    if (k < 0 || (family !== 4 && family !== 6)) return undefined;
    const i = k + (family === 6 ? 1 : 0);
    if (laddr === this.lastHeadAddr && i === this.lastHeadKind) return this.lastHead!;
    let forAddr = this.heads.get(laddr);
    if (forAddr === undefined) {
      if (this.heads.size >= MAX_CACHED) this.heads.clear();
      forAddr = [undefined, undefined, undefined, undefined];
      this.heads.set(laddr, forAddr);
    }
    let h = forAddr[i];
    if (h === undefined) {
      h = new Piece(Buffer.from(`{"proto":${jsonString(proto)},"family":${family},"laddr":${jsonString(laddr)},"lport":`, 'utf8'));
      forAddr[i] = h;
    }
    this.lastHeadAddr = laddr;
    this.lastHeadKind = i;
    this.lastHead = h;
    return h;
  }

  /** ',"raddr":' + the address as JSON + ',"rport":'. */
  private remote(raddr: string): Piece {
    if (raddr === this.lastRemote && this.lastRemotePiece !== null) return this.lastRemotePiece;
    let r = this.remotes.get(raddr);
    if (r === undefined) {
      if (this.remotes.size >= MAX_CACHED) this.remotes.clear();
      r = new Piece(Buffer.concat([RADDR.bytes, jsonStringBytes(raddr), RPORT_NAME.bytes]));
      this.remotes.set(raddr, r);
    }
    this.lastRemote = raddr;
    this.lastRemotePiece = r;
    return r;
  }

  /** ',"direction":...,' + the owner's members + ',"bytes_sent":' (DirectionText). */
  private withDirection(owner: OwnerText, direction: string): DirectionText {
    if (direction === owner.lastDirection && owner.lastDirectionText !== null) return owner.lastDirectionText;
    let d = owner.byDirection.get(direction);
    if (d === undefined) {
      d = new DirectionText(new Piece(Buffer.concat([asciiBytes(',"direction":'), jsonStringBytes(direction), asciiBytes(','), owner.members, asciiBytes(',"bytes_sent":')])));
      owner.byDirection.set(direction, d);
    }
    owner.lastDirection = direction;
    owner.lastDirectionText = d;
    return d;
  }

  /** ',"state":...,"start":'. */
  private stateStart(st: string): Piece {
    if (st === this.lastState && this.lastStatePiece !== null) return this.lastStatePiece;
    let s = this.states.get(st);
    if (s === undefined) {
      if (this.states.size >= MAX_CACHED) this.states.clear();
      s = new Piece(Buffer.concat([asciiBytes(',"state":'), jsonStringBytes(st), asciiBytes(',"start":')]));
      this.states.set(st, s);
    }
    this.lastState = st;
    this.lastStatePiece = s;
    return s;
  }

  /** The line as one string. */
  line(state: CoreState, flow: Flow, fallbackBootWallMs: number | null = null): string {
    return mergeObjects(this.objects(state, flow, fallbackBootWallMs));
  }
}

/** JSON.stringify(headJson(flow)) (flow-json.ts). */
export function headText(flow: Flow): string {
  return `{"proto":${jsonString(flow.proto)},"family":${jsonNumber(flow.family)},"laddr":${jsonString(flow.laddr)},` +
    `"lport":${jsonNumber(flow.lport)},"raddr":${jsonString(flow.raddr)},"rport":${jsonNumber(flow.rport)},` +
    `"direction":${jsonString(flow.direction)}}`;
}

/** JSON.stringify(tailJson(state, flow, fallbackBootWallMs)) (flow-json.ts). */
export function tailText(state: CoreState, flow: Flow, fallbackBootWallMs: number | null): string {
  const end = flow.endTs === null ? null : flowTimeIso(state, flow.endTs, fallbackBootWallMs);
  return `{"bytes_sent":${jsonNumber(flow.bytesSent)},"bytes_received":${jsonNumber(flow.bytesReceived)},` +
    `"packets_sent":${jsonNumber(flow.packetsSent)},"packets_received":${jsonNumber(flow.packetsReceived)},` +
    `"retransmits":${jsonNumber(flow.retransmits)},"srtt_us":${jsonNumber(flow.srttUs)},` +
    `"connect_latency_us":${jsonNumber(flow.connectLatencyUs)},"state":${jsonString(flow.state)},` +
    `"start":${jsonStringOrNull(flowTimeIso(state, flow.startTs, fallbackBootWallMs))},"end":${jsonStringOrNull(end)},` +
    `"seen_at_start":${flow.seenAtStart}}`;
}

/** JSON objects (non-empty) merged into one: each "}{" between two becomes ",". */
export function mergeObjects(objects: readonly string[]): string {
  return objects.map((o, i) => o.slice(i === 0 ? 0 : 1, i === objects.length - 1 ? o.length : -1)).join(',');
}

/** Whether ownerJson(state, flow) would have the values of `a` for a flow of `o`. */
function ownerJsonIs(a: OwnerJson, state: CoreState, o: Owner): boolean {
  if (a.pid !== o.pid || a.tid !== o.tid || a.ppid !== o.ppid || a.comm !== o.comm || a.uid !== o.uid || a.gid !== o.gid) return false;
  const flow = { owner: o } as Flow;
  const proc = flowProcess(state, flow);
  if (a.exe !== (proc?.exe ?? null) || a.cmdline !== (proc?.cmdline ?? null) || a.user !== flowUser(state, flow)) return false;
  return a.cgroup === (flowCgroup(state, flow)?.path ?? null) && sameContainer(a.container, flowContainer(state, flow));
}

function sameContainer(a: OwnerJson['container'], b: Container | null): boolean {
  if (a === null || b === null) return a === b;
  return a.id === b.id && a.runtime === b.runtime && a.name === b.name && a.pod === b.pod && a.namespace === b.namespace;
}


/** Room for the parts of a line writeLine writes other than its texts and the owner's:
 * member names (~260 bytes), 10 numbers of at most 24 characters, two times of 24. */
const LINE_FIXED_BYTES = 600;
/** The same for writeLineWithin's bound, beside its cached parts: the member names not in
 * them (~130 bytes), 9 numbers of at most 24 characters, two quoted times of 24 (~440). */
const ROW_FIXED_BYTES = 600;
/** A head written as it comes: its member names and the family (~60 bytes), beside its texts. */
const HEAD_FIXED_BYTES = 100;
