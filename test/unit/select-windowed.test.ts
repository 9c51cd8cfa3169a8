// The screen's selection path gives the rows the reference pipeline gives: top-k windows
// against the full sort (ties, missing values, inverted order, any window), the
// incremental snapshot against deriving every row, cached groups against grouping again.
import { describe, expect, it } from 'vitest';
import { applyBatch, createCoreState } from '../../src/core/reducer';
import { FLOW_ID } from '../../src/core/flow-fields';
import {
  COLUMNS, deriveFlowRows, FlowSnapshotDeriver, OrderedRows, parseQuery, selectTable, sortRows, TableSelector,
  type SortSpec, type TableRow, type TableView,
} from '../../src/core/select/index';
import { rowOrder } from '../../src/core/select/row-order';
import { topK } from '../../src/core/select/top-k';
import { DEFAULT_SORT } from '../../src/core/select/sort';
import { manyFlowBatches, manyFlowInterval, owner, sceneBatches, T0, tick } from '../tui/fixtures';
import type { AppEvent } from '../../src/events/types';

/** Rows with many ties and missing values: what makes an order's tie-breaks show. */
function tieRows(n: number): TableRow[] {
  return Array.from({ length: n }, (_, i) => ({
    kind: 'flow', key: `f:${i}`, flows: 1, pid: i % 7 === 0 ? null : i % 5, process: `p${i % 4}`, user: '',
    container: i % 6 === 0 ? '-' : `c${i % 3}`, proto: 'tcp', local: '', remote: '', state: '', txRate: (i * 37) % 11,
    rxRate: 0, tx: i, rx: 0, retr: i % 3 === 0 ? null : i % 2, rttUs: null, connectUs: null,
  }));
}
const keys = (rows: readonly TableRow[]) => rows.map((r) => r.key);
/** Every field a row shows or a filter reads, as plain data: flow rows are views over a
 * table's columns (getters, which a spread copy lacks). */
const FLOW_FIELDS = [
  'kind', 'key', 'flows', 'pid', 'process', 'user', 'container', 'proto', 'local', 'remote', 'state', 'txRate', 'rxRate',
  'tx', 'rx', 'retr', 'rttUs', 'connectUs', 'flowId', 'comm', 'exe', 'uid', 'userName', 'containerId', 'containerName',
  'pod', 'podNamespace', 'family', 'laddr', 'lport', 'raddr', 'rport', 'direction', 'closed', 'startTs', 'procKey',
  'userKey', 'remoteKey', 'containerKey',
] as const;
const plain = (r: TableRow) => (r.kind === 'flow' ? Object.fromEntries(FLOW_FIELDS.map((f) => [f, (r as unknown as Record<string, unknown>)[f]])) : { ...r });
const view = (v: Partial<TableView>): TableView => ({ groupBy: 'flow', openGroup: null, query: parseQuery(''), sort: DEFAULT_SORT, ...v });

describe('top-k selection', () => {
  const rows = tieRows(500);
  const specs: SortSpec[] = COLUMNS.flatMap((c) => [{ column: c.id, descending: true }, { column: c.id, descending: false }]);

  it('gives the first k of the full sort, for every column and direction', () => {
    for (const spec of specs) {
      const full = keys(sortRows(rows, spec));
      for (const k of [0, 1, 7, 40, 499, 500, 600]) {
        expect(topK(rows.length, k, rowOrder(rows, spec)).map((i) => rows[i].key), `${spec.column} ${k}`).toEqual(full.slice(0, k));
        const last = full.slice(Math.max(0, full.length - k)).reverse();
        expect(topK(rows.length, k, rowOrder(rows, spec), true).map((i) => rows[i].key), `${spec.column} last ${k}`).toEqual(last);
      }
    }
  });

  it('OrderedRows windows match the full sort anywhere (top, bottom, middle, out of range)', () => {
    for (const spec of specs) {
      const full = keys(sortRows(rows, spec));
      const windows: Array<[number, number]> = [[0, 35], [5, 40], [465, 500], [480, 520], [200, 235], [0, 500], [-3, 2], [498, 499]];
      for (const [s, e] of windows) {
        // A fresh list per window, and one list asked for every window in turn.
        expect(keys(new OrderedRows(rows, spec).slice(s, e)), `${spec.column} ${s}-${e}`).toEqual(full.slice(Math.max(0, s), e));
      }
      const list = new OrderedRows(rows, spec);
      for (const [s, e] of windows) expect(keys(list.slice(s, e))).toEqual(full.slice(Math.max(0, s), e));
      expect(list.length).toBe(500);
      expect(list.at(499)?.key).toBe(full[499]);
      expect(list.at(500)).toBeUndefined();
    }
  });

  it('finds a row by key at its position in the full sort', () => {
    for (const spec of specs.slice(0, 8)) {
      const full = keys(sortRows(rows, spec));
      for (const pos of [0, 3, 250, 499]) {
        expect(new OrderedRows(rows, spec).indexOfKey(full[pos])).toBe(pos);
        const list = new OrderedRows(rows, spec);
        list.slice(0, 35); // found in the head already computed, or counted
        expect(list.indexOfKey(full[pos])).toBe(pos);
      }
      expect(new OrderedRows(rows, spec).indexOfKey('f:none')).toBe(-1);
    }
  });
});

describe('incremental flow snapshot', () => {
  /** A TCP flow opened by `o` from `laddr` (the tests of flows leaving the store). */
  const open = (flowId: number, o: ReturnType<typeof owner>, laddr: string): AppEvent => ({
    type: 'flow-open', ts: T0 + flowId, flowId, cookie: flowId, proto: 'tcp', family: 4, laddr, lport: flowId, raddr: '10.0.0.2',
    rport: 80, direction: 'outbound', owner: o, state: 'ESTABLISHED', connectLatencyUs: null, seenAtStart: false,
  });

  const compare = (a: readonly TableRow[], b: readonly TableRow[]) => expect(a.map(plain)).toEqual(b.map(plain));

  it('has the rows a full derive has, through opens, closes, counters and late facts', () => {
    const s = createCoreState();
    const d = new FlowSnapshotDeriver();
    const [first, ...rest] = manyFlowBatches(300, 0);
    applyBatch(s, first);
    let snap = d.derive(s, true);
    compare(snap.table.rows(), deriveFlowRows(s));
    const shape0 = snap.shape;
    // Counters only: same shape, new numbers.
    applyBatch(s, manyFlowInterval(300, 1));
    snap = d.derive(s, false);
    expect(snap.shape).toBe(shape0);
    compare(snap.table.rows(), deriveFlowRows(s));
    expect(rest).toEqual([]);
    // Nothing new: the same snapshot.
    expect(d.derive(s, false)).toBe(snap);
    // Closes in the middle and an open at the end: a new shape, the same rows as a derive.
    const o = owner(9000, 'late', 1000, 5000);
    const final = { bytesSent: 1, bytesReceived: 2, packetsSent: null, packetsReceived: null, retransmits: null, srttUs: null };
    const changes: AppEvent[] = [
      { type: 'flow-close', ts: T0 + 2e9, flowId: 5, counters: final }, { type: 'flow-close', ts: T0 + 2e9, flowId: 77, counters: final },
      { type: 'flow-open', ts: T0 + 2e9, flowId: 9001, cookie: 1, proto: 'tcp', family: 4, laddr: '10.0.0.1', lport: 1, raddr: '10.0.0.2', rport: 2, direction: 'outbound', owner: o, state: 'ESTABLISHED', connectLatencyUs: null, seenAtStart: false },
      tick(2),
    ];
    applyBatch(s, changes);
    snap = d.derive(s, false);
    expect(snap.shape).not.toBe(shape0);
    compare(snap.table.rows(), deriveFlowRows(s));
    // A fact that names a process: looked up when the caller says facts came.
    applyBatch(s, [{ type: 'process', ts: T0 + 3e9, pid: 9000, ppid: 1, exe: '/usr/bin/late', cmdline: 'late' }, tick(3)]);
    const before = d.derive(s, true);
    compare(before.table.rows(), deriveFlowRows(s));
    expect(before.table.rows().find((r) => r.flowId === 9001)?.exe).toBe('/usr/bin/late');
    // Lingering closed flows leave (linger 5 s): rows go from the middle.
    for (let t = 4; t < 12; t++) applyBatch(s, manyFlowInterval(300, t));
    snap = d.derive(s, false);
    compare(snap.table.rows(), deriveFlowRows(s));
    expect(snap.table.rows().some((r) => r.flowId === 5)).toBe(false);
  });

  it('shows the numbers of the moment it froze while the store goes on, and the store\'s again after the next derive', () => {
    const s = createCoreState();
    const d = new FlowSnapshotDeriver();
    applyBatch(s, manyFlowBatches(50, 0)[0]);
    const snap = d.derive(s, true);
    const shown = snap.table.rows().map(plain);
    snap.table.freeze();
    applyBatch(s, manyFlowInterval(50, 1));
    expect(snap.table.rows().map(plain)).toEqual(shown);
    const next = d.derive(s, false);
    compare(next.table.rows(), deriveFlowRows(s));
    expect(next.table.rows().map(plain)).not.toEqual(shown);
  });

  it('keeps the rows right as most flows leave and more arrive than there was room for', () => {
    const s = createCoreState({ lingerNs: 0 });
    const d = new FlowSnapshotDeriver();
    const o = owner(7000, 'churn', 1000, 5000);
    const final = { bytesSent: 3, bytesReceived: 4, packetsSent: null, packetsReceived: null, retransmits: 1, srttUs: 20 };
    let next = 1;
    const opens = (n: number, ts: number): AppEvent[] => Array.from({ length: n }, () => ({
      type: 'flow-open' as const, ts, flowId: next, cookie: next, proto: 'tcp' as const, family: 4 as const, laddr: '10.0.0.1',
      lport: next++, raddr: '10.0.0.2', rport: 80, direction: 'outbound' as const, owner: o, state: 'ESTABLISHED',
      connectLatencyUs: next, seenAtStart: false,
    }));
    applyBatch(s, [...opens(100, T0 + 1), tick(0)]);
    compare(d.derive(s, true).table.rows(), deriveFlowRows(s));
    // 90 close (every flow but each tenth), then 30 open: compacted in place.
    const closes: AppEvent[] = [];
    for (let id = 1; id <= 100; id++) if (id % 10 !== 0) closes.push({ type: 'flow-close', ts: T0 + 2e9, flowId: id, counters: final });
    applyBatch(s, [...closes, tick(2)]);
    applyBatch(s, [...opens(30, T0 + 3e9), tick(3)]);
    let snap = d.derive(s, false);
    expect(snap.table.length).toBe(40);
    compare(snap.table.rows(), deriveFlowRows(s));
    // 200 more: a bigger table.
    applyBatch(s, [...opens(200, T0 + 4e9), tick(4)]);
    snap = d.derive(s, false);
    expect(snap.table.length).toBe(240);
    compare(snap.table.rows(), deriveFlowRows(s));
  });

  it('keeps the rows right under churn at the cap, when the last flow shown leaves too, and when facts come', () => {
    // Flows replaced each interval (evicted at the cap, oldest first) as under connection
    // churn: the table is compacted from its own order plus the flows opened after its
    // last one; when that last one left as well, from the state's order.
    const s = createCoreState({ maxFlows: 60 });
    const d = new FlowSnapshotDeriver();
    const owners = [owner(7100, 'a', 1000, 5000), owner(7101, 'b', 1001, 5000)];
    const final = { bytesSent: 3, bytesReceived: 4, packetsSent: null, packetsReceived: null, retransmits: 1, srttUs: 20 };
    let next = 1;
    const churn = (n: number, t: number): AppEvent[] => {
      const out: AppEvent[] = [];
      for (let k = 0; k < n; k++) {
        const id = next++;
        out.push({
          type: 'flow-open', ts: T0 + t * 1e9 + k, flowId: id, cookie: id, proto: 'tcp', family: 4, laddr: '10.0.0.1', lport: id,
          raddr: '10.0.0.2', rport: 80, direction: 'outbound', owner: owners[id % 2], state: 'ESTABLISHED', connectLatencyUs: null, seenAtStart: false,
        });
        // Every third one closes at once (the others stay open).
        if (id % 3 === 0) out.push({ type: 'flow-close', ts: T0 + t * 1e9 + k, flowId: id, counters: final });
      }
      return [...out, tick(t)];
    };
    applyBatch(s, churn(60, 0));
    compare(d.derive(s, true).table.rows(), deriveFlowRows(s));
    for (let t = 1; t < 6; t++) {
      applyBatch(s, churn(25, t));
      const snap = d.derive(s, false);
      expect(snap.table.length).toBe(60);
      compare(snap.table.rows(), deriveFlowRows(s));
    }
    // More than the cap at once: every flow shown leaves, the last one too.
    applyBatch(s, churn(70, 6));
    compare(d.derive(s, false).table.rows(), deriveFlowRows(s));
    // A fact naming a process, with flows coming and going in the same interval.
    applyBatch(s, [{ type: 'process', ts: T0 + 7e9, pid: 7101, ppid: 1, exe: '/usr/bin/b', cmdline: 'b' }, ...churn(10, 7)]);
    const snap = d.derive(s, true);
    compare(snap.table.rows(), deriveFlowRows(s));
    expect(snap.table.rows().filter((r) => r.pid === 7101).every((r) => r.exe === '/usr/bin/b')).toBe(true);
  });

  it('reads the state and close of flows still open as flows come and go, closed ones staying as they closed', () => {
    // The derives skip the store's rows of closed flows (their text is final): flows open
    // at the front change state and close while others are replaced behind them, in the
    // compacting derive and in the one where nothing came or left.
    const s = createCoreState({ maxFlows: 40 });
    const d = new FlowSnapshotDeriver();
    const o = owner(7200, 'c', 1000, 5000);
    const final = { bytesSent: 3, bytesReceived: 4, packetsSent: null, packetsReceived: null, retransmits: 1, srttUs: 20 };
    let next = 1;
    const brief = (n: number, t: number): AppEvent[] => Array.from({ length: n }, (_, k) => {
      const id = next++;
      return [open(id, o, '10.0.0.1'), { type: 'flow-close' as const, ts: T0 + t * 1e9 + k, flowId: id, counters: final }];
    }).flat().map((e) => ({ ...e, ts: T0 + t * 1e9 }));
    const kept = [open(next++, o, '10.0.0.3'), open(next++, o, '10.0.0.3')];
    applyBatch(s, [...kept, ...brief(30, 0), tick(0)]);
    compare(d.derive(s, true).table.rows(), deriveFlowRows(s));
    const stateOf = (id: number) => d.derive(s, false).table.rows().find((r) => r.flowId === id);
    applyBatch(s, [{ type: 'flow-state', ts: T0 + 1e9, flowId: 1, state: 'FIN_WAIT1' }, ...brief(20, 1), tick(1)]);
    expect(stateOf(1)?.state).toBe(deriveFlowRows(s).find((r) => r.flowId === 1)?.state);
    compare(d.derive(s, false).table.rows(), deriveFlowRows(s));
    applyBatch(s, [{ type: 'flow-close', ts: T0 + 2e9, flowId: 1, counters: final }, ...brief(20, 2), tick(2)]);
    expect(stateOf(1)?.closed).toBe(true);
    compare(d.derive(s, false).table.rows(), deriveFlowRows(s));
    // Nothing came or left: only flow 2's state changed.
    applyBatch(s, [{ type: 'flow-state', ts: T0 + 3e9, flowId: 2, state: 'CLOSE_WAIT' }, tick(3)]);
    const snap = d.derive(s, false);
    compare(snap.table.rows(), deriveFlowRows(s));
    expect(snap.table.rows().find((r) => r.flowId === 2)?.state).not.toBe(snap.table.rows().find((r) => r.flowId === 1)?.state);
  });

  it('keeps showing a flow that left until the next derive, after a new flow took its slot', () => {
    const s = createCoreState({ lingerNs: 0 });
    const d = new FlowSnapshotDeriver();
    applyBatch(s, [open(1, owner(100, 'old', 1000, 5000), '10.0.0.1'), open(2, owner(101, 'stays', 1000, 5000), '10.0.0.3'), tick(0)]);
    const snap = d.derive(s, true);
    const shown = snap.table.rows().map(plain);
    // The screen freezes: the numbers are kept as they are now (the table reads them from
    // the store otherwise, where flow 1's final counters land before it leaves).
    snap.table.freeze();
    // Flow 1 closes and leaves (no linger); flow 3, another owner, takes its slot.
    const final = { bytesSent: 1, bytesReceived: 2, packetsSent: null, packetsReceived: null, retransmits: null, srttUs: null };
    applyBatch(s, [{ type: 'flow-close', ts: T0 + 1e9, flowId: 1, counters: final }, tick(1), tick(2)]);
    expect(s.flows.has(1)).toBe(false);
    applyBatch(s, [open(3, owner(102, 'new', 0, 5000), '10.9.9.9')]);
    expect(s.flows.store.numAt(s.flows.slots.get(3)!, FLOW_ID)).toBe(3);
    // Not derived again (frozen): the rows it showed; unfrozen, the same flows and names.
    expect(snap.table.rows().map(plain)).toEqual(shown);
    snap.table.thaw();
    // Its numbers are its last: the close's counters and the rates the tick after it gave.
    const text = (r: TableRow) => ({ ...plain(r), tx: 0, rx: 0, txRate: 0, rxRate: 0 });
    expect(snap.table.rows().map(text)).toEqual(shown.map((r) => ({ ...r, tx: 0, rx: 0, txRate: 0, rxRate: 0 })));
    compare(d.derive(s, true).table.rows(), deriveFlowRows(s));
    expect(d.derive(s, false).table.rows().map((r) => r.flowId)).toEqual([2, 3]);
  });

  it('keeps a flow that left readable in its held slot until the next derive, also when the screen freezes after it left', () => {
    const s = createCoreState({ lingerNs: 0 });
    const d = new FlowSnapshotDeriver();
    const final = { bytesSent: 1, bytesReceived: 2, packetsSent: null, packetsReceived: null, retransmits: null, srttUs: null };
    applyBatch(s, [open(1, owner(100, 'old', 1000, 5000), '10.0.0.1'), open(2, owner(101, 'stays', 1000, 5000), '10.0.0.3'), tick(0)]);
    const snap = d.derive(s, true);
    const slot1 = s.flows.slots.get(1)!;
    // Flow 1 leaves without a freeze: no copy, its slot is held, and flow 3 gets another.
    applyBatch(s, [{ type: 'flow-close', ts: T0 + 1e9, flowId: 1, counters: final }, tick(1), tick(2)]);
    expect(s.flows.has(1)).toBe(false);
    applyBatch(s, [open(3, owner(102, 'new', 0, 5000), '10.9.9.9')]);
    expect(s.flows.slots.get(3)).not.toBe(slot1);
    expect(snap.table.gone.size).toBe(0);
    expect(snap.table.rows().map((r) => [r.flowId, r.process, r.local, r.tx])).toEqual([[1, 'old', '10.0.0.1:1', 1], [2, 'stays', '10.0.0.3:2', 0]]);
    // The next derive lets the held slot go: the next flow reuses it.
    compare(d.derive(s, false).table.rows(), deriveFlowRows(s));
    applyBatch(s, [open(4, owner(103, 'four', 0, 5000), '10.4.4.4')]);
    expect(s.flows.slots.get(4)).toBe(slot1);
    // Flow 2 leaves, then the screen freezes: the table copies it then, and while frozen
    // released slots are reused at once (each copied as it leaves).
    const snap2 = d.derive(s, false);
    applyBatch(s, [{ type: 'flow-close', ts: T0 + 3e9, flowId: 2, counters: final }, tick(3), tick(4)]);
    const shown = snap2.table.rows().map(plain);
    snap2.table.freeze();
    expect(s.flows.store.holding).toBe(false);
    applyBatch(s, [open(5, owner(104, 'five', 0, 5000), '10.5.5.5'), open(6, owner(105, 'six', 0, 5000), '10.6.6.6')]);
    applyBatch(s, [{ type: 'flow-close', ts: T0 + 5e9, flowId: 3, counters: final }, tick(5), tick(6)]);
    applyBatch(s, [open(7, owner(106, 'seven', 0, 5000), '10.7.7.7')]);
    expect(snap2.table.rows().map(plain)).toEqual(shown);
    compare(d.derive(s, true).table.rows(), deriveFlowRows(s));
    expect(s.flows.store.holding).toBe(true);
  });

  it('starts over on another state object (a replay seek)', () => {
    const d = new FlowSnapshotDeriver();
    const a = createCoreState();
    for (const b of sceneBatches(3)) applyBatch(a, b);
    expect(d.derive(a, false).table.rows()).toHaveLength(4);
    const empty = createCoreState();
    expect(d.derive(empty, false).table.rows()).toEqual([]);
  });
});

describe('table selector', () => {
  it('gives what selectTable gives, for every grouping, filter and open group, as numbers change', () => {
    const s = createCoreState();
    const [first] = manyFlowBatches(600, 0);
    applyBatch(s, first);
    const d = new FlowSnapshotDeriver();
    const sel = new TableSelector();
    const views: TableView[] = [];
    for (const groupBy of ['flow', 'process', 'container', 'user', 'remote'] as const) {
      for (const q of ['', 'udp', 'user:user3', '-proc:proc7 tcp']) {
        views.push(view({ groupBy, query: parseQuery(q) }));
        views.push(view({ groupBy, query: parseQuery(q), sort: { column: 'process', descending: false } }));
      }
    }
    views.push(view({ groupBy: 'process', openGroup: 'p:2003:proc3' }));
    views.push(view({ groupBy: 'container', openGroup: 'c:0001ab0001ab0001ab0001ab0001ab0001ab0001ab0001ab0001ab0001ab0001', sort: { column: 'rx', descending: false } }));
    for (let t = 1; t <= 3; t++) {
      applyBatch(s, manyFlowInterval(600, t));
      const snap = d.derive(s, t === 1);
      for (const v of views) {
        const want = selectTable(snap.table.rows(), v);
        const got = sel.select(snap, v);
        expect(got.matched).toBe(want.matched);
        expect(got.total).toBe(want.total);
        expect(got.grouped).toBe(want.grouped);
        expect(got.rows.length).toBe(want.rows.length);
        const n = want.rows.length;
        for (const [a, b] of [[0, 35], [n - 35, n], [Math.floor(n / 2), Math.floor(n / 2) + 35]]) {
          expect(got.rows.slice(a, b).map(plain)).toEqual(want.rows.slice(Math.max(0, a), b).map(plain));
        }
      }
    }
  });
});

describe('the screen flow cap', () => {
  it('--max-flows parses whole numbers of at least 1', async () => {
    const { parseMaxFlows } = await import('../../src/commands/live');
    expect(parseMaxFlows(undefined)).toBeNull();
    expect(parseMaxFlows('200000')).toBe(200_000);
    for (const bad of ['0', '-5', '1.5', '1e5', 'many', '']) expect(() => parseMaxFlows(bad)).toThrow(/--max-flows/);
  });
});
