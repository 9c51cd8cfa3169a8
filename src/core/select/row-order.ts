// The table's order as a comparison of row indices: by the sort column's value, missing
// values (null) last whichever the direction, ties by input index. One definition shared
// by the full sort and the top-k selection, so both give the same order.
import { COLUMN_BY_ID } from './columns';
import { arraySource, type RowSource } from './flow-table';
import type { TableRow } from './rows';
import type { SortSpec } from './sort';

/** Negative when row `a` comes before row `b`; never 0 for a !== b (a total order). */
export type IndexOrder = (a: number, b: number) => number;

/** Reads each row's sort value once (reading one per comparison is what makes 10k-row
 * sorts slow) and returns the comparison over row indices. */
export function rowOrder(list: readonly TableRow[] | RowSource<TableRow>, spec: SortSpec): IndexOrder {
  const rows = Array.isArray(list) ? arraySource(list as readonly TableRow[]) : (list as RowSource<TableRow>);
  const col = COLUMN_BY_ID.get(spec.column)!;
  const dir = spec.descending ? -1 : 1;
  const n = rows.length;
  if (col.numeric) {
    const vals = new Float64Array(n);
    if (!rows.numbers?.(col.id, vals)) {
      for (let i = 0; i < n; i++) {
        const v = col.value(rows.peek(i));
        vals[i] = v === null ? NaN : (v as number);
      }
    }
    return (a, b) => {
      const x = vals[a];
      const y = vals[b];
      if (x === y) return a - b;
      if (x !== x) return y !== y ? a - b : 1; // NaN: missing, last either way
      if (y !== y) return -1;
      return x < y ? -dir : dir;
    };
  }
  const vals = new Array<string | null>(n);
  for (let i = 0; i < n; i++) vals[i] = col.value(rows.peek(i)) as string | null;
  return (a, b) => {
    const x = vals[a];
    const y = vals[b];
    if (x === y) return a - b;
    if (x === null) return 1;
    if (y === null) return -1;
    return x < y ? -dir : dir;
  };
}
