// Grouping: flows, or one row per process / container (pod when known) / user / remote
// host. A group row sums its flows' counters; a text column shows the shared value, or
// `(N)` when the flows differ (N distinct values).
import type { FlowRow, GroupRow } from './rows';

export type GroupBy = 'flow' | 'process' | 'container' | 'user' | 'remote';

/** Tab cycles through these, in this order. */
export const GROUPINGS: readonly GroupBy[] = ['flow', 'process', 'container', 'user', 'remote'];

export const GROUP_LABEL: Record<GroupBy, string> = {
  flow: 'flows',
  process: 'by process',
  container: 'by container',
  user: 'by user',
  remote: 'by remote host',
};

export function nextGrouping(g: GroupBy): GroupBy {
  return GROUPINGS[(GROUPINGS.indexOf(g) + 1) % GROUPINGS.length];
}

/** The key of the group a flow belongs to. */
export function groupKeyOf(row: FlowRow, by: GroupBy): string {
  switch (by) {
    case 'flow':
      return row.key;
    case 'process':
      return row.procKey;
    case 'container':
      return row.containerKey; // the pod when known
    case 'user':
      return row.userKey;
    case 'remote':
      return row.remoteKey;
  }
}

/** What a group is called (the drill-down title), from one of its flows. */
export function groupLabel(row: FlowRow, by: GroupBy): string {
  switch (by) {
    case 'flow':
      return row.key;
    case 'process':
      return `${row.process} (pid ${row.pid})`;
    case 'container':
      if (row.pod) return `pod ${row.podNamespace ? `${row.podNamespace}/` : ''}${row.pod.slice(0, 13)}`;
      return row.containerId ? row.container : 'host (no container)';
    case 'user':
      return `user ${row.user}`;
    case 'remote':
      return `remote ${row.raddr}`;
  }
}

export function groupOf(row: FlowRow, by: GroupBy): { key: string; label: string } {
  return { key: groupKeyOf(row, by), label: groupLabel(row, by) };
}

type TextField = 'process' | 'user' | 'container' | 'proto' | 'local' | 'remote' | 'state';
const TEXT_FIELDS: readonly TextField[] = ['process', 'user', 'container', 'proto', 'local', 'remote', 'state'];

interface Acc {
  row: GroupRow;
  /** Per text field: the first value, and the distinct values once a second one shows up
   * (most groups never need the set: this is what keeps 10k groups cheap). */
  first: string[];
  distinct: Array<Set<string> | null>;
  onePid: boolean;
  rttSum: number;
  rttN: number;
  connSum: number;
  connN: number;
}

/** Distinct values are counted up to here, then shown as `(99+)`: counting every distinct
 * endpoint of a 10k-flow group costs more than the number is worth. */
const DISTINCT_CAP = 99;

/** Tracks the `i`th text field of a group (same order as TEXT_FIELDS). */
function note(acc: Acc, i: number, v: string): void {
  if (v === acc.first[i]) return;
  let set = acc.distinct[i];
  if (set === null) set = acc.distinct[i] = new Set([acc.first[i]]);
  if (set.size < DISTINCT_CAP) set.add(v);
}

export function groupRows(rows: readonly FlowRow[], by: GroupBy): GroupRow[] {
  const groups = new Map<string, Acc>();
  const nf = TEXT_FIELDS.length;
  for (const r of rows) {
    const key = groupKeyOf(r, by);
    let acc = groups.get(key);
    if (!acc) {
      acc = {
        row: {
          kind: 'group', key: `g:${key}`, groupKey: key, label: groupLabel(r, by), flows: 0, pid: r.pid,
          process: '', user: '', container: '', proto: '', local: '', remote: '', state: '',
          txRate: 0, rxRate: 0, tx: 0, rx: 0, retr: null, rttUs: null, connectUs: null,
        },
        first: TEXT_FIELDS.map((f) => r[f]),
        distinct: new Array(nf).fill(null),
        onePid: true, rttSum: 0, rttN: 0, connSum: 0, connN: 0,
      };
      groups.set(key, acc);
    }
    const g = acc.row;
    g.flows++;
    g.txRate += r.txRate;
    g.rxRate += r.rxRate;
    g.tx += r.tx;
    g.rx += r.rx;
    if (r.retr !== null) g.retr = (g.retr ?? 0) + r.retr;
    if (r.rttUs !== null) { acc.rttSum += r.rttUs; acc.rttN++; }
    if (r.connectUs !== null) { acc.connSum += r.connectUs; acc.connN++; }
    if (r.pid !== g.pid) acc.onePid = false;
    note(acc, 0, r.process);
    note(acc, 1, r.user);
    note(acc, 2, r.container);
    note(acc, 3, r.proto);
    note(acc, 4, r.local);
    note(acc, 5, r.remote);
    note(acc, 6, r.state);
  }
  const out: GroupRow[] = [];
  for (const acc of groups.values()) {
    const g = acc.row;
    for (let i = 0; i < nf; i++) {
      const set = acc.distinct[i];
      g[TEXT_FIELDS[i]] = set ? `(${set.size}${set.size >= DISTINCT_CAP ? '+' : ''})` : acc.first[i];
    }
    if (!acc.onePid) g.pid = null;
    // Latencies do not add up: a group shows the mean of its flows that have one.
    g.rttUs = acc.rttN ? acc.rttSum / acc.rttN : null;
    g.connectUs = acc.connN ? acc.connSum / acc.connN : null;
    out.push(g);
  }
  return out;
}

/** The flows of one group, for the drill-down. */
export function flowsOfGroup(rows: readonly FlowRow[], by: GroupBy, groupKey: string): FlowRow[] {
  return rows.filter((r) => groupKeyOf(r, by) === groupKey);
}
