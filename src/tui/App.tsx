// The screen: header, table (or a group's flows, or one flow's detail, or help), footer.
// State that matters lives elsewhere: data in the feed (reducer), the view in
// view-state.ts. This component wires keys to them and lays out what fits.
import { useCallback, useMemo, useRef, useState } from 'react';
import { Box, Text, useApp, useInput, useWindowSize } from 'ink';
import { layoutColumns } from '../core/select/columns';
import { selectTable } from '../core/select/index';
import { COLUMN_BY_ID } from '../core/select/columns';
import type { TuiFeed } from './feed';
import { findBinding, type Action, type KeyState, type Mode } from './keymap';
import { currentLevel, initialViewState, reduceView, syncLevel, type ViewState } from './view-state';
import { Header } from './components/Header';
import { Table } from './components/Table';
import { Footer } from './components/Footer';
import { Help, helpLines } from './components/Help';
import { Detail } from './components/Detail';
import { FilterBar } from './components/FilterBar';
import { useFeedStatus } from './hooks/use-feed-status';
import { useSnapshot } from './hooks/use-snapshot';
import { useWarmSelectors } from './hooks/use-warm-selectors';
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
  const snap = useSnapshot(feed, status.version, view.frozen);
  useWarmSelectors(snap.rows);

  const showFilter = view.editing !== null || view.query.source !== '';
  const tableHeight = Math.max(1, height - CHROME_LINES - (showFilter ? 1 : 0));
  const level = currentLevel(view);
  const base = view.stack.find((l) => l.kind === 'table')!;
  const openGroup = level.kind === 'table' ? level.openGroup : null;
  const groupBy = level.kind === 'table' ? level.groupBy : base.groupBy;

  const selection = useMemo(
    () => selectTable(snap.rows, { groupBy, openGroup, query: view.query, sort: view.sort }),
    [snap, groupBy, openGroup, view.query, view.sort],
  );
  const ctx = { rows: selection.rows, height: tableHeight };
  const ctxRef = useRef(ctx);
  ctxRef.current = ctx;
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

  const perform = useCallback((a: Action) => {
    const c = feed.controls;
    switch (a.type) {
      case 'quit': return quit();
      case 'help': setHelpOffset(0); return setView((v) => ({ ...v, help: true }));
      case 'record': return toggleRecording();
      case 'replay-pause': return c?.togglePause();
      case 'replay-speed': return a.dir > 0 ? c?.faster() : c?.slower();
      case 'replay-step': return c?.step(a.dir);
      case 'replay-seek': return c?.seek(a.dir * SEEK_INTERVALS);
      case 'replay-start': return c?.toStart();
      case 'replay-end': return c?.toEnd();
      default: return setView((v) => reduceView(v, a, ctxRef.current));
    }
  }, [feed, quit, toggleRecording]);

  useInput((input, key) => {
    const k = key as KeyState;
    if (k.ctrl && input === 'c') return quit();
    if (view.editing) {
      if (k.return) return setView((v) => reduceView(v, { type: 'filter-done', apply: true }, ctxRef.current));
      if (k.escape) return setView((v) => reduceView(v, { type: 'filter-done', apply: false }, ctxRef.current));
      const draft = view.editing.draft;
      if (k.backspace || k.delete) return setView((v) => reduceView(v, { type: 'filter-edit', draft: draft.slice(0, -1) }, ctxRef.current));
      if (input && !k.ctrl && !k.meta && !k.tab) return setView((v) => reduceView(v, { type: 'filter-edit', draft: draft + input }, ctxRef.current));
      return;
    }
    if (view.help) {
      if (k.downArrow || input === 'j') return setHelpOffset((o) => o + 1);
      if (k.upArrow || input === 'k') return setHelpOffset((o) => Math.max(0, o - 1));
      if (k.pageDown) return setHelpOffset((o) => o + tableHeight);
      if (k.pageUp) return setHelpOffset((o) => Math.max(0, o - tableHeight));
      return setView((v) => ({ ...v, help: false }));
    }
    setNote(undefined);
    setSeenNote(status.note);
    const b = findBinding(input, k, mode);
    if (b) perform(b.action);
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
      <Footer mode={mode} width={width} note={note ?? (status.note !== seenNote ? (status.note ?? undefined) : undefined)} />
    </Box>
  );
}

function emptyText(total: number, loading: boolean, mode: Mode): string {
  if (loading) return 'loading the recording…';
  if (total > 0) return 'no flow matches the filter (Esc clears it)';
  return mode === 'live' ? 'no flows yet: waiting for network activity…' : 'no flows at this point of the recording';
}
