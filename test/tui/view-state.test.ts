// The view reducer: cursor and scroll clamp when rows disappear, the cursor follows its
// row when the order changes, drill-down keeps each level's cursor.
import { describe, expect, it } from 'vitest';
import { currentLevel, initialViewState, reduceView, syncLevel, type TableLevel } from '../../src/tui/view-state';
import type { TableRow } from '../../src/core/select/rows';
import { rowListOf } from '../../src/core/select/ordered-rows';

const row = (i: number, kind: 'flow' | 'group' = 'flow'): TableRow =>
  ({ kind, key: kind === 'flow' ? `f:${i}` : `g:k${i}`, groupKey: `k${i}`, label: `g${i}`, flows: 1, pid: i, process: `p${i}`, user: '', container: '', proto: 'tcp', local: '', remote: '', state: '', txRate: 0, rxRate: 0, tx: 0, rx: 0, retr: null, rttUs: null, connectUs: null }) as TableRow;
const rows = (n: number, kind: 'flow' | 'group' = 'flow') => Array.from({ length: n }, (_, i) => row(i, kind));

describe('view state', () => {
  it('clamps the cursor and scroll when rows disappear', () => {
    let v = initialViewState();
    const ctx = { rows: rowListOf(rows(100)), height: 10 };
    v = reduceView(v, { type: 'end' }, ctx);
    let top = currentLevel(v) as TableLevel;
    expect(top.pos).toEqual({ cursor: 99, scroll: 90 });
    top = syncLevel(top, { rows: rowListOf(rows(5)), height: 10 });
    expect(top.pos).toEqual({ cursor: 4, scroll: 0 });
    expect(top.selectedKey).toBe('f:4');
    top = syncLevel(top, { rows: rowListOf([]), height: 10 });
    expect(top.pos).toEqual({ cursor: 0, scroll: 0 });
  });
  it('follows the selected row when the order changes', () => {
    let v = initialViewState();
    v = reduceView(v, { type: 'move', delta: 3 }, { rows: rowListOf(rows(10)), height: 5 });
    const reversed = rows(10).reverse();
    const top = syncLevel(currentLevel(v) as TableLevel, { rows: rowListOf(reversed), height: 5 });
    expect(reversed[top.pos.cursor].key).toBe('f:3');
    expect(top.pos.cursor).toBe(6);
  });
  it('drill-down keeps the cursor of each level; Esc returns to it', () => {
    let v = reduceView(initialViewState(), { type: 'group-next' }, { rows: rowListOf([]), height: 5 });
    const groups = rows(8, 'group');
    v = reduceView(v, { type: 'move', delta: 2 }, { rows: rowListOf(groups), height: 5 });
    v = reduceView(v, { type: 'open' }, { rows: rowListOf(groups), height: 5 });
    expect(v.stack.map((l) => l.title)).toEqual(['by process', 'g2']);
    v = reduceView(v, { type: 'open' }, { rows: rowListOf(rows(3)), height: 5 });
    expect(currentLevel(v)).toMatchObject({ kind: 'detail', flowId: 0 });
    v = reduceView(v, { type: 'back' }, { rows: rowListOf([]), height: 5 });
    v = reduceView(v, { type: 'back' }, { rows: rowListOf(groups), height: 5 });
    expect(currentLevel(v)).toMatchObject({ kind: 'table', pos: { cursor: 2 } });
  });
});
