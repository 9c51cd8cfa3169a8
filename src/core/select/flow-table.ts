// Every flow's table values by position instead of one row object per flow: 100,000 flows
// are the memory benchmark, and a row object each was ~140 bytes a flow on top of the
// reducer's. Row objects are made only for what is shown (the visible window, the
// cursor's row); filtering, grouping and sorting read the table through one movable view
// (`peek`) and keep positions, not rows. A flow's numbers (rates, bytes, retransmits,
// latencies) and what never changes for it (ids, addresses, owner) are read from the
// reducer's flow store at the flow's slot, not copied here (seven columns of doubles were
// 56 bytes a flow, 5.6 MB at 100,000) nor through a view object per flow; the numbers are
// copied only while the screen is frozen (`freeze`), and a flow that leaves the store
// while the table still shows it (frozen, or until the next derive) is copied as it
// leaves (`departing`). Names, state and the close stay columns here: the filter and the
// groups' text read them, and a derive tells when they changed.
import type { FlowStore } from '../flow-store';
import { copyOf } from '../flow-view';
import { IntStack } from '../int-stack';
import {
  BYTES_RECEIVED, BYTES_SENT, CONNECT_LATENCY_US, FLOW_ID, INT_STRIDE, NUM_STRIDE, PAGE_BITS, PAGE_MASK, RETRANSMITS, RX_RATE, SRTT_US, TX_RATE,
  u32Number,
} from '../flow-fields';
import type { Flow } from '../state';
import type { ColumnId } from './columns';
import { formatEndpoint } from './format';
import { OTHER_STATE, procKeyOf, remoteKeyOf, stateName, stateTexts, uidKeyOf, type FlowRow, type OwnerNames } from './rows';

/** Rows by position: what filtering, grouping and sorting read. `peek` may return the
 * same object moved to another position on the next call (read it at once); `row` is
 * one to keep. */
export interface RowSource<T> {
  readonly length: number;
  peek(i: number): T;
  row(i: number): T;
  /** Position of the row with this key, or -1; absent: compare each row's key. */
  find?(key: string): number;
  /** Fills `out` with a numeric column's values by position (NaN for missing) and returns
   * true, when the source has that column at hand; rowOrder reads rows otherwise. */
  numbers?(column: ColumnId, out: Float64Array): boolean;
}

/** A flow's numbers by position, as group sums read them: `field` is one of the flow
 * store's fields (flow-fields.ts: TX_RATE, RX_RATE, BYTES_SENT, BYTES_RECEIVED of its
 * doubles, RETRANSMITS, SRTT_US, CONNECT_LATENCY_US of its u32s); NaN for a missing value. */
export interface NumberColumns {
  numAt(i: number, field: number): number;
}

/** The numbers a row shows, by the store field they come from (a missing one: NaN). */
function rowNum(r: FlowRow, field: number): number {
  switch (field) {
    case TX_RATE: return r.txRate;
    case RX_RATE: return r.rxRate;
    case BYTES_SENT: return r.tx;
    case BYTES_RECEIVED: return r.rx;
    case RETRANSMITS: return r.retr ?? NaN;
    case SRTT_US: return r.rttUs ?? NaN;
    case CONNECT_LATENCY_US: return r.connectUs ?? NaN;
    default: throw new Error(`not a table number: field ${field}`);
  }
}

/** The same of a flow (a copy of one that left the store). */
function flowNum(f: Flow, field: number): number {
  switch (field) {
    case TX_RATE: return f.txRate;
    case RX_RATE: return f.rxRate;
    case BYTES_SENT: return f.bytesSent;
    case BYTES_RECEIVED: return f.bytesReceived;
    case RETRANSMITS: return f.retransmits ?? NaN;
    case SRTT_US: return f.srttUs ?? NaN;
    case CONNECT_LATENCY_US: return f.connectLatencyUs ?? NaN;
    default: throw new Error(`not a table number: field ${field}`);
  }
}

/** Rows' numbers (the array path of the one-shot select and tests). */
export function numberColumnsOf(rows: readonly FlowRow[]): NumberColumns {
  return { numAt: (i, field) => rowNum(rows[i], field) };
}

/** The store field a numeric column sorts by, or -1 for one not read from there (pid, flows). */
function fieldOf(column: ColumnId): number {
  switch (column) {
    case 'txRate': return TX_RATE;
    case 'rxRate': return RX_RATE;
    case 'tx': return BYTES_SENT;
    case 'rx': return BYTES_RECEIVED;
    case 'retr': return RETRANSMITS;
    case 'rtt': return SRTT_US;
    case 'connect': return CONNECT_LATENCY_US;
    default: return -1;
  }
}

/** The store fields kept while frozen, in this order per position. */
const FROZEN_FIELDS = [TX_RATE, RX_RATE, BYTES_SENT, BYTES_RECEIVED, RETRANSMITS, SRTT_US, CONNECT_LATENCY_US];
const FROZEN_AT: number[] = [];
FROZEN_FIELDS.forEach((f, k) => (FROZEN_AT[f] = k));
const FROZEN_STRIDE = FROZEN_FIELDS.length;

/** A plain array as a RowSource (group rows, tests, the one-shot select). */
export function arraySource<T>(rows: readonly T[]): RowSource<T> {
  return { length: rows.length, peek: (i) => rows[i], row: (i) => rows[i] };
}

export class FlowTable implements RowSource<FlowRow>, NumberColumns {
  /** Flows at positions 0..length-1; the columns have room for `capacity`. */
  length = 0;
  /** The store the slots are in (set by the deriver). */
  store: FlowStore | null = null;
  /** The flow's slot in the store per position; -1 once it left (its copy in `gone`). */
  readonly slots: Int32Array;
  /** Copies of flows that left the store while still at a position here. */
  readonly gone = new Map<number, Flow>();
  /** Positions whose flow left the store into a held slot since the last derive. */
  private readonly leftHeld = new IntStack();
  readonly names: OwnerNames[];
  /** The state's text as a code (stateTexts), not a reference: 1 byte a flow, not 8. */
  readonly state: Uint8Array;
  readonly closed: Uint8Array;
  /** The numbers at each position as they were when the screen froze (FROZEN_FIELDS per
   * position), or null: read from the store. */
  private frozen: Float64Array | null = null;
  private cursor: FlowRowView | null = null;

  constructor(readonly capacity: number) {
    this.slots = new Int32Array(capacity);
    this.names = new Array<OwnerNames>(capacity);
    this.state = new Uint8Array(capacity);
    this.closed = new Uint8Array(capacity);
  }

  /** Copies position `from` to position `to` (compaction: flows that left are skipped). */
  move(from: number, to: number): void {
    this.slots[to] = this.slots[from];
    this.names[to] = this.names[from];
    this.state[to] = this.state[from];
    this.closed[to] = this.closed[from];
  }

  /** Copies position `from` of another table to position `to` (a compaction into a new table). */
  copyFrom(prev: FlowTable, from: number, to: number): void {
    this.slots[to] = prev.slots[from];
    this.names[to] = prev.names[from];
    this.state[to] = prev.state[from];
    this.closed[to] = prev.closed[from];
  }

  /** Sets the length. */
  truncate(length: number): void {
    this.length = length;
  }

  /** The flow at position i (read it at once: a slot's flow is read through the store's
   * one transient view). */
  flowAt(i: number): Flow {
    const slot = this.slots[i];
    return slot >= 0 ? this.store!.transientView(slot) : this.gone.get(i)!;
  }

  /** The store field `field` of the flow at position i (NaN: missing). */
  numAt(i: number, field: number): number {
    const f = this.frozen;
    if (f !== null) return f[i * FROZEN_STRIDE + FROZEN_AT[field]];
    const slot = this.slots[i];
    if (slot < 0) return flowNum(this.gone.get(i)!, field);
    if (field < NUM_STRIDE) return this.store!.num[slot >> PAGE_BITS][(slot & PAGE_MASK) * NUM_STRIDE + field];
    return u32Number(this.store!.int[slot >> PAGE_BITS][(slot & PAGE_MASK) * INT_STRIDE + field]);
  }

  /** Keeps the numbers of every position as they are now, until `thaw`: the screen is
   * frozen while the reducer goes on writing the store. */
  freeze(): void {
    // Flows that left since the last derive are still in their held slots: copied now, and
    // while frozen the store reuses released slots at once (each copied as it leaves).
    const store = this.store;
    if (store !== null && store.holding) {
      for (let k = 0; k < this.leftHeld.length; k++) this.departing(this.leftHeld.at(k));
      this.leftHeld.clear();
      store.holdReleased(false);
    }
    const n = this.length;
    const f = new Float64Array(n * FROZEN_STRIDE);
    for (let i = 0; i < n; i++) for (let k = 0; k < FROZEN_STRIDE; k++) f[i * FROZEN_STRIDE + k] = this.numAt(i, FROZEN_FIELDS[k]);
    this.frozen = f;
  }

  /** Reads the store again (the deriver, before it brings the table up to date). */
  thaw(): void {
    this.frozen = null;
  }

  flowIdAt(i: number): number {
    const slot = this.slots[i];
    return slot >= 0 ? this.store!.numAt(slot, FLOW_ID) : this.gone.get(i)!.flowId;
  }

  /** The flow at position i left the store, whose slot stays readable until the next
   * derive (FlowStore.holdReleased): nothing to copy unless the screen freezes first. */
  leftHeldAt(i: number): void {
    this.leftHeld.push(i);
  }

  /** Positions whose flow left the store since the last derive (held or copied). */
  get departures(): number {
    return this.leftHeld.length + this.gone.size;
  }

  /** The positions of flows that left into held slots read -1, as copied ones do (the
   * deriver, compacting the table, skips them). */
  markLeftHeld(): void {
    for (let k = 0; k < this.leftHeld.length; k++) this.slots[this.leftHeld.at(k)] = -1;
  }

  /** The derive brought the table up to date: no position shows a held slot any more. */
  settled(): void {
    this.leftHeld.clear();
  }

  /** The flow at position i is leaving the store: a copy takes its place. */
  departing(i: number): void {
    this.gone.set(i, copyOf(this.store!.transientView(this.slots[i])));
    this.slots[i] = -1;
  }

  /** A row to keep (it reads the columns, so it shows what the next derive writes). */
  row(i: number): FlowRow {
    return new FlowRowView(this, i);
  }

  /** The table's one movable view, at position i. */
  peek(i: number): FlowRow {
    const c = (this.cursor ??= new FlowRowView(this, 0));
    c.i = i;
    return c;
  }

  /** Position of the flow with this row key (`f:<flowId>`), or -1. */
  find(key: string): number {
    const id = flowIdOfKey(key);
    if (id === null) return -1;
    for (let i = 0; i < this.length; i++) if (this.flowIdAt(i) === id) return i;
    return -1;
  }

  numbers(column: ColumnId, out: Float64Array): boolean {
    const field = fieldOf(column);
    if (field < 0) return false;
    for (let i = 0; i < this.length; i++) out[i] = this.numAt(i, field);
    return true;
  }

  /** Every row as an object (tests, the one-shot select()). */
  rows(): FlowRow[] {
    return Array.from({ length: this.length }, (_, i) => this.row(i));
  }
}

/** The flow id in a flow row's key, or null for another key. */
export function flowIdOfKey(key: string): number | null {
  if (!key.startsWith('f:')) return null;
  const id = Number(key.slice(2));
  return Number.isInteger(id) ? id : null;
}

/** The table's positions `idx` (all of them when null) as a RowSource. */
export function tableSource(table: FlowTable, idx: Int32Array | null): RowSource<FlowRow> {
  if (idx === null) return table;
  return {
    length: idx.length,
    peek: (i) => table.peek(idx[i]),
    row: (i) => table.row(idx[i]),
    find: (key) => {
      const id = flowIdOfKey(key);
      if (id === null) return -1;
      for (let i = 0; i < idx.length; i++) if (table.flowIdAt(idx[i]) === id) return i;
      return -1;
    },
    numbers: (column, out) => {
      const field = fieldOf(column);
      if (field < 0) return false;
      for (let i = 0; i < idx.length; i++) out[i] = table.numAt(idx[i], field);
      return true;
    },
  };
}

const nullable = (v: number) => (v !== v ? null : v);

/** A flow row read from a table's columns at position `i`: what changes (names, state,
 * numbers) from the columns, what never changes for a flow (ids, addresses, owner) from
 * the flow; endpoint texts made when asked for. Getters: a spread copy lacks them. */
class FlowRowView implements FlowRow {
  constructor(private readonly t: FlowTable, public i: number) {}

  private get flow(): Flow {
    return this.t.flowAt(this.i);
  }
  get kind(): 'flow' {
    return 'flow';
  }
  get flows(): number {
    return 1;
  }
  get key(): string {
    return `f:${this.flow.flowId}`;
  }
  get flowId(): number {
    return this.flow.flowId;
  }
  get pid(): number {
    return this.flow.owner.pid;
  }
  get comm(): string {
    return this.flow.owner.comm;
  }
  get uid(): number {
    return this.flow.owner.uid;
  }
  get proto(): string {
    return this.flow.proto;
  }
  get family(): 4 | 6 {
    return this.flow.family;
  }
  get laddr(): string {
    return this.flow.laddr;
  }
  get lport(): number {
    return this.flow.lport;
  }
  get raddr(): string {
    return this.flow.raddr;
  }
  get rport(): number {
    return this.flow.rport;
  }
  get direction(): string {
    return this.flow.direction;
  }
  get startTs(): number {
    return this.flow.startTs;
  }
  get local(): string {
    const f = this.flow;
    return formatEndpoint(f.laddr, f.lport, f.family);
  }
  get remote(): string {
    const f = this.flow;
    return formatEndpoint(f.raddr, f.rport, f.family);
  }
  get process(): string {
    return this.t.names[this.i].process;
  }
  get user(): string {
    return this.t.names[this.i].user;
  }
  get container(): string {
    return this.t.names[this.i].container;
  }
  get exe(): string | null {
    return this.t.names[this.i].exe;
  }
  get userName(): string | null {
    return this.t.names[this.i].userName;
  }
  get containerId(): string | null {
    return this.t.names[this.i].containerId;
  }
  get containerName(): string | null {
    return this.t.names[this.i].containerName;
  }
  get pod(): string | null {
    return this.t.names[this.i].pod;
  }
  get podNamespace(): string | null {
    return this.t.names[this.i].podNamespace;
  }
  get containerKey(): string {
    return this.t.names[this.i].containerKey;
  }
  get procKey(): string {
    return procKeyOf(this.flow.owner);
  }
  get userKey(): string {
    return uidKeyOf(this.flow.owner.uid);
  }
  get remoteKey(): string {
    return remoteKeyOf(this.flow.raddr);
  }
  get state(): string {
    const c = this.t.state[this.i];
    return c === OTHER_STATE ? stateName(this.flow.state) : stateTexts[c];
  }
  get closed(): boolean {
    return this.t.closed[this.i] === 1;
  }
  get txRate(): number {
    return this.t.numAt(this.i, TX_RATE);
  }
  get rxRate(): number {
    return this.t.numAt(this.i, RX_RATE);
  }
  get tx(): number {
    return this.t.numAt(this.i, BYTES_SENT);
  }
  get rx(): number {
    return this.t.numAt(this.i, BYTES_RECEIVED);
  }
  get retr(): number | null {
    return nullable(this.t.numAt(this.i, RETRANSMITS));
  }
  get rttUs(): number | null {
    return nullable(this.t.numAt(this.i, SRTT_US));
  }
  get connectUs(): number | null {
    return nullable(this.t.numAt(this.i, CONNECT_LATENCY_US));
  }
}
