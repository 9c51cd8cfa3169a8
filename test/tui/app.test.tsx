// The screen, driven by keys like a user would: grouping, sorting, filtering, drill-down
// and back, freeze, help, replay controls, recording from the live screen, the empty
// state and a narrow terminal. Data comes from the fixture scene through the real
// reducer, replay player and live feed.
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup } from 'ink-testing-library';
import { LiveFeed } from '../../src/tui/live-feed';
import { openRecording } from '../../src/record/reader';
import { BINDINGS, keyLabel } from '../../src/tui/keymap';
import { INFO, KEYS, PushSource, flush, lines, renderApp, scenePlayer } from './render-app';
import type { AppEvent } from '../../src/events/types';
import { manyFlowBatches, sceneBatches, tick } from './fixtures';

afterEach(() => cleanup());

/** The processes of the table rows (lines that start with a pid), in screen order. */
function tableProcs(frame: string): string[] {
  return lines(frame)
    .filter((l) => /^\s+\d+ /.test(l))
    .map((l) => l.match(/\b(nginx|curl|systemd-res)/)?.[1])
    .filter((x): x is string => !!x)
    .map((x) => (x === 'systemd-res' ? 'systemd-resolve' : x));
}

describe('table', () => {
  it('shows the header, every column at 160 columns, and the flows by TX rate', async () => {
    const app = renderApp(await scenePlayer(sceneBatches(3)), { columns: 160, rows: 30 });
    await flush();
    const f = app.frame();
    expect(f).toContain('REPLAY');
    expect(f).toContain('4/4'); // position / intervals
    expect(f).toContain('scenehost');
    expect(f).toContain('6.18.0-scene');
    expect(f).toContain('12:00:03 UTC');
    for (const h of ['PID(i)', 'PROCESS(n)', 'USER(u)', 'CONTAINER(c)', 'PROTO(o)', 'LOCAL(l)', 'REMOTE(r)', 'STATE(s)', 'TX/s(t)▼', 'RX/s(x)', 'TX(T)', 'RX(X)', 'RETR(e)', 'RTT(d)', 'CONNECT(w)']) {
      expect(f).toContain(h);
    }
    expect(tableProcs(f)).toEqual(['nginx', 'nginx', 'curl', 'systemd-resolve']);
    // Human units: nginx's first flow sends 100 KB per second, curl receives 3 MB/s.
    expect(f).toMatch(/nginx .* 97\.7 KiB/);
    expect(f).toMatch(/curl .*2\.86 MiB/);
    expect(f).toContain('www-da');
    expect(f).toContain('web');
    expect(f).toContain('1.5ms'); // connect latency of curl's outbound flow
    expect(f).toContain('FIN_WAIT1');
  });

  it('sorts by the key in the header; the same key inverts', async () => {
    const app = renderApp(await scenePlayer(sceneBatches(3)));
    await flush();
    await app.press('x'); // RX/s
    expect(app.frame()).toContain('RX/s(x)▼');
    expect(tableProcs(app.frame())[0]).toBe('curl');
    await app.press('n'); // PROCESS, A to Z
    expect(app.frame()).toContain('PROCESS(n)▲');
    expect(tableProcs(app.frame())).toEqual(['curl', 'nginx', 'nginx', 'systemd-resolve']);
    await app.press('n');
    expect(app.frame()).toContain('PROCESS(n)▼');
    expect(tableProcs(app.frame())).toEqual(['systemd-resolve', 'nginx', 'nginx', 'curl']);
  });

  it('groups with Tab (process, container, user, remote host) and a group row sums', async () => {
    const app = renderApp(await scenePlayer(sceneBatches(3)));
    await flush();
    await app.press(KEYS.tab);
    let f = app.frame();
    expect(f).toContain('by process');
    expect(f).toContain('FLOWS(f)');
    const nginxRow = lines(f).find((l) => / nginx /.test(l))!;
    expect(nginxRow).toMatch(/^\s+2\s+100 nginx/); // two flows, one pid
    expect(nginxRow).toContain('146 KiB'); // 100 KB/s + 50 KB/s
    await app.press(KEYS.tab);
    f = app.frame();
    expect(f).toContain('by container');
    expect(lines(f).find((l) => / web /.test(l))).toMatch(/^\s+2 /);
    await app.press(KEYS.tab);
    expect(app.frame()).toContain('by user');
    await app.press(KEYS.tab);
    f = app.frame();
    expect(f).toContain('by remote host');
    expect(f).toContain('198.51.100.7');
    await app.press(KEYS.tab);
    expect(app.frame()).toContain('flows  ·');
  });

  it('drills down: group -> its flows -> one flow in detail, and Esc goes back up', async () => {
    const app = renderApp(await scenePlayer(sceneBatches(3)));
    await flush();
    await app.press(KEYS.tab); // by process, nginx first (largest TX)
    await app.press(KEYS.enter);
    let f = app.frame();
    expect(f).toContain('by process › nginx (pid 100)');
    expect(tableProcs(f)).toEqual(['nginx', 'nginx']);
    await app.press(KEYS.down, KEYS.enter); // the second nginx flow
    f = app.frame();
    expect(f).toContain('› flow 2');
    expect(f).toContain('192.0.2.11:51001');
    expect(f).toContain('/usr/sbin/nginx');
    expect(f).toContain('nginx: worker process');
    expect(f).toContain('www-data (uid 33)');
    expect(f).toContain('web');
    expect(f).toContain('podman');
    expect(f).toContain('retransmits 1');
    expect(f).toMatch(/TX rate\s+[▁-█]{3}\s+peak 48\.8 KiB\/s/);
    expect(f).toContain('lifecycle');
    expect(f).toContain('ESTABLISHED');
    await app.press(KEYS.esc);
    f = app.frame();
    expect(f).toContain('by process › nginx (pid 100)');
    expect(f).not.toContain('lifecycle');
    await app.press(KEYS.esc);
    f = app.frame();
    expect(f).not.toContain('›');
    expect(f).toContain('FLOWS(f)');
  });

  it('filters with / and the query language; Esc clears', async () => {
    const app = renderApp(await scenePlayer(sceneBatches(3)));
    await flush();
    await app.press('/');
    await app.type('port:443 proc:nginx');
    expect(app.frame()).toContain('/port:443 proc:nginx');
    await app.press(KEYS.enter);
    let f = app.frame();
    expect(tableProcs(f)).toEqual(['nginx', 'nginx']);
    expect(f).toContain('2/4 flows');
    await app.press('/');
    await app.press(...Array(19).fill(KEYS.backspace));
    await app.type('udp');
    await app.press(KEYS.enter);
    expect(tableProcs(app.frame())).toEqual(['systemd-resolve']);
    await app.press('/');
    await app.type(' port:http');
    await app.press(KEYS.enter);
    expect(app.frame()).toContain('port:http is not a port number');
    await app.press('/');
    await app.press(...Array(13).fill(KEYS.backspace));
    await app.type('proc:nothing-like-this');
    await app.press(KEYS.enter);
    expect(app.frame()).toContain('no flow matches the filter');
    await app.press(KEYS.esc);
    f = app.frame();
    expect(tableProcs(f)).toHaveLength(4);
    expect(f).not.toContain('/proc:nothing');
  });

  it('takes keys that arrive in one read one after the other (fast typing, paste)', async () => {
    const app = renderApp(await scenePlayer(sceneBatches(3)));
    await flush();
    await app.press('/');
    await app.press('proc:nginx\r'); // the filter text and Enter in one chunk
    expect(app.frame()).toContain('/proc:nginx');
    expect(app.frame()).toContain('2/4 flows');
    await app.press('\t\r'); // Tab, then Enter opens the first group
    expect(app.frame()).toContain('by process › nginx (pid 100)');
  });

  it('freezes with space: the data moves on underneath, the screen does not', async () => {
    const player = await scenePlayer(sceneBatches(5), 3);
    const app = renderApp(player);
    await flush();
    expect(app.frame()).toContain('3/6');
    await app.press(' ');
    expect(app.frame()).toContain('FROZEN');
    const frozenRow = lines(app.frame()).find((l) => l.includes('curl'));
    player.toEnd();
    await flush();
    expect(lines(app.frame()).find((l) => l.includes('curl'))).toBe(frozenRow);
    await app.press(' ');
    expect(app.frame()).not.toContain('FROZEN');
    expect(lines(app.frame()).find((l) => l.includes('curl'))).not.toBe(frozenRow);
  });

  it('help is generated from the key table and any key closes it', async () => {
    const app = renderApp(await scenePlayer(sceneBatches(3)), { columns: 120, rows: 60 });
    await flush();
    await app.press('?');
    const f = app.frame();
    expect(f).toContain('Help: keys');
    for (const b of BINDINGS) {
      if (b.mode === 'live') expect(f).not.toContain(b.help);
      else if (b.section !== 'sort') expect(f).toContain(b.help.slice(0, 40));
    }
    expect(f).toContain('i PID(i)');
    expect(f).toContain(`${keyLabel(BINDINGS.find((b) => b.action.type === 'replay-pause')!.keys[0])}`);
    await app.press('z');
    expect(app.frame()).not.toContain('Help: keys');
    expect(app.frame()).toContain('PID(i)');
  });

  it('q and Ctrl-C quit through the one exit', async () => {
    const a = renderApp(await scenePlayer(sceneBatches(1)));
    await flush();
    await a.press('q');
    expect(a.quits()).toBe(1);
    cleanup();
    const b = renderApp(await scenePlayer(sceneBatches(1)));
    await flush();
    await b.press(KEYS.ctrlC);
    expect(b.quits()).toBe(1);
  });
});

describe('replay controls', () => {
  it('pause, speed, step, seek, start and end move the player and show in the header', async () => {
    const batches = [...sceneBatches(5), ...Array.from({ length: 30 }, (_, i) => [tick(6 + i)])];
    const player = await scenePlayer(batches, 1);
    const app = renderApp(player);
    await flush();
    expect(app.frame()).toContain('PAUSED 1x 1/36');
    expect(app.frame()).toContain('no flows at this point of the recording'); // empty state
    await app.press('.');
    expect(app.frame()).toContain('2/36');
    expect(tableProcs(app.frame())).toHaveLength(4);
    await app.press('.', '.', ',');
    expect(app.frame()).toContain('3/36');
    await app.press(KEYS.right);
    expect(app.frame()).toContain('13/36');
    await app.press(KEYS.left);
    expect(app.frame()).toContain('3/36');
    await app.press('>');
    expect(app.frame()).toMatch(/END 1x 36\/36/);
    await app.press('<');
    expect(app.frame()).toContain('1/36');
    await app.press('+', '+');
    expect(app.frame()).toContain('4x');
    await app.press('-', '-', '-');
    expect(app.frame()).toContain('1/2x');
    await app.press('+', 'p');
    expect(app.frame()).toContain('PLAY 1x');
    await flush(1200); // one interval at 1x
    expect(app.frame()).toMatch(/PLAY 1x [23]\/36/);
    await app.press('p');
    expect(app.frame()).toContain('PAUSED');
  });
});

describe('live', () => {
  it('shows LIVE, redraws per tick, and R records the session to a file that replays', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sockscope-tui-'));
    const src = new PushSource({ ...INFO, mode: 'live', file: undefined });
    const feed = new LiveFeed(src, { recordDir: dir });
    const app = renderApp(feed);
    const batches = sceneBatches(4);
    src.push(batches[0]);
    src.push(batches[1]);
    await flush(60);
    let f = app.frame();
    expect(f).toContain(' LIVE ');
    expect(f).not.toContain('REPLAY');
    expect(tableProcs(f)).toHaveLength(4);
    await app.press('R');
    f = app.frame();
    expect(f).toMatch(/● REC sockscope-\d{8}-\d{6}\.ssrec/);
    src.push(batches[2]);
    src.push(batches[3]);
    await flush(60);
    await app.press('R');
    f = app.frame();
    expect(f).not.toContain('● REC');
    expect(f).toMatch(/recorded .*sockscope-\d{8}-\d{6}\.ssrec/);
    const [file] = readdirSync(dir);
    const rec = await openRecording(join(dir, file));
    const events = [];
    for await (const b of rec.batches()) events.push(...b);
    expect(rec.damage()).toBeNull();
    // The snapshot restates the open flows and the names, then the live batches follow.
    const opens = events.filter((e) => e.type === 'flow-open');
    expect(opens.map((e) => e.type === 'flow-open' && e.flowId).sort()).toEqual([1, 2, 3, 4]);
    expect(opens.every((e) => e.type === 'flow-open' && e.seenAtStart)).toBe(true);
    expect(events.some((e) => e.type === 'user' && e.name === 'www-data')).toBe(true);
    expect(events.filter((e) => e.type === 'tick')).toHaveLength(2);
    await feed.close();
  });

  it('past --max-flows, closed flows that leave early are shed, not highlighted as evicted', async () => {
    const src = new PushSource({ ...INFO, mode: 'live', file: undefined });
    const feed = new LiveFeed(src, { maxFlows: 4 });
    const app = renderApp(feed, { columns: 160, rows: 30 });
    // Ten closed flows of a churn: the screen keeps four, the oldest six go early.
    const storm = manyFlowBatches(10, 0)[0].flatMap((e): AppEvent[] =>
      e.type === 'flow-open' ? [e, { type: 'flow-close', ts: e.ts + 1, flowId: e.flowId, counters: { bytesSent: 1, bytesReceived: 1, packetsSent: 1, packetsReceived: 1, retransmits: 0, srttUs: 100 } }] : e.type === 'tick' ? [] : [e]);
    src.push([...storm, tick(0)]);
    await flush(60);
    const header = lines(app.frame()).find((l) => l.includes('lost '))!;
    expect(header).toContain('evicted 0');
    expect(header).toContain('shed 6');
    expect(feed.state().totals).toMatchObject({ evicted: 0, closedShed: 6 });
    await feed.close();
  });

  it('says so when there are no flows yet', async () => {
    const src = new PushSource({ ...INFO, mode: 'live', file: undefined });
    const app = renderApp(new LiveFeed(src));
    src.push([tick(0)]);
    await flush(50);
    expect(app.frame()).toContain('no flows yet');
    await src.close();
  });
});

describe('layout', () => {
  it('is usable at 80x24: the rows that fit, key columns, footer, a clamped cursor', async () => {
    const player = await scenePlayer(manyFlowBatches(300, 2));
    const app = renderApp(player, { columns: 80, rows: 24 });
    await flush();
    const ls = lines(app.frame());
    expect(ls).toHaveLength(24);
    for (const l of ls) expect(l.length).toBeLessThanOrEqual(80);
    expect(ls[3]).toMatch(/PID\(i\) PROCESS\(n\).*REMOTE\(r\).*TX\/s\(t\)▼\s+RX\/s\(x\)/);
    expect(ls.filter((l) => /^\s+\d+ proc\d+/.test(l))).toHaveLength(24 - 5); // 3 header lines, column titles, footer
    expect(ls[23]).toMatch(/^q quit/);
    await app.press('G'); // last row, then the rows shrink under the cursor
    expect(app.frame()).toContain('proc');
    await app.press('/');
    await app.type('proc:proc7 port:443');
    await app.press(KEYS.enter);
    const visible = lines(app.frame()).filter((l) => /^\s+\d+ proc7/.test(l));
    expect(visible.length).toBeGreaterThan(0);
    expect(app.frame()).toMatch(/\/proc:proc7 port:443\s+\d+\/300 flows/);
  });

  it('redraws for a new size', async () => {
    const player = await scenePlayer(sceneBatches(3));
    const app = renderApp(player, { columns: 160, rows: 30 });
    await flush();
    expect(app.frame()).toContain('CONNECT(w)');
    app.rerender(<AppAt feedPlayer={player} />);
    await flush();
    expect(app.frame()).not.toContain('CONNECT(w)');
    for (const l of lines(app.frame())) expect(l.length).toBeLessThanOrEqual(80);
  });

  it('shows a notice until the first key', async () => {
    const app = renderApp(await scenePlayer(sceneBatches(1)), undefined, { notice: 'live capture is not possible: test' });
    await flush();
    expect(app.frame()).toContain('live capture is not possible: test');
    await app.press('j');
    expect(app.frame()).not.toContain('live capture is not possible');
  });
});

import { App } from '../../src/tui/App';
import type { ReplayPlayer } from '../../src/tui/replay-player';
function AppAt({ feedPlayer }: { feedPlayer: ReplayPlayer }) {
  return <App feed={feedPlayer} size={{ columns: 80, rows: 24 }} noColor />;
}
