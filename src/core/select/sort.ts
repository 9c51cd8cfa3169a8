// Sorting by any column. Missing values (null) always go last, whichever the direction,
// and ties keep the input order, so the order is stable from one refresh to the next.
import { COLUMN_BY_ID, type ColumnId } from './columns';
import type { TableRow } from './rows';

export interface SortSpec {
  column: ColumnId;
  descending: boolean;
}

export const DEFAULT_SORT: SortSpec = { column: 'txRate', descending: true };

/** Pressing a column's key: the same column again inverts, another starts in its natural
 * direction (numbers largest first, names A to Z). */
export function toggleSort(current: SortSpec, column: ColumnId): SortSpec {
  if (current.column === column) return { column, descending: !current.descending };
  return { column, descending: COLUMN_BY_ID.get(column)!.numeric };
}

export function sortRows<T extends TableRow>(rows: readonly T[], spec: SortSpec): T[] {
  const col = COLUMN_BY_ID.get(spec.column)!;
  const dir = spec.descending ? -1 : 1;
  const n = rows.length;
  // Sort indices over the values read once: reading a value per comparison, or sorting
  // decorated objects, is what makes 10k-row sorts slow. Ties keep the input order (the
  // order flows were first seen), so equal rows never swap places between refreshes.
  const idx = new Array<number>(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  if (col.numeric) {
    const vals = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const v = col.value(rows[i]);
      vals[i] = v === null ? NaN : (v as number);
    }
    idx.sort((a, b) => {
      const x = vals[a];
      const y = vals[b];
      if (x === y) return a - b;
      if (x !== x) return y !== y ? a - b : 1; // NaN: missing, last either way
      if (y !== y) return -1;
      return x < y ? -dir : dir;
    });
  } else {
    const vals = new Array<string | null>(n);
    for (let i = 0; i < n; i++) vals[i] = col.value(rows[i]) as string | null;
    idx.sort((a, b) => {
      const x = vals[a];
      const y = vals[b];
      if (x === y) return a - b;
      if (x === null) return 1;
      if (y === null) return -1;
      return x < y ? -dir : dir;
    });
  }
  const out = new Array<T>(n);
  for (let i = 0; i < n; i++) out[i] = rows[idx[i]];
  return out;
}
