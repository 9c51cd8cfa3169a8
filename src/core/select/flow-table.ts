// Every flow's table values in columns (typed arrays for the numbers) instead of one row
// object per flow: 100,000 flows are the memory benchmark, and a row object each was
// ~140 bytes a flow on top of the reducer's. Row objects are made only for what is shown
// (the visible window, the cursor's row); filtering, grouping and sorting read the
// columns through one movable view (`peek`) and keep positions, not rows. What never
// changes for a flow (ids, addresses, owner) is read from the reducer's flow store at the
// flow's slot, not through a view object per flow (48 bytes each plus two array entries:
// 6 MB at 100,000 flows); a flow that leaves the store while the table still shows it
// (frozen, or until the next derive) is copied as it leaves (`departing`).
import type { FlowStore } from '../flow-store';
import { copyOf } from '../flow-view';
import { FLOW_ID } from '../flow-fields';
import type { Flow } from '../state';
import type { ColumnId } from './columns';
import { formatEndpoint } from './format';
import { procKeyOf, remoteKeyOf, uidKeyOf, type FlowRow, type OwnerNames } from './rows';

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

/** The number columns group sums read, by position; NaN for a missing value. */
export interface NumberColumns {
  txRate: ArrayLike<number>;
  rxRate: ArrayLike<number>;
  tx: ArrayLike<number>;
  rx: ArrayLike<number>;
  retr: ArrayLike<number>;
  rttUs: ArrayLike<number>;
  connectUs: ArrayLike<number>;
}

/** Rows' numbers as columns (the array path of the one-shot select and tests). */
export function numberColumnsOf(rows: readonly FlowRow[]): NumberColumns {
  const n = rows.length;
  const c = {
    txRate: new Float64Array(n), rxRate: new Float64Array(n), tx: new Float64Array(n), rx: new Float64Array(n),
    retr: new Float64Array(n), rttUs: new Float64Array(n), connectUs: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    c.txRate[i] = r.txRate;
    c.rxRate[i] = r.rxRate;
    c.tx[i] = r.tx;
    c.rx[i] = r.rx;
    c.retr[i] = r.retr ?? NaN;
    c.rttUs[i] = r.rttUs ?? NaN;
    c.connectUs[i] = r.connectUs ?? NaN;
  }
  return c;
}

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
  readonly names: OwnerNames[];
  readonly state: string[];
  readonly closed: Uint8Array;
  readonly txRate: Float64Array;
  readonly rxRate: Float64Array;
  readonly tx: Float64Array;
  readonly rx: Float64Array;
  /** NaN for a missing value (null in a row). */
  readonly retr: Float64Array;
  readonly rttUs: Float64Array;
  readonly connectUs: Float64Array;
  private cursor: FlowRowView | null = null;

  constructor(readonly capacity: number) {
    this.slots = new Int32Array(capacity);
    this.names = new Array<OwnerNames>(capacity);
    this.state = new Array<string>(capacity);
    this.closed = new Uint8Array(capacity);
    this.txRate = new Float64Array(capacity);
    this.rxRate = new Float64Array(capacity);
    this.tx = new Float64Array(capacity);
    this.rx = new Float64Array(capacity);
    this.retr = new Float64Array(capacity);
    this.rttUs = new Float64Array(capacity);
    this.connectUs = new Float64Array(capacity);
  }

  /** Copies position `from` to position `to` (compaction: flows that left are skipped). */
  move(from: number, to: number): void {
    this.slots[to] = this.slots[from];
    this.names[to] = this.names[from];
    this.state[to] = this.state[from];
    this.closed[to] = this.closed[from];
    this.txRate[to] = this.txRate[from];
    this.rxRate[to] = this.rxRate[from];
    this.tx[to] = this.tx[from];
    this.rx[to] = this.rx[from];
    this.retr[to] = this.retr[from];
    this.rttUs[to] = this.rttUs[from];
    this.connectUs[to] = this.connectUs[from];
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

  flowIdAt(i: number): number {
    const slot = this.slots[i];
    return slot >= 0 ? this.store!.numAt(slot, FLOW_ID) : this.gone.get(i)!.flowId;
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

  /** The column sorted by `column`, or null for one not kept here (pid, flows). */
  column(column: ColumnId): Float64Array | null {
    switch (column) {
      case 'txRate': return this.txRate;
      case 'rxRate': return this.rxRate;
      case 'tx': return this.tx;
      case 'rx': return this.rx;
      case 'retr': return this.retr;
      case 'rtt': return this.rttUs;
      case 'connect': return this.connectUs;
      default: return null;
    }
  }

  numbers(column: ColumnId, out: Float64Array): boolean {
    const c = this.column(column);
    if (c === null) return false;
    out.set(c.subarray(0, this.length));
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
      const c = table.column(column);
      if (c === null) return false;
      for (let i = 0; i < idx.length; i++) out[i] = c[idx[i]];
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
    return this.t.state[this.i];
  }
  get closed(): boolean {
    return this.t.closed[this.i] === 1;
  }
  get txRate(): number {
    return this.t.txRate[this.i];
  }
  get rxRate(): number {
    return this.t.rxRate[this.i];
  }
  get tx(): number {
    return this.t.tx[this.i];
  }
  get rx(): number {
    return this.t.rx[this.i];
  }
  get retr(): number | null {
    return nullable(this.t.retr[this.i]);
  }
  get rttUs(): number | null {
    return nullable(this.t.rttUs[this.i]);
  }
  get connectUs(): number | null {
    return nullable(this.t.connectUs[this.i]);
  }
}
