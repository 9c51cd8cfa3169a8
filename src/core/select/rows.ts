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
  /** Group keys (group.ts): shared strings (one per process, uid, container or remote
   * address), so that grouping 10k flows on a key press builds no 10k strings. */
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

/** A flow's row. What changes (names, state, numbers) is copied into fields, so that a
 * frozen screen's rows hold still while the reducer runs on (use-snapshot.ts); what never
 * changes for a flow (ids, addresses, its owner, shared and never mutated) is read from
 * the flow, and the endpoint texts are made when asked for (the visible rows, a filter,
 * a grouping, a sort by address): 100,000 flows are the memory benchmark, and a copy of
 * those fields was ~200 bytes a row. Getters: a spread copy of a row lacks them. */
export class DerivedFlowRow implements FlowRow {
  /** Set by fillNames (the constructor's caller fills it at once). */
  names: OwnerNames = NO_NAMES;
  state = '';
  closed = false;
  txRate = 0;
  rxRate = 0;
  tx = 0;
  rx = 0;
  retr: number | null = null;
  rttUs: number | null = null;
  connectUs: number | null = null;
  private keyText: string | null = null;

  constructor(private readonly flow: Flow) {}

  get kind(): 'flow' {
    return 'flow';
  }
  get flows(): number {
    return 1;
  }
  /** Made once asked for (the cursor's row, React's keys): most rows never are. */
  get key(): string {
    return (this.keyText ??= `f:${this.flow.flowId}`);
  }
  get flowId(): number {
    return this.flow.flowId;
  }
  get pid(): number {
    return this.flow.owner.pid;
  }
  get comm(): string {
    return this.flow.owner.comm;
  }
  get uid(): number {
    return this.flow.owner.uid;
  }
  get proto(): string {
    return this.flow.proto;
  }
  get family(): 4 | 6 {
    return this.flow.family;
  }
  get laddr(): string {
    return this.flow.laddr;
  }
  get lport(): number {
    return this.flow.lport;
  }
  get raddr(): string {
    return this.flow.raddr;
  }
  get rport(): number {
    return this.flow.rport;
  }
  get direction(): string {
    return this.flow.direction;
  }
  get startTs(): number {
    return this.flow.startTs;
  }
  get process(): string {
    return this.names.process;
  }
  get user(): string {
    return this.names.user;
  }
  get container(): string {
    return this.names.container;
  }
  get exe(): string | null {
    return this.names.exe;
  }
  get userName(): string | null {
    return this.names.userName;
  }
  get containerId(): string | null {
    return this.names.containerId;
  }
  get containerName(): string | null {
    return this.names.containerName;
  }
  get pod(): string | null {
    return this.names.pod;
  }
  get podNamespace(): string | null {
    return this.names.podNamespace;
  }
  get containerKey(): string {
    return this.names.containerKey;
  }
  /** Group keys (group.ts): shared strings, one per process, uid or remote address. */
  get procKey(): string {
    return procKey(this.flow.owner);
  }
  get userKey(): string {
    return shared(uidKeys, this.flow.owner.uid, (u) => `u:${u}`);
  }
  get remoteKey(): string {
    return shared(remoteKeys, this.flow.raddr, (a) => `r:${a}`);
  }
  get local(): string {
    return formatEndpoint(this.flow.laddr, this.flow.lport, this.flow.family);
  }
  get remote(): string {
    return formatEndpoint(this.flow.raddr, this.flow.rport, this.flow.family);
  }
}

/** A new row for the flow, names and values filled in. The screen keeps each flow's row
 * from one interval to the next and writes only what changed (flow-snapshot.ts): the
 * derive runs over every flow once per interval, 10,000 flows is the benchmark. A row
 * therefore changes under its holder at the next derive; the TUI freezes by not deriving
 * (use-snapshot.ts). */
export function newFlowRow(state: CoreState, flow: Flow): DerivedFlowRow {
  const row = new DerivedFlowRow(flow);
  fillNames(state, flow, row);
  fillValues(flow, row);
  return row;
}

/** What a row shows of its owner's names. One object per owner (and its facts), shared by
 * the rows of its flows (100,000 flows come from a few processes), never changed: new
 * facts make a new one, so a frozen screen's rows keep the names they had. */
interface OwnerNames {
  process: string;
  user: string;
  container: string;
  exe: string | null;
  userName: string | null;
  containerId: string | null;
  containerName: string | null;
  pod: string | null;
  podNamespace: string | null;
  containerKey: string;
}

const NO_NAMES: OwnerNames = {
  process: '', user: '', container: '-', exe: null, userName: null, containerId: null, containerName: null, pod: null,
  podNamespace: null, containerKey: 'c:-',
};
const ownerNames = new WeakMap<Owner, OwnerNames>();

/** The owner's names from the state's facts: the shared object while they are the same. */
function namesOf(state: CoreState, flow: Flow): OwnerNames {
  const owner = flow.owner;
  const exe = flowProcess(state, flow)?.exe ?? null;
  const userName = flowUser(state, flow);
  const c = flowContainer(state, flow);
  const prev = ownerNames.get(owner);
  if (prev !== undefined && prev.exe === exe && prev.userName === userName && prev.containerId === (c?.id ?? null) &&
      prev.containerName === (c?.name ?? null) && prev.pod === (c?.pod ?? null) && prev.podNamespace === (c?.namespace ?? null) &&
      prev.process === (owner.comm || (exe ? basename(exe) : '?'))) return prev;
  const names: OwnerNames = {
    process: owner.comm || (exe ? basename(exe) : '?'),
    user: userName ?? shared(uidNames, owner.uid, String),
    container: c ? (c.name ?? c.id.slice(0, 12)) : '-',
    exe,
    userName,
    containerId: c?.id ?? null,
    containerName: c?.name ?? null,
    pod: c?.pod ?? null,
    podNamespace: c?.namespace ?? null,
    containerKey: c ? (c.pod ? `pod:${c.pod}` : `c:${c.id}`) : 'c:-',
  };
  ownerNames.set(owner, names);
  return names;
}

/** Names from the state's facts (they may arrive after the flow). True when one changed. */
export function fillNames(state: CoreState, flow: Flow, row: DerivedFlowRow): boolean {
  const names = namesOf(state, flow);
  if (row.names === names) return false;
  row.names = names;
  return true;
}

/** What fillValues reports: numbers changed (the order may have), or the state or the
 * close (what the filter and the groups' text read). */
export const VALUES_CHANGED = 1;
export const TEXT_CHANGED = 2;

/** The flow's state and counters; VALUES_CHANGED | TEXT_CHANGED bits for what changed. */
export function fillValues(flow: Flow, row: DerivedFlowRow): number {
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

/** Every flow's row, made afresh (tests, the one-shot select()). */
export function deriveFlowRows(state: CoreState): FlowRow[] {
  const out: FlowRow[] = new Array(state.flows.size);
  let i = 0;
  for (const flow of state.flows.values()) out[i++] = newFlowRow(state, flow);
  return out;
}

function basename(path: string): string {
  const i = path.lastIndexOf('/');
  return i >= 0 ? path.slice(i + 1) : path;
}
