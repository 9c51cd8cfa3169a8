// What a table row is (flow rows and group rows), and the names a flow row shows: its
// owner's names resolved from the state's facts (user, container, exe), shared by the
// owner's flows. The rows themselves are read from a FlowTable's columns (flow-table.ts).
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

export function stateName(state: string): string {
  let n = stateNames.get(state);
  if (n === undefined) {
    n = formatState(state);
    if (stateNames.size < 256) stateNames.set(state, n);
  }
  return n;
}

/** A state's text by code, and the code of each state (the TUI's table keeps a byte per
 * flow, not a reference: flow-table.ts). Code 0 is the empty text (a position not yet
 * written). States beyond the codes a byte holds (never met: the kernel has a dozen) get
 * OTHER_STATE, whose text is read from the flow itself. */
export const stateTexts: string[] = [''];
export const OTHER_STATE = 255;
const stateCodes = new Map<string, number>();

export function stateCode(state: string): number {
  let c = stateCodes.get(state);
  if (c === undefined) {
    if (stateTexts.length === OTHER_STATE) return OTHER_STATE;
    c = stateTexts.length;
    stateTexts.push(stateName(state));
    stateCodes.set(state, c);
  }
  return c;
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

/** Group keys (group.ts): shared strings, one per process, uid or remote address. */
export function procKeyOf(owner: Owner): string {
  let k = procKeys.get(owner);
  if (k === undefined) {
    k = `p:${owner.pid}:${owner.comm}`;
    procKeys.set(owner, k);
  }
  return k;
}

export function uidKeyOf(uid: number): string {
  return shared(uidKeys, uid, (u) => `u:${u}`);
}

export function remoteKeyOf(raddr: string): string {
  return shared(remoteKeys, raddr, (a) => `r:${a}`);
}

/** What a row shows of its owner's names. One object per owner (and its facts), shared by
 * the rows of its flows (100,000 flows come from a few processes), never changed: new
 * facts make a new one, so a frozen screen's rows keep the names they had. */
export interface OwnerNames {
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

const ownerNames = new WeakMap<Owner, OwnerNames>();

/** The owner's names from the state's facts: the shared object while they are the same. */
export function namesOf(state: CoreState, flow: Flow): OwnerNames {
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

function basename(path: string): string {
  const i = path.lastIndexOf('/');
  return i >= 0 ? path.slice(i + 1) : path;
}
