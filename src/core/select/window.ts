// The visible window of a list: the cursor stays on a row that exists, the scroll keeps
// the cursor on screen, and both clamp when rows disappear (bottom's table owns its
// scroll state the same way).

export interface ListPosition {
  cursor: number; // index of the selected row
  scroll: number; // index of the first visible row
}

export interface ListWindow extends ListPosition {
  start: number; // first row to render
  end: number; // one past the last row to render
}

export function clampWindow(pos: ListPosition, count: number, height: number): ListWindow {
  const h = Math.max(1, height);
  const cursor = count === 0 ? 0 : Math.min(Math.max(0, pos.cursor), count - 1);
  let scroll = Math.min(Math.max(0, pos.scroll), Math.max(0, count - h));
  if (cursor < scroll) scroll = cursor;
  if (cursor >= scroll + h) scroll = cursor - h + 1;
  return { cursor, scroll, start: scroll, end: Math.min(count, scroll + h) };
}

/** Moves the cursor by `delta` rows (PgUp/PgDn pass +-height) and clamps. */
export function moveCursor(pos: ListPosition, delta: number, count: number, height: number): ListPosition {
  const w = clampWindow({ cursor: pos.cursor + delta, scroll: pos.scroll }, count, height);
  return { cursor: w.cursor, scroll: w.scroll };
}

/** Keeps the selection on the same row (by key) after the rows changed order; when that
 * row is gone, the cursor stays at its index, clamped. */
export function followKey(
  pos: ListPosition, selectedKey: string | null, keys: (i: number) => string, count: number, height: number,
): ListWindow {
  let cursor = pos.cursor;
  if (selectedKey !== null && !(cursor < count && keys(cursor) === selectedKey)) {
    for (let i = 0; i < count; i++) if (keys(i) === selectedKey) { cursor = i; break; }
  }
  return clampWindow({ cursor, scroll: pos.scroll }, count, height);
}
