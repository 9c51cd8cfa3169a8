// Sorting by any column. Missing values (null) always go last, whichever the direction,
// and ties keep the input order, so the order is stable from one refresh to the next.
import { COLUMN_BY_ID, type ColumnId } from './columns';
import type { TableRow } from './rows';
import { rowOrder } from './row-order';

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
  const n = rows.length;
  const idx = new Array<number>(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  idx.sort(rowOrder(rows, spec));
  const out = new Array<T>(n);
  for (let i = 0; i < n; i++) out[i] = rows[idx[i]];
  return out;
}
