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

/** The key of the group a flow belongs to, and what the group is called. */
export function groupOf(row: FlowRow, by: GroupBy): { key: string; label: string } {
  switch (by) {
    case 'flow':
      return { key: row.key, label: row.key };
    case 'process':
      return { key: `p:${row.pid}:${row.comm}`, label: `${row.process} (pid ${row.pid})` };
    case 'container':
      if (row.pod) {
        const label = `pod ${row.podNamespace ? `${row.podNamespace}/` : ''}${row.pod.slice(0, 13)}`;
        return { key: `pod:${row.pod}`, label };
      }
      return row.containerId ? { key: `c:${row.containerId}`, label: row.container } : { key: 'c:-', label: 'host (no container)' };
    case 'user':
      return { key: `u:${row.uid}`, label: `user ${row.user}` };
    case 'remote':
      return { key: `r:${row.raddr}`, label: `remote ${row.raddr}` };
  }
}

type TextField = 'process' | 'user' | 'container' | 'proto' | 'local' | 'remote' | 'state';
const TEXT_FIELDS: readonly TextField[] = ['process', 'user', 'container', 'proto', 'local', 'remote', 'state'];

interface Acc {
  row: GroupRow;
  distinct: Map<TextField, Set<string>>;
  pids: Set<number | null>;
  rttSum: number;
  rttN: number;
  connSum: number;
  connN: number;
  retrSeen: boolean;
}

export function groupRows(rows: readonly FlowRow[], by: GroupBy): GroupRow[] {
  const groups = new Map<string, Acc>();
  for (const r of rows) {
    const { key, label } = groupOf(r, by);
    let acc = groups.get(key);
    if (!acc) {
      acc = {
        row: {
          kind: 'group', key: `g:${key}`, groupKey: key, label, flows: 0, pid: r.pid,
          process: '', user: '', container: '', proto: '', local: '', remote: '', state: '',
          txRate: 0, rxRate: 0, tx: 0, rx: 0, retr: null, rttUs: null, connectUs: null,
        },
        distinct: new Map(TEXT_FIELDS.map((f) => [f, new Set<string>()])),
        pids: new Set(), rttSum: 0, rttN: 0, connSum: 0, connN: 0, retrSeen: false,
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
    acc.pids.add(r.pid);
    for (const f of TEXT_FIELDS) acc.distinct.get(f)!.add(r[f]);
  }
  const out: GroupRow[] = [];
  for (const acc of groups.values()) {
    const g = acc.row;
    for (const f of TEXT_FIELDS) {
      const set = acc.distinct.get(f)!;
      g[f] = set.size === 1 ? set.values().next().value! : `(${set.size})`;
    }
    g.pid = acc.pids.size === 1 ? g.pid : null;
    // Latencies do not add up: a group shows the mean of its flows that have one.
    g.rttUs = acc.rttN ? acc.rttSum / acc.rttN : null;
    g.connectUs = acc.connN ? acc.connSum / acc.connN : null;
    out.push(g);
  }
  return out;
}

/** The flows of one group, for the drill-down. */
export function flowsOfGroup(rows: readonly FlowRow[], by: GroupBy, groupKey: string): FlowRow[] {
  return rows.filter((r) => groupOf(r, by).key === groupKey);
}
