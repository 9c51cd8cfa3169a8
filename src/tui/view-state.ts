// What the screen is looking at, as one pure reducer (the Shopify cli-kit habit: list
// state as a reducer with an explicit visible window). Data never lives here, only the
// view: the drill-down stack with a cursor per level, sort, filter, freeze, help.
import { nextGrouping, GROUP_LABEL, type GroupBy } from '../core/select/group';
import { parseQuery, type Query } from '../core/select/query';
import { DEFAULT_SORT, toggleSort, type SortSpec } from '../core/select/sort';
import { clampWindow, type ListPosition } from '../core/select/window';
import type { TableRow } from '../core/select/rows';
import type { RowList } from '../core/select/ordered-rows';
import type { ColumnId } from '../core/select/columns';

export interface TableLevel {
  kind: 'table';
  groupBy: GroupBy;
  openGroup: string | null; // drilled into this group
  title: string; // breadcrumb text
  pos: ListPosition;
  selectedKey: string | null; // the cursor follows this row when the order changes
}

export interface DetailLevel {
  kind: 'detail';
  flowId: number;
  title: string;
}

export type Level = TableLevel | DetailLevel;

export interface ViewState {
  stack: Level[]; // never empty; stack[0] is the top table
  sort: SortSpec;
  query: Query;
  editing: { draft: string; before: string } | null; // the `/` input is open
  frozen: boolean;
  help: boolean;
}

export type ViewAction =
  | { type: 'move'; delta: number }
  | { type: 'page'; dir: 1 | -1 }
  | { type: 'home' }
  | { type: 'end' }
  | { type: 'sort'; column: ColumnId }
  | { type: 'group-next' }
  | { type: 'open' }
  | { type: 'back' }
  | { type: 'freeze' }
  | { type: 'help'; open?: boolean }
  | { type: 'filter' }
  | { type: 'filter-edit'; draft: string }
  | { type: 'filter-done'; apply: boolean };

/** What the reducer needs to know about the rows currently shown. */
export interface RowsContext {
  rows: RowList; // in order, looked at only where needed (ordered-rows.ts)
  height: number; // rows that fit in the table
}

export function initialViewState(groupBy: GroupBy = 'flow'): ViewState {
  return {
    stack: [topLevel(groupBy)],
    sort: DEFAULT_SORT,
    query: parseQuery(''),
    editing: null,
    frozen: false,
    help: false,
  };
}

function topLevel(groupBy: GroupBy): TableLevel {
  return { kind: 'table', groupBy, openGroup: null, title: GROUP_LABEL[groupBy], pos: { cursor: 0, scroll: 0 }, selectedKey: null };
}

export function currentLevel(v: ViewState): Level {
  return v.stack[v.stack.length - 1];
}

export function reduceView(v0: ViewState, a: ViewAction, ctx: RowsContext): ViewState {
  // The rows may have changed since the last key: start from what the screen shows.
  const top = currentLevel(v0);
  const v = top.kind === 'table' ? replaceTop(v0, syncLevel(top, ctx)) : v0;
  const level = currentLevel(v);
  switch (a.type) {
    case 'move':
      return moveTo(v, level, (p) => p.cursor + a.delta, ctx);
    case 'page':
      return moveTo(v, level, (p) => p.cursor + a.dir * Math.max(1, ctx.height - 1), ctx);
    case 'home':
      return moveTo(v, level, () => 0, ctx);
    case 'end':
      return moveTo(v, level, () => ctx.rows.length - 1, ctx);
    case 'sort':
      return { ...v, sort: toggleSort(v.sort, a.column) };
    case 'group-next': {
      const base = v.stack[0] as TableLevel;
      return { ...v, stack: [topLevel(nextGrouping(base.groupBy))] };
    }
    case 'open': {
      if (level.kind !== 'table') return v;
      const row = ctx.rows.at(clampWindow(level.pos, ctx.rows.length, ctx.height).cursor);
      if (!row) return v;
      const here = { ...level, selectedKey: row.key };
      if (row.kind === 'group') {
        const g = row as TableRow & { groupKey: string; label: string };
        const next: TableLevel = { ...topLevel(level.groupBy), openGroup: g.groupKey, title: g.label };
        return { ...v, stack: [...v.stack.slice(0, -1), here, next] };
      }
      const flowId = Number(row.key.slice(2));
      const detail: DetailLevel = { kind: 'detail', flowId, title: `flow ${flowId}` };
      return { ...v, stack: [...v.stack.slice(0, -1), here, detail] };
    }
    case 'back':
      if (v.help) return { ...v, help: false };
      if (v.stack.length > 1) return { ...v, stack: v.stack.slice(0, -1) };
      if (v.query.source) return { ...v, query: parseQuery('') };
      return v;
    case 'freeze':
      return { ...v, frozen: !v.frozen };
    case 'help':
      return { ...v, help: a.open ?? !v.help };
    case 'filter':
      return { ...v, editing: { draft: v.query.source, before: v.query.source } };
    case 'filter-edit':
      // The filter applies as it is typed; Esc restores what was there before.
      return v.editing ? { ...v, editing: { ...v.editing, draft: a.draft }, query: parseQuery(a.draft) } : v;
    case 'filter-done': {
      if (!v.editing) return v;
      const source = a.apply ? v.editing.draft : v.editing.before;
      // A new filter changes the rows under the cursor: start from the top.
      const stack = v.stack.map((l) => (l.kind === 'table' ? { ...l, pos: { cursor: 0, scroll: 0 }, selectedKey: null } : l));
      return { ...v, editing: null, query: parseQuery(source), stack };
    }
  }
}

function replaceTop(v: ViewState, level: Level): ViewState {
  return level === currentLevel(v) ? v : { ...v, stack: [...v.stack.slice(0, -1), level] };
}

function moveTo(v: ViewState, level: Level, to: (p: ListPosition) => number, ctx: RowsContext): ViewState {
  if (level.kind !== 'table') return v;
  const w = clampWindow({ cursor: to(level.pos), scroll: level.pos.scroll }, ctx.rows.length, ctx.height);
  const selectedKey = ctx.rows.at(w.cursor)?.key ?? null;
  return replaceTop(v, { ...level, pos: { cursor: w.cursor, scroll: w.scroll }, selectedKey });
}

/** After the rows changed (new data, new sort, a resize): keep the selected row under the
 * cursor if it still exists, else clamp the cursor where it was. */
export function syncLevel(level: TableLevel, ctx: RowsContext): TableLevel {
  let cursor = level.pos.cursor;
  if (level.selectedKey !== null && ctx.rows.at(cursor)?.key !== level.selectedKey) {
    const i = ctx.rows.indexOfKey(level.selectedKey);
    if (i >= 0) cursor = i;
  }
  const w = clampWindow({ cursor, scroll: level.pos.scroll }, ctx.rows.length, ctx.height);
  const selectedKey = ctx.rows.at(w.cursor)?.key ?? null;
  if (w.cursor === level.pos.cursor && w.scroll === level.pos.scroll && selectedKey === level.selectedKey) return level;
  return { ...level, pos: { cursor: w.cursor, scroll: w.scroll }, selectedKey };
}
