// A table's rows in sort order, computed only as far as they are looked at. The screen
// shows a window of rows (about 35) and asks where its selected row is; sorting all
// 10,000-100,000 flows once per interval for that was most of the selection's work. Rows
// at the top come from a top-k selection, rows at the bottom (End) from the same
// selection in the reverse order, and a window in the middle from a full sort. The
// order is sortRows's exactly (sort.ts): same values, missing last, ties by input order.
import { arraySource, type RowSource } from './flow-table';
import { rowOrder, type IndexOrder } from './row-order';
import type { TableRow } from './rows';
import type { SortSpec } from './sort';
import { topK } from './top-k';

/** What the view needs of a table's rows: a window, one row, and where a row is. */
export interface RowList<T extends TableRow = TableRow> {
  readonly length: number;
  at(i: number): T | undefined;
  /** Rows start..end-1 in order (clamped). */
  slice(start: number, end: number): T[];
  /** Position of the row with this key, or -1. */
  indexOfKey(key: string): number;
}

/** Selections smaller than this are worth no top-k bookkeeping: the head grows to it. */
const MIN_SELECT = 64;

export class OrderedRows<T extends TableRow> implements RowList<T> {
  readonly length: number;
  private orderFn: IndexOrder | null = null;
  /** Indices of the first head.length rows, in order. */
  private head: number[] = [];
  /** Indices of the last tail.length rows, last first. */
  private tail: number[] = [];

  private readonly rows: RowSource<T>;

  /** Over an array of rows, or over rows by position (a FlowTable's: row objects are
   * made only for the positions asked for). */
  constructor(rows: readonly T[] | RowSource<T>, private readonly spec: SortSpec) {
    this.rows = Array.isArray(rows) ? arraySource(rows as readonly T[]) : (rows as RowSource<T>);
    this.length = this.rows.length;
  }

  private get order(): IndexOrder {
    return (this.orderFn ??= rowOrder(this.rows, this.spec));
  }

  at(i: number): T | undefined {
    return i >= 0 && i < this.length ? this.slice(i, i + 1)[0] : undefined;
  }

  slice(start: number, end: number): T[] {
    const n = this.length;
    start = Math.max(0, start);
    end = Math.min(n, end);
    if (start >= end) return [];
    this.cover(start, end);
    const out = new Array<T>(end - start);
    for (let p = start; p < end; p++) {
      out[p - start] = this.rows.row(p < this.head.length ? this.head[p] : this.tail[n - 1 - p]);
    }
    return out;
  }

  /** Makes head or tail reach over start..end-1. */
  private cover(start: number, end: number): void {
    const n = this.length;
    if (end <= this.head.length || start >= n - this.tail.length) return;
    const fromTop = end;
    const fromBottom = n - start;
    if (Math.min(fromTop, fromBottom) > n / 4) {
      // Deep in the middle (the selected row followed to its place after a new sort): a
      // full sort, which the engine's sort does faster than a heap that large.
      const idx = new Array<number>(n);
      for (let i = 0; i < n; i++) idx[i] = i;
      this.head = idx.sort(this.order);
      this.tail = [];
    } else if (fromTop <= fromBottom) {
      this.head = topK(n, Math.max(fromTop, 2 * this.head.length, MIN_SELECT), this.order);
    } else {
      this.tail = topK(n, Math.max(fromBottom, 2 * this.tail.length, MIN_SELECT), this.order, true);
    }
  }

  indexOfKey(key: string): number {
    const { head, tail, rows } = this;
    let i = -1;
    if (rows.find) i = rows.find(key);
    else {
      for (let j = 0; j < rows.length; j++) {
        if (rows.peek(j).key === key) {
          i = j;
          break;
        }
      }
    }
    if (i < 0) return -1;
    const p = head.indexOf(i);
    if (p >= 0) return p;
    const q = tail.indexOf(i);
    if (q >= 0) return this.length - 1 - q;
    // Its position is the number of rows that come before it: no sort needed.
    const order = this.order;
    let rank = 0;
    for (let j = 0; j < rows.length; j++) if (j !== i && order(j, i) < 0) rank++;
    return rank;
  }
}

/** A plain array as a RowList (tests, small lists). */
export function rowListOf<T extends TableRow>(rows: readonly T[]): RowList<T> {
  return {
    length: rows.length,
    at: (i) => rows[i],
    slice: (s, e) => rows.slice(Math.max(0, s), e),
    indexOfKey: (key) => rows.findIndex((r) => r.key === key),
  };
}
