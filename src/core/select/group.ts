// Grouping: flows, or one row per process / container (pod when known) / user / remote
// host. A group row sums its flows' counters; a text column shows the shared value, or
// `(N)` when the flows differ (N distinct values).
import { BYTES_RECEIVED, BYTES_SENT, CONNECT_LATENCY_US, RETRANSMITS, RX_RATE, SRTT_US, TX_RATE } from '../flow-fields';
import { arraySource, numberColumnsOf, type NumberColumns, type RowSource } from './flow-table';
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

/** A group's membership and text, which change only when flows come and go or their
 * names or state change: the table selector keeps a plan while the snapshot's shape is
 * the same (flow-snapshot.ts) and only sums the numbers again each interval. */
export interface GroupPlan {
  key: string; // the row key, `g:<groupKey>`
  groupKey: string;
  label: string;
  pid: number | null; // null when the flows differ
  text: Record<TextField, string>;
  /** Positions of its flows in the rows it was planned over (the table selector maps
   * them to table positions: the sums read the table's columns). */
  members: Int32Array;
}

interface Acc {
  plan: GroupPlan;
  members: number[];
  /** Per text field: the first value, and the distinct values once a second one shows up
   * (most groups never need the set: this is what keeps 10k groups cheap). */
  first: string[];
  distinct: Array<Set<string> | null>;
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

/** The groups of `rows` (in the order their first flow comes), with their text. */
export function planGroups(rows: RowSource<FlowRow>, by: GroupBy): GroupPlan[] {
  const groups = new Map<string, Acc>();
  const nf = TEXT_FIELDS.length;
  for (let k = 0; k < rows.length; k++) {
    const r = rows.peek(k);
    const key = groupKeyOf(r, by);
    let acc = groups.get(key);
    if (!acc) {
      acc = {
        plan: { key: `g:${key}`, groupKey: key, label: groupLabel(r, by), pid: r.pid, text: {} as Record<TextField, string>, members: EMPTY },
        members: [],
        first: TEXT_FIELDS.map((f) => r[f]),
        distinct: new Array(nf).fill(null),
      };
      groups.set(key, acc);
    }
    const plan = acc.plan;
    acc.members.push(k);
    if (r.pid !== plan.pid) plan.pid = null;
    note(acc, 0, r.process);
    note(acc, 1, r.user);
    note(acc, 2, r.container);
    note(acc, 3, r.proto);
    note(acc, 4, r.local);
    note(acc, 5, r.remote);
    note(acc, 6, r.state);
  }
  const out: GroupPlan[] = [];
  for (const acc of groups.values()) {
    for (let i = 0; i < nf; i++) {
      const set = acc.distinct[i];
      acc.plan.text[TEXT_FIELDS[i]] = set ? `(${set.size}${set.size >= DISTINCT_CAP ? '+' : ''})` : acc.first[i];
    }
    acc.plan.members = Int32Array.from(acc.members);
    out.push(acc.plan);
  }
  return out;
}

const EMPTY = new Int32Array(0);

/** The group rows of a plan with their flows' current numbers (`cols`, by the positions
 * in the plan's members): counters and rates add up; latencies do not, so a group shows
 * the mean of its flows that have one. */
export function sumGroups(plans: readonly GroupPlan[], cols: NumberColumns): GroupRow[] {
  const out = new Array<GroupRow>(plans.length);
  for (let p = 0; p < plans.length; p++) {
    const { key, groupKey, label, pid, text, members } = plans[p];
    let txRate = 0, rxRate = 0, tx = 0, rx = 0, retr: number | null = null;
    let rttSum = 0, rttN = 0, connSum = 0, connN = 0;
    for (let m = 0; m < members.length; m++) {
      const i = members[m];
      txRate += cols.numAt(i, TX_RATE);
      rxRate += cols.numAt(i, RX_RATE);
      tx += cols.numAt(i, BYTES_SENT);
      rx += cols.numAt(i, BYTES_RECEIVED);
      const retrans = cols.numAt(i, RETRANSMITS);
      if (retrans === retrans) retr = (retr ?? 0) + retrans; // NaN: missing
      const rtt = cols.numAt(i, SRTT_US);
      if (rtt === rtt) { rttSum += rtt; rttN++; }
      const conn = cols.numAt(i, CONNECT_LATENCY_US);
      if (conn === conn) { connSum += conn; connN++; }
    }
    out[p] = {
      kind: 'group', key, groupKey, label, flows: members.length, pid,
      process: text.process, user: text.user, container: text.container, proto: text.proto, local: text.local,
      remote: text.remote, state: text.state, txRate, rxRate, tx, rx, retr,
      rttUs: rttN ? rttSum / rttN : null, connectUs: connN ? connSum / connN : null,
    };
  }
  return out;
}

export function groupRows(rows: readonly FlowRow[], by: GroupBy): GroupRow[] {
  return sumGroups(planGroups(arraySource(rows), by), numberColumnsOf(rows));
}

/** The flows of one group, for the drill-down. */
export function flowsOfGroup(rows: readonly FlowRow[], by: GroupBy, groupKey: string): FlowRow[] {
  return rows.filter((r) => groupKeyOf(r, by) === groupKey);
}
