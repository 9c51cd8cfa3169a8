// Flat rows derived from the reducer's state: names resolved (user, container, exe), the
// values copied. A frozen screen keeps the last rows and stops deriving, so it does not
// change under the user while the reducer keeps running.
import type { Owner } from '../../events/types';
import type { CoreState, Flow } from '../state';
import { flowContainer, flowProcess, flowUser } from '../reducer';
import { formatEndpoint, formatState } from './format';

/** What a table row shows; flow rows and group rows both have this shape. */
export interface TableRow {
  kind: 'flow' | 'group';
  key: string; // stable identity for the cursor: `f:<flowId>` or `g:<group key>`
  flows: number; // 1 for a flow row
  pid: number | null; // null on a group row whose flows differ
  process: string;
  user: string;
  container: string;
  proto: string;
  local: string;
  remote: string;
  state: string;
  txRate: number;
  rxRate: number;
  tx: number;
  rx: number;
  retr: number | null;
  rttUs: number | null;
  connectUs: number | null;
}

/** One flow, with the raw fields the filter and the grouping need. */
export interface FlowRow extends TableRow {
  kind: 'flow';
  flowId: number;
  comm: string;
  exe: string | null;
  uid: number;
  userName: string | null;
  containerId: string | null;
  containerName: string | null;
  pod: string | null;
  podNamespace: string | null;
  family: 4 | 6;
  laddr: string;
  lport: number;
  raddr: string;
  rport: number;
  direction: string;
  closed: boolean;
  startTs: number;
  /** Group keys (group.ts), made when the row is: a flow's owner and peer never change,
   * and grouping 10k flows on a key press must not build 10k strings. */
  procKey: string;
  userKey: string;
  remoteKey: string;
  containerKey: string;
}

export interface GroupRow extends TableRow {
  kind: 'group';
  groupKey: string;
  label: string; // what the group is, for the drill-down title
}

/** The row of each flow, kept between derives: the derive runs over every flow once per
 * interval and 10,000 flows is the benchmark, so a row is made once and then only its
 * changing fields are written. Weak: a flow the reducer dropped takes its row with it.
 * A row therefore changes under its holder at the next derive; the TUI freezes by not
 * deriving (use-snapshot.ts). */
const rowCache = new WeakMap<Flow, FlowRow>();
const stateNames = new Map<string, string>();

function stateName(state: string): string {
  let n = stateNames.get(state);
  if (n === undefined) {
    n = formatState(state);
    if (stateNames.size < 256) stateNames.set(state, n);
  }
  return n;
}

/** Strings many rows have in common (group keys, uids shown as users) are made once and
 * shared: one per process, uid or remote address rather than one per row (100,000 flows
 * are the memory benchmark). Owners are shared by a process's flows (reducer.ts). */
const procKeys = new WeakMap<Owner, string>();
const uidKeys = new Map<number, string>();
const uidNames = new Map<number, string>();
const remoteKeys = new Map<string, string>();
const MAX_SHARED = 100_000;

function shared<K>(cache: Map<K, string>, k: K, make: (k: K) => string): string {
  let v = cache.get(k);
  if (v === undefined) {
    if (cache.size >= MAX_SHARED) cache.clear();
    v = make(k);
    cache.set(k, v);
  }
  return v;
}

function procKey(owner: Owner): string {
  let k = procKeys.get(owner);
  if (k === undefined) {
    k = `p:${owner.pid}:${owner.comm}`;
    procKeys.set(owner, k);
  }
  return k;
}

/** The flow's row, made on first sight (names and values filled in) and then kept. */
function cachedFlowRow(state: CoreState, flow: Flow): { row: FlowRow; made: boolean } {
  let row = rowCache.get(flow);
  if (row) return { row, made: false };
  row = makeFlowRow(state, flow);
  rowCache.set(flow, row);
  return { row, made: true };
}

/** A new row of the flow, names and values filled in. FlowSnapshotDeriver keeps its rows
 * itself (side by side with the flows), without the cache: under connection churn tens of
 * thousands of rows are made and dropped per interval, and a WeakMap entry each costs its
 * set and the garbage collector's ephemeron work. */
export function makeFlowRow(state: CoreState, flow: Flow): FlowRow {
  const { owner } = flow;
  const row: FlowRow = {
    kind: 'flow', key: `f:${flow.flowId}`, flows: 1, flowId: flow.flowId, pid: owner.pid, process: '', comm: owner.comm,
    exe: null, uid: owner.uid, userName: null, user: '', containerId: null, containerName: null, pod: null,
    podNamespace: null, container: '-', proto: flow.proto, family: flow.family, laddr: flow.laddr, lport: flow.lport,
    raddr: flow.raddr, rport: flow.rport, local: formatEndpoint(flow.laddr, flow.lport, flow.family),
    remote: formatEndpoint(flow.raddr, flow.rport, flow.family), direction: flow.direction, state: '', closed: false,
    startTs: flow.startTs, txRate: 0, rxRate: 0, tx: 0, rx: 0, retr: null, rttUs: null, connectUs: null,
    procKey: procKey(owner), userKey: shared(uidKeys, owner.uid, (u) => `u:${u}`),
    remoteKey: shared(remoteKeys, flow.raddr, (a) => `r:${a}`), containerKey: 'c:-',
  };
  fillNames(state, flow, row);
  fillValues(flow, row);
  return row;
}

export function deriveFlowRow(state: CoreState, flow: Flow): FlowRow {
  const { row, made } = cachedFlowRow(state, flow);
  if (!made) {
    fillNames(state, flow, row);
    fillValues(flow, row);
  }
  return row;
}

/** Names from the state's facts (they may arrive after the flow). True when one changed. */
export function fillNames(state: CoreState, flow: Flow, row: FlowRow): boolean {
  const owner = flow.owner;
  const exe = flowProcess(state, flow)?.exe ?? null;
  const userName = flowUser(state, flow);
  const container = flowContainer(state, flow);
  const before = row.containerKey;
  const changed = row.exe !== exe || row.userName !== userName || row.containerId !== (container?.id ?? null) ||
    row.containerName !== (container?.name ?? null) || row.pod !== (container?.pod ?? null) ||
    row.podNamespace !== (container?.namespace ?? null);
  row.exe = exe;
  row.process = owner.comm || (exe ? basename(exe) : '?');
  row.userName = userName;
  row.user = userName ?? shared(uidNames, owner.uid, String);
  if (container) {
    if (row.containerId !== container.id || row.pod !== container.pod) {
      row.containerKey = container.pod ? `pod:${container.pod}` : `c:${container.id}`;
    }
    row.containerId = container.id;
    row.containerName = container.name;
    row.pod = container.pod;
    row.podNamespace = container.namespace;
    row.container = container.name ?? container.id.slice(0, 12);
  } else if (row.containerId !== null) {
    row.containerId = row.containerName = row.pod = row.podNamespace = null;
    row.container = '-';
    row.containerKey = 'c:-';
  }
  return changed || row.containerKey !== before;
}

/** What fillValues reports: numbers changed (the order may have), or the state or the
 * close (what the filter and the groups' text read). */
export const VALUES_CHANGED = 1;
export const TEXT_CHANGED = 2;

/** The flow's state and counters; VALUES_CHANGED | TEXT_CHANGED bits for what changed. */
export function fillValues(flow: Flow, row: FlowRow): number {
  let changed = 0;
  const state = stateName(flow.state);
  const closed = flow.endTs !== null;
  if (row.state !== state || row.closed !== closed) {
    row.state = state;
    row.closed = closed;
    changed |= TEXT_CHANGED;
  }
  if (row.txRate !== flow.txRate || row.rxRate !== flow.rxRate || row.tx !== flow.bytesSent ||
      row.rx !== flow.bytesReceived || row.retr !== flow.retransmits || row.rttUs !== flow.srttUs ||
      row.connectUs !== flow.connectLatencyUs) {
    row.txRate = flow.txRate;
    row.rxRate = flow.rxRate;
    row.tx = flow.bytesSent;
    row.rx = flow.bytesReceived;
    row.retr = flow.retransmits;
    row.rttUs = flow.srttUs;
    row.connectUs = flow.connectLatencyUs;
    changed |= VALUES_CHANGED;
  }
  return changed;
}

export function deriveFlowRows(state: CoreState): FlowRow[] {
  const out: FlowRow[] = new Array(state.flows.size);
  let i = 0;
  for (const flow of state.flows.values()) out[i++] = deriveFlowRow(state, flow);
  return out;
}

function basename(path: string): string {
  const i = path.lastIndexOf('/');
  return i >= 0 ? path.slice(i + 1) : path;
}
