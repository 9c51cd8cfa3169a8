// Sorting by any column. Missing values (null) always go last, whichever the direction,
// and ties fall back to the row key so the order is stable from one refresh to the next.
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
  // Decorate once: reading a value per comparison is what makes 10k-row sorts slow.
  const keyed = rows.map((row) => ({ row, v: col.value(row) }));
  keyed.sort((a, b) => {
    if (a.v === null || b.v === null) {
      if (a.v === b.v) return a.row.key < b.row.key ? -1 : a.row.key > b.row.key ? 1 : 0;
      return a.v === null ? 1 : -1;
    }
    if (a.v < b.v) return -dir;
    if (a.v > b.v) return dir;
    return a.row.key < b.row.key ? -1 : a.row.key > b.row.key ? 1 : 0;
  });
  return keyed.map((k) => k.row);
}
