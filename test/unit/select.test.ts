// The pure selectors behind the table: query language, grouping sums, sort order and
// stability, the visible window, column layout, human units.
import { describe, expect, it } from 'vitest';
import { applyBatch, createCoreState } from '../../src/core/reducer';
import {
  deriveFlowRows, formatBytes, formatMicros, formatRateCell, groupRows, layoutColumns, matchQuery, parseQuery,
  selectTable, sortRows, toggleSort, protoLabel, clampWindow, moveCursor, type FlowRow, type TableView,
} from '../../src/core/select/index';
import { DEFAULT_SORT } from '../../src/core/select/sort';
import { CONTAINER_ID, sceneBatches } from '../tui/fixtures';

function sceneRows(ticks = 3): FlowRow[] {
  const s = createCoreState();
  for (const b of sceneBatches(ticks)) applyBatch(s, b);
  return deriveFlowRows(s);
}
const byProc = (rows: readonly { process: string }[]) => rows.map((r) => r.process);
const view = (v: Partial<TableView>): TableView => ({ groupBy: 'flow', openGroup: null, query: parseQuery(''), sort: DEFAULT_SORT, ...v });

describe('query language', () => {
  const rows = sceneRows();
  const match = (q: string) => rows.filter((r) => matchQuery(parseQuery(q), r)).map((r) => r.flowId).sort();

  it('parses fields, flags, negation, lists and quotes', () => {
    const q = parseQuery('port:443,80 -proc:sshd udp "free text" container:3f2a');
    expect(q.errors).toEqual([]);
    expect(q.terms.map((t) => [t.field, t.negate, t.values])).toEqual([
      ['port', false, ['443', '80']], ['proc', true, ['sshd']], ['proto', false, ['udp']], ['text', false, ['free text']],
      ['container', false, ['3f2a']],
    ]);
  });
  it('reports bad terms and applies the rest', () => {
    const q = parseQuery('port:http bogus:1 tcp');
    expect(q.errors).toHaveLength(2);
    expect(q.errors[0]).toContain('port:http is not a port number');
    expect(q.errors[1]).toContain("unknown field 'bogus'");
    expect(q.terms.map((t) => t.field)).toEqual(['proto']);
    expect(parseQuery('"open').errors).toEqual(['unclosed quote']);
  });
  it('matches the examples of the issue', () => {
    expect(match('port:443')).toEqual([1, 2, 3]);
    expect(match('proc:nginx')).toEqual([1, 2]);
    expect(match('container:3f2a')).toEqual([1, 2]);
    expect(match('container:web')).toEqual([1, 2]);
    expect(match('container:none')).toEqual([3, 4]);
    expect(match('user:www-data')).toEqual([1, 2]);
    expect(match('user:1000')).toEqual([3]);
    expect(match('udp')).toEqual([4]);
    expect(match('tcp')).toEqual([1, 2, 3]);
    expect(match('port:443 proc:nginx container:3f2a user:www-data')).toEqual([1, 2]);
  });
  it('ORs terms on one field, ANDs different fields, negates', () => {
    expect(match('tcp udp')).toEqual([1, 2, 3, 4]);
    expect(match('proc:curl proc:nginx')).toEqual([1, 2, 3]);
    expect(match('proc:curl port:53')).toEqual([]);
    expect(match('-proc:nginx')).toEqual([3, 4]);
    expect(match('state:established')).toEqual([1, 2]); // curl's flow went FIN_WAIT1, UDP is 'open'
    expect(match('state:fin_wait1')).toEqual([3]);
    expect(match('host:198.51')).toEqual([3]);
    expect(match('dir:in')).toEqual([1, 2, 4]);
    expect(match('resolve')).toEqual([4]); // free text
    expect(match('')).toEqual([1, 2, 3, 4]);
  });
});

describe('grouping', () => {
  const rows = sceneRows(3);
  it('a group row sums its flows', () => {
    const groups = groupRows(rows, 'process');
    const nginx = groups.find((g) => g.process === 'nginx')!;
    const members = rows.filter((r) => r.process === 'nginx');
    expect(nginx.flows).toBe(2);
    for (const k of ['tx', 'rx', 'txRate', 'rxRate'] as const) expect(nginx[k]).toBe(members[0][k] + members[1][k]);
    expect(nginx.tx).toBe((100_000 + 50_000) * 3);
    expect(nginx.retr).toBe(0 + 1); // cumulative counts 0 and 1
    expect(nginx.pid).toBe(100);
    expect(nginx.remote).toBe('(2)'); // two distinct remote endpoints
    expect(nginx.container).toBe('web');
  });
  it('groups by container, user and remote host', () => {
    const byContainer = groupRows(rows, 'container');
    expect(byContainer.map((g) => [g.groupKey, g.flows]).sort()).toEqual([['c:-', 2], [`c:${CONTAINER_ID}`, 2]]);
    const byUser = groupRows(rows, 'user');
    expect(byUser.map((g) => [g.user, g.flows]).sort()).toEqual([['alice', 1], ['systemd-resolve', 1], ['www-data', 2]]);
    const byRemote = groupRows(rows, 'remote');
    expect(byRemote).toHaveLength(4);
    const total = (gs: { tx: number }[]) => gs.reduce((s, g) => s + g.tx, 0);
    expect(total(byUser)).toBe(total(rows));
    expect(total(byRemote)).toBe(total(rows));
  });
  it('drilling into a group lists its flows, filtered', () => {
    const top = selectTable(rows, view({ groupBy: 'process' }));
    expect(top.grouped).toBe(true);
    const nginx = top.rows.find((r) => r.process === "nginx") as unknown as { groupKey: string };
    const inside = selectTable(rows, view({ groupBy: 'process', openGroup: nginx.groupKey }));
    expect(inside.grouped).toBe(false);
    expect(inside.rows.map((r) => r.key).sort()).toEqual(['f:1', 'f:2']);
    const filtered = selectTable(rows, view({ groupBy: 'process', openGroup: nginx.groupKey, query: parseQuery('host:192.0.2.11') }));
    expect(filtered.rows.map((r) => r.key)).toEqual(['f:2']);
    expect(filtered.total).toBe(4);
  });
});

describe('sorting', () => {
  const rows = sceneRows(3);
  it('sorts numbers largest first, names A to Z; the same key inverts', () => {
    expect(byProc(sortRows(rows, { column: 'txRate', descending: true }))).toEqual(['nginx', 'nginx', 'curl', 'systemd-resolve']);
    const s1 = toggleSort(DEFAULT_SORT, 'process');
    expect(s1).toEqual({ column: 'process', descending: false });
    expect(byProc(sortRows(rows, s1))).toEqual(['curl', 'nginx', 'nginx', 'systemd-resolve']);
    const s2 = toggleSort(s1, 'process');
    expect(s2.descending).toBe(true);
    expect(byProc(sortRows(rows, s2))).toEqual(['systemd-resolve', 'nginx', 'nginx', 'curl']);
  });
  it('nulls go last in both directions', () => {
    const asc = sortRows(rows, { column: 'rtt', descending: false }).map((r) => r.rttUs);
    const desc = sortRows(rows, { column: 'rtt', descending: true }).map((r) => r.rttUs);
    expect(asc.at(-1)).toBeNull();
    expect(desc.at(-1)).toBeNull();
  });
  it('is stable: ties keep the input order, the same from one refresh to the next', () => {
    const tied = Array.from({ length: 50 }, (_, i) => ({ ...rows[0], key: `f:${i}`, txRate: i % 3 }));
    const a = sortRows(tied, { column: 'txRate', descending: true }).map((r) => r.key);
    expect(a.slice(0, 4)).toEqual(['f:2', 'f:5', 'f:8', 'f:11']);
    expect(a.slice(-3)).toEqual(['f:42', 'f:45', 'f:48']);
    expect(sortRows(tied, { column: 'txRate', descending: true }).map((r) => r.key)).toEqual(a);
    // Ascending: still input order among ties, not reversed.
    const asc = sortRows(tied, { column: 'txRate', descending: false }).map((r) => r.key);
    expect(asc.slice(0, 3)).toEqual(['f:0', 'f:3', 'f:6']);
    const names = sortRows(tied.map((r, i) => ({ ...r, process: i % 2 ? 'b' : 'a' })), { column: 'process', descending: true });
    expect(names.slice(0, 3).map((r) => r.key)).toEqual(['f:1', 'f:3', 'f:5']);
  });
});

describe('window and layout', () => {
  it('clamps the cursor and scroll when rows disappear', () => {
    expect(clampWindow({ cursor: 40, scroll: 35 }, 10, 5)).toEqual({ cursor: 9, scroll: 5, start: 5, end: 10 });
    expect(clampWindow({ cursor: 3, scroll: 0 }, 0, 5)).toEqual({ cursor: 0, scroll: 0, start: 0, end: 0 });
    expect(moveCursor({ cursor: 0, scroll: 0 }, 7, 100, 5)).toEqual({ cursor: 7, scroll: 3 });
    expect(moveCursor({ cursor: 7, scroll: 3 }, -100, 100, 5)).toEqual({ cursor: 0, scroll: 0 });
  });
  it('lays out columns that fit exactly, keeping the important ones at 80', () => {
    for (const w of [60, 80, 100, 120, 160, 220]) {
      for (const g of [false, true]) {
        const cols = layoutColumns(w, g);
        const used = cols.reduce((s, c) => s + c.width, 0) + cols.length - 1;
        expect(used).toBeLessThanOrEqual(w);
        if (w >= 80 && w <= 160) expect(used).toBe(w); // wider: the flexible columns stop at 40
      }
    }
    const at80 = layoutColumns(80, false).map((c) => c.column.id);
    expect(at80).toEqual(expect.arrayContaining(['pid', 'process', 'remote', 'txRate', 'rxRate']));
    const wide = layoutColumns(200, false).map((c) => c.column.title);
    expect(wide).toEqual(['PID', 'PROCESS', 'USER', 'CONTAINER', 'PROTO', 'LOCAL', 'REMOTE', 'STATE', 'TX/s', 'RX/s', 'TX', 'RX', 'RETR', 'RTT', 'CONNECT']);
  });
  it('prints human units', () => {
    // A derived row reads its constant fields from the flow (getters a spread leaves out).
    const v6 = { proto: sceneRows()[0].proto, family: 6 } as FlowRow;
    expect(protoLabel(v6)).toBe('tcp6');
    expect(protoLabel(sceneRows()[0])).toBe('tcp');
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(10 * 2 ** 20)).toBe('10 MiB');
    expect(formatRateCell(0)).toBe('0');
    expect(formatRateCell(2048)).toBe('2 KiB');
    expect(formatMicros(850)).toBe('850us');
    expect(formatMicros(12_345)).toBe('12.3ms');
    expect(formatMicros(null)).toBe('-');
  });
});
