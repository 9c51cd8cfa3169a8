// The screen: header, table (or a group's flows, or one flow's detail, or help), footer.
// State that matters lives elsewhere: data in the feed (reducer), the view in
// view-state.ts. This component wires keys to them and lays out what fits.
import { useCallback, useMemo, useRef, useState } from 'react';
import { Box, Text, useApp, useInput, useWindowSize } from 'ink';
import { layoutColumns } from '../core/select/columns';
import type { GroupBy } from '../core/select/group';
import { COLUMN_BY_ID } from '../core/select/columns';
import type { TuiFeed } from './feed';
import { findBinding, type Action, type KeyState, type Mode } from './keymap';
import { currentLevel, initialViewState, reduceView, syncLevel, type RowsContext, type ViewState } from './view-state';
import { Header } from './components/Header';
import { Table } from './components/Table';
import { Footer, footerLines } from './components/Footer';
import { Help, helpLines } from './components/Help';
import { Detail } from './components/Detail';
import { FilterBar } from './components/FilterBar';
import { useFeedStatus } from './hooks/use-feed-status';
import { useSnapshot } from './hooks/use-snapshot';
import { useSelection } from './hooks/use-selection';
import { makeTheme, noColorFromEnv, ThemeContext } from './theme';
import { SEEK_INTERVALS } from './replay-player';

export interface AppProps {
  feed: TuiFeed;
  /** A fixed size (tests, benchmarks); otherwise the terminal's, following resizes. */
  size?: { columns: number; rows: number };
  noColor?: boolean;
  /** Shown in the footer until the first key. */
  notice?: string;
  /** Called once, from the one place that quits, before Ink exits. */
  onQuit?: () => void;
}

export function App(props: AppProps) {
  const theme = useMemo(() => makeTheme(props.noColor ?? noColorFromEnv()), [props.noColor]);
  return (
    <ThemeContext.Provider value={theme}>
      <Screen {...props} />
    </ThemeContext.Provider>
  );
}

/** Lines used by everything but the table rows: header (3), table header, footer. */
const CHROME_LINES = 5;

function Screen({ feed, size, onQuit, notice }: AppProps) {
  const { exit } = useApp();
  const terminal = useWindowSize();
  const width = Math.max(20, (size ?? terminal).columns);
  const height = Math.max(8, (size ?? terminal).rows);
  const mode: Mode = feed.controls ? 'replay' : 'live';
  const status = useFeedStatus(feed);
  const [view, setView] = useState<ViewState>(() => initialViewState());
  const [helpOffset, setHelpOffset] = useState(0);
  const [note, setNote] = useState<string | undefined>(notice);
  // A feed's note (recording saved) shows until the next key, like the screen's own notes.
  const [seenNote, setSeenNote] = useState<string | null>(null);
  const snap = useSnapshot(feed, status.version, status.facts, view.frozen);

  const showFilter = view.editing !== null || view.query.source !== '';
  const shownNote = note ?? (status.note !== seenNote ? (status.note ?? undefined) : undefined);
  // A long note (why live capture is not possible) may take a second footer line.
  const extraLines = (showFilter ? 1 : 0) + (footerLines(shownNote, width) - 1);
  const tableHeight = Math.max(1, height - CHROME_LINES - extraLines);
  const level = currentLevel(view);
  const { groupBy, openGroup } = tableSelector(view);

  // A key in the last minute: the user is at the keys (see use-selection.ts).
  const lastKeyAt = useRef(-Infinity);
  const active = performance.now() - lastKeyAt.current < 60_000;
  const [selection, selectFor] = useSelection(snap.flows, { groupBy, openGroup, query: view.query, sort: view.sort }, active, tableHeight);
  const ctx = { rows: selection.rows, height: tableHeight };
  // The rows a key acts on. Normally what is on screen; when several keys arrive in one
  // read (Tab then Enter), the rows of the view the previous key made, not yet drawn.
  const rendered = useRef({ ctx, view, height });
  rendered.current = { ctx, view, height };
  const ctxFor = (v: ViewState): RowsContext => {
    const r = rendered.current;
    const sel = tableSelector(v);
    const was = tableSelector(r.view);
    if (sel.groupBy === was.groupBy && sel.openGroup === was.openGroup && v.query === r.view.query && v.sort === r.view.sort) return r.ctx;
    const filterLine = v.editing !== null || v.query.source !== '' ? 1 : 0;
    return { rows: selectFor({ ...sel, query: v.query, sort: v.sort }).rows, height: Math.max(1, r.height - CHROME_LINES - filterLine) };
  };
  const shown = level.kind === 'table' ? syncLevel(level, ctx) : null;

  const quitting = useRef(false);
  const quit = useCallback(() => {
    // The one place that exits. Closing the feed (mount.tsx) completes a running recording.
    if (quitting.current) return;
    quitting.current = true;
    onQuit?.();
    exit();
  }, [exit, onQuit]);

  const toggleRecording = useCallback(() => {
    if (!feed.recorder) return setNote('recording from the screen works in live mode only');
    feed.recorder.toggle();
  }, [feed]);

  // The view as the keys see it: several keys can arrive in one read (fast typing, tmux,
  // a paste), and each must see what the one before it did, before React re-renders.
  const viewRef = useRef(view);
  viewRef.current = view;
  const update = useCallback((fn: (v: ViewState) => ViewState) => {
    viewRef.current = fn(viewRef.current);
    setView(viewRef.current);
  }, []);

  const perform = useCallback((a: Action) => {
    const c = feed.controls;
    switch (a.type) {
      case 'quit': return quit();
      case 'help': setHelpOffset(0); return update((v) => ({ ...v, help: true }));
      case 'record': return toggleRecording();
      case 'replay-pause': return c?.togglePause();
      case 'replay-speed': return a.dir > 0 ? c?.faster() : c?.slower();
      case 'replay-step': return c?.step(a.dir);
      case 'replay-seek': return c?.seek(a.dir * SEEK_INTERVALS);
      case 'replay-start': return c?.toStart();
      case 'replay-end': return c?.toEnd();
      default: return update((v) => reduceView(v, a, ctxFor(v)));
    }
  }, [feed, quit, toggleRecording, update]);

  const onKey = (input: string, k: KeyState) => {
    if (k.ctrl && input === 'c') return quit();
    const v = viewRef.current;
    if (v.editing) {
      const draft = v.editing.draft;
      if (k.return) return update((x) => reduceView(x, { type: 'filter-done', apply: true }, ctxFor(x)));
      if (k.escape) return update((x) => reduceView(x, { type: 'filter-done', apply: false }, ctxFor(x)));
      if (k.backspace || k.delete) return update((x) => reduceView(x, { type: 'filter-edit', draft: draft.slice(0, -1) }, ctxFor(x)));
      if (input && !k.ctrl && !k.meta && !k.tab) return update((x) => reduceView(x, { type: 'filter-edit', draft: draft + input }, ctxFor(x)));
      return;
    }
    if (v.help) {
      if (k.downArrow || input === 'j') return setHelpOffset((o) => o + 1);
      if (k.upArrow || input === 'k') return setHelpOffset((o) => Math.max(0, o - 1));
      if (k.pageDown) return setHelpOffset((o) => o + tableHeight);
      if (k.pageUp) return setHelpOffset((o) => Math.max(0, o - tableHeight));
      return update((x) => ({ ...x, help: false }));
    }
    setNote(undefined);
    setSeenNote(status.note);
    const b = findBinding(input, k, mode);
    if (b) perform(b.action);
  };

  useInput((input, key) => {
    lastKeyAt.current = performance.now();
    const k = key as KeyState;
    // Plain characters that arrived together are keys pressed one after the other.
    if (input.length > 1 && !k.ctrl && !k.meta && !k.escape) {
      for (const ch of input) onKey(ch, charKey(ch));
      return;
    }
    onKey(input, k);
  });

  const sortCol = COLUMN_BY_ID.get(view.sort.column)!;
  const crumbs = [
    ...view.stack.map((l) => l.title),
  ].join(' › ') + `  ·  sort ${sortCol.title}${view.sort.descending ? '▼' : '▲'}`;

  let body;
  if (view.help) {
    const lines = helpLines(mode, width).length;
    body = <Help mode={mode} width={width} height={tableHeight + 1} offset={Math.min(helpOffset, Math.max(0, lines - tableHeight))} />;
  } else if (level.kind === 'detail') {
    body = <Detail state={feed.state()} flowId={level.flowId} width={width} height={tableHeight + 1} />;
  } else {
    const columns = layoutColumns(width, selection.grouped);
    const start = shown!.pos.scroll;
    const rows = selection.rows.slice(start, start + tableHeight);
    body = (
      <Table
        columns={columns} rows={rows} cursor={shown!.pos.cursor - start} sort={view.sort}
        height={tableHeight} width={width} empty={emptyText(selection.total, status.replay?.loading ?? false, mode)}
      />
    );
  }

  return (
    <Box flexDirection="column" width={width} height={height}>
      <Header
        info={feed.info} status={status} totals={snap.totals} wallMs={snap.wallMs} width={width}
        recording={status.recording} crumbs={crumbs} frozen={view.frozen}
      />
      {body}
      {showFilter && !view.help ? (
        <FilterBar editing={view.editing !== null} query={view.query} matched={selection.matched} total={selection.total} />
      ) : null}
      <Footer mode={mode} width={width} note={shownNote} />
    </Box>
  );
}

function emptyText(total: number, loading: boolean, mode: Mode): string {
  if (loading) return 'loading the recording…';
  if (total > 0) return 'no flow matches the filter (Esc clears it)';
  return mode === 'live' ? 'no flows yet: waiting for network activity…' : 'no flows at this point of the recording';
}

const NO_KEY: KeyState = {
  upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, pageUp: false, pageDown: false, home: false,
  end: false, return: false, escape: false, tab: false, ctrl: false, meta: false, shift: false, backspace: false, delete: false,
};

/** The key state of one character taken out of a multi-character read. */
function charKey(ch: string): KeyState {
  return {
    ...NO_KEY,
    return: ch === '\r' || ch === '\n',
    tab: ch === '\t',
    backspace: ch === '\x7f' || ch === '\b',
    shift: ch !== ch.toLowerCase(),
  };
}

/** Which rows the current level lists: its grouping, and the group it opened. A detail
 * level keeps the table under it. */
function tableSelector(v: ViewState): { groupBy: GroupBy; openGroup: string | null } {
  for (let i = v.stack.length - 1; i >= 0; i--) {
    const l = v.stack[i];
    if (l.kind === 'table') return { groupBy: l.groupBy, openGroup: l.openGroup };
  }
  return { groupBy: 'flow', openGroup: null };
}
