// Flat rows derived from the reducer's state: names resolved (user, container, exe), the
// values copied. The TUI keeps these when it freezes the view, so a frozen screen does not
// change under the user while the reducer keeps running.
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
}

export interface GroupRow extends TableRow {
  kind: 'group';
  groupKey: string;
  label: string; // what the group is, for the drill-down title
}

export function deriveFlowRow(state: CoreState, flow: Flow): FlowRow {
  const { owner } = flow;
  const exe = flowProcess(state, flow)?.exe ?? null;
  const userName = flowUser(state, flow);
  const container = flowContainer(state, flow);
  const containerName = container?.name ?? null;
  const local = formatEndpoint(flow.laddr, flow.lport, flow.family);
  const remote = formatEndpoint(flow.raddr, flow.rport, flow.family);
  return {
    kind: 'flow',
    key: `f:${flow.flowId}`,
    flows: 1,
    flowId: flow.flowId,
    pid: owner.pid,
    process: owner.comm || (exe ? basename(exe) : '?'),
    comm: owner.comm,
    exe,
    uid: owner.uid,
    userName,
    user: userName ?? String(owner.uid),
    containerId: container?.id ?? null,
    containerName,
    pod: container?.pod ?? null,
    podNamespace: container?.namespace ?? null,
    container: container ? (containerName ?? container.id.slice(0, 12)) : '-',
    proto: flow.proto,
    family: flow.family,
    laddr: flow.laddr,
    lport: flow.lport,
    raddr: flow.raddr,
    rport: flow.rport,
    local,
    remote,
    direction: flow.direction,
    state: formatState(flow.state),
    closed: flow.endTs !== null,
    startTs: flow.startTs,
    txRate: flow.txRate,
    rxRate: flow.rxRate,
    tx: flow.bytesSent,
    rx: flow.bytesReceived,
    retr: flow.retransmits,
    rttUs: flow.srttUs,
    connectUs: flow.connectLatencyUs,
  };
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
