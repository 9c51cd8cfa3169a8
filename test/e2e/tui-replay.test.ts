// The replay TUI end to end, in a real terminal (tmux): `sockscope replay FILE` shows the
// recorded processes; sorting, filtering and drill-down change the table as expected; a
// resize redraws; NO_COLOR drops colours; q exits 0. What the screen must show is worked
// out from the same recording by the replay player and the selectors, at the same
// position of the recording.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ROOT, ensureBuilt, runCli } from '../helpers/cli';
import { TmuxScreen, tableRows } from '../tui/tmux';
import { writeSynthetic } from '../replay/recording-helpers';
import { openRecording } from '../../src/record/reader';
import { ReplayPlayer } from '../../src/tui/replay-player';
import { deriveFlowRows, parseQuery, selectTable, type TableRow, type TableView } from '../../src/core/select/index';
import { DEFAULT_SORT } from '../../src/core/select/sort';

const DEMO = join(ROOT, 'recordings', 'demo.ssrec');
let recording = DEMO;
/** Where the test pauses: start, then one seek forward (10 intervals). */
const POSITION = 11;
let rows: ReturnType<typeof deriveFlowRows> = [];
let total = 0;
const screens: TmuxScreen[] = [];

function expectedTable(v: Partial<TableView>) {
  return selectTable(rows, { groupBy: 'process', openGroup: null, query: parseQuery(''), sort: DEFAULT_SORT, ...v });
}
/** "flows pid process" of a grouped row, as the screen starts it. */
const groupStart = (r: TableRow) => `${r.flows} ${r.pid ?? '-'} ${r.process}`;
const screenStarts = (screen: string, n: number) => tableRows(screen).slice(0, n).map((l) => l.trim().split(/\s+/).slice(0, 3).join(' '));

function start(env: Record<string, string> = {}, size: [number, number] = [120, 40]): TmuxScreen {
  const t = new TmuxScreen(`${process.execPath} ${CLI} replay ${recording}`, size[0], size[1], env, ROOT);
  screens.push(t);
  return t;
}

/** Waits for the file to be loaded, pauses, and goes to POSITION. */
async function pauseAt(t: TmuxScreen, totalIntervals: number): Promise<string> {
  await t.waitFor((s) => new RegExp(`REPLAY (PLAY|PAUSED|END) 1x \\d+/${totalIntervals} `).test(s), 'the recording to load');
  t.send('p');
  await t.waitFor((s) => s.includes('PAUSED') || s.includes(' END '), 'pause');
  t.send('<', 'Right');
  return t.waitFor((s) => s.includes(` ${POSITION}/${totalIntervals} `), `position ${POSITION}`);
}

let intervals = 0;
beforeAll(async () => {
  ensureBuilt();
  if (!existsSync(DEMO)) {
    // No demo recording in this checkout: a synthetic one, written by the real writer.
    recording = join(mkdtempSync(join(tmpdir(), 'sockscope-tui-e2e-')), 'synthetic.ssrec');
    writeSynthetic(recording, { seconds: 30, steadyFlows: 12, churnPerSec: 3 });
  }
  const source = await openRecording(recording);
  const player = new ReplayPlayer(source.info, source, { paused: true });
  await player.loaded;
  intervals = player.total;
  player.seekTo(POSITION);
  rows = deriveFlowRows(player.state());
  total = rows.length;
  await player.close();
  expect(intervals).toBeGreaterThan(POSITION);
  expect(total).toBeGreaterThan(2);
});

afterAll(() => {
  for (const t of screens) t.kill();
});

describe('sockscope replay in a terminal', () => {
  it('shows the recorded processes; sort, filter and drill-down change the table; q exits 0', async () => {
    const t = start();
    let s = await pauseAt(t, intervals);
    expect(s).toMatch(/^sockscope\s+REPLAY PAUSED 1x/m);
    expect(s).toContain(recording.slice(recording.lastIndexOf('/') + 1));
    expect(s).toMatch(/PID\(i\) PROCESS\(n\)/);

    // Group by process: one row per recorded process at this point, in TX/s order.
    t.send('Tab');
    s = await t.waitFor((x) => x.includes('FLOWS(f)'), 'grouping by process');
    expect(s).toContain('by process');
    const byTx = expectedTable({}).rows;
    const fit = Math.min(byTx.length, 40 - 5);
    expect(screenStarts(s, fit)).toEqual(byTx.slice(0, fit).map(groupStart));

    // Sort by PROCESS (n): A to Z, then the same key inverts.
    t.send('n');
    s = await t.waitFor((x) => x.includes('PROCESS(n)▲'), 'sort by process');
    const az = expectedTable({ sort: { column: 'process', descending: false } }).rows;
    expect(screenStarts(s, fit)).toEqual(az.slice(0, fit).map(groupStart));
    t.send('n');
    s = await t.waitFor((x) => x.includes('PROCESS(n)▼'), 'inverted sort');
    const za = expectedTable({ sort: { column: 'process', descending: true } }).rows;
    expect(screenStarts(s, fit)).toEqual(za.slice(0, fit).map(groupStart));

    // Filter to the busiest process of this moment.
    const busiest = byTx[0].process;
    const q = `proc:${busiest}`;
    const filtered = expectedTable({ query: parseQuery(q), sort: { column: 'process', descending: true } });
    t.send('/');
    t.type(q);
    t.send('Enter');
    s = await t.waitFor((x) => x.includes(`/${q}`) && x.includes(`${filtered.matched}/${total} flows`), 'the filter');
    expect(screenStarts(s, 40)).toEqual(filtered.rows.slice(0, 35).map(groupStart));
    for (const line of tableRows(s)) expect(line).toContain(busiest);

    // Drill down: the group's flows, then one flow in detail; Esc back up each time.
    t.send('Enter');
    const group = filtered.rows[0] as TableRow & { label: string; groupKey: string };
    s = await t.waitFor((x) => x.includes(`by process › ${group.label}`), 'the group opened');
    const flowsOfGroup = expectedTable({ openGroup: group.groupKey, query: parseQuery(q), sort: { column: 'process', descending: true } }).rows;
    expect(tableRows(s)).toHaveLength(Math.min(flowsOfGroup.length, 35));
    for (const line of tableRows(s)) expect(line).toMatch(new RegExp(`^\\s*${group.pid ?? '\\d+'} ${busiest}`));
    t.send('Enter');
    s = await t.waitFor((x) => x.includes('lifecycle'), 'the flow detail');
    expect(s).toMatch(/› flow \d+/);
    expect(s).toMatch(/^exe\s+\S+/m);
    expect(s).toMatch(/^user\s+\S+ \(uid \d+\)/m);
    expect(s).toMatch(/^TX rate/m);
    t.send('Escape');
    s = await t.waitFor((x) => !x.includes('lifecycle') && x.includes(`› ${group.label}`), 'back to the group');
    t.send('Escape');
    s = await t.waitFor((x) => !x.includes('›') && x.includes('FLOWS(f)'), 'back to the groups');
    t.send('Escape');
    s = await t.waitFor((x) => !x.includes(`/${q}`), 'the filter cleared');
    expect(tableRows(s).length).toBe(Math.min(byTx.length, 35));

    // Replay controls: step forward one interval, and to the end.
    t.send('.');
    await t.waitFor((x) => x.includes(` ${POSITION + 1}/${intervals} `), 'one step');
    t.send('>');
    await t.waitFor((x) => x.includes(`END 1x ${intervals}/${intervals} `), 'the end');

    // Help comes from the key table; any key closes it.
    t.send('?');
    s = await t.waitFor((x) => x.includes('Help: keys'), 'help');
    expect(s).toContain('pause / play');
    t.send('z');
    await t.waitFor((x) => !x.includes('Help: keys'), 'help closed');

    t.send('q');
    expect(await t.exitCode()).toBe(0);
  });

  it('redraws for a new terminal size and stays usable at 80x24', async () => {
    const t = start();
    await pauseAt(t, intervals);
    t.tmux('resize-window', '-x', '80', '-y', '24');
    // Until the app redraws, tmux shows the old frame cut and scrolled: wait for the new one.
    const s = await t.waitFor((x) => /^sockscope /.test(x) && x.includes('PID(i)') && !x.includes('LOCAL(l)'), 'the 80x24 layout');
    const lines = s.split('\n');
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
    expect(s).toMatch(/PID\(i\) PROCESS\(n\).*REMOTE\(r\).*TX\/s\(t\)/);
    expect(s).toMatch(/lost \d+ · evicted \d+/);
    expect(lines[23]).toMatch(/^q quit/);
    t.send('C-c');
    expect(await t.exitCode()).toBe(0);
  });

  it('respects NO_COLOR, and uses colour without it', async () => {
    const plain = start({ NO_COLOR: '1' });
    const color = start();
    for (const t of [plain, color]) await t.waitFor((x) => x.includes('REPLAY'), 'the screen');
    const sgr = (t: TmuxScreen) => t.tmux('capture-pane', '-p', '-e');
    expect(sgr(color)).toMatch(/\x1b\[[0-9;]*3[1-6]m/); // cyan titles, for one
    expect(sgr(plain)).not.toMatch(/\x1b\[[0-9;]*3[1-7]m/);
    expect(sgr(plain)).toMatch(/\x1b\[[0-9;]*7m/); // the cursor and titles stay visible (inverse)
    for (const t of [plain, color]) t.send('q');
    expect(await plain.exitCode()).toBe(0);
  });

  it('with a terminal for output but none for keys, says so and points to --format jsonl (exit 2)', async () => {
    const t = new TmuxScreen(`${process.execPath} ${CLI} replay ${recording} < /dev/null`, 200, 10, {}, ROOT);
    screens.push(t);
    expect(await t.exitCode()).toBe(2);
    const s = t.screen().replace(/\n/g, '');
    expect(s).toContain('standard input is not a terminal');
    expect(s).toContain(`sockscope replay ${recording} --format jsonl`);
    expect(s).not.toMatch(/\s+at /);
  });

  it('without a terminal, says so and points to --format jsonl (exit 2)', () => {
    const r = runCli([], { stdio: ['ignore', 'pipe', 'pipe'] });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('--format jsonl');
  });
});
