// The shape of what the reducer knows. Owned and mutated only by src/core/reducer.ts;
// everything else reads it (selectors, JSON output, the TUI). Flows are kept in columns
// (flow-store.ts) and read through views with this interface (flow-view.ts).
import type { Container, Direction, Family, FlowCloseEvent, FlowOpenEvent, Owner, Proto } from '../events/types';
import type { FlowMap } from './flow-map';

export interface Flow {
  readonly flowId: number;
  readonly cookie: number;
  readonly proto: Proto;
  readonly family: Family;
  readonly laddr: string;
  readonly lport: number;
  readonly raddr: string;
  readonly rport: number;
  readonly direction: Direction;
  /** Shared by the flows of one process (never mutate it). */
  readonly owner: Owner;
  readonly state: string; // 'open', 'closed', or a TCP state name
  readonly seenAtStart: boolean;
  readonly startTs: number; // monotonic ns
  readonly endTs: number | null;
  readonly bytesSent: number;
  readonly bytesReceived: number;
  readonly packetsSent: number | null;
  readonly packetsReceived: number | null;
  readonly retransmits: number | null;
  readonly srttUs: number | null;
  readonly connectLatencyUs: number | null;
  /** Rates over the last completed interval, bytes per second. */
  readonly txRate: number;
  readonly rxRate: number;
  /** Bytes at the previous tick, to compute rates. */
  readonly prevBytesSent: number;
  readonly prevBytesReceived: number;
  /** Rate history for the detail view: read it with rateHistory() (reducer.ts). [tx, rx]
   * pairs, kept from the first time the flow moves (a flow that never moved has none and
   * costs nothing per tick: its history is all zeros): first, while the flow is young, a
   * slot number in the state's shared short histories (src/core/short-histories.ts, most
   * churn flows live an interval or two), then, if it moves again later, a Float64Array
   * ring (a view of the flow store's rate rings, src/core/rate-rings.ts; a copy once the
   * flow left the state) with slot = tick index % historyLength. null once the flow is out
   * of the state with a short one, or once a quiet flow's short samples are out of the
   * window. */
  readonly history: Float64Array | number | null;
  /** Tick index (CoreState.ticks) of the first tick that saw this flow. */
  readonly historyStart: number;
  /** Tick index the history ends before, set when the flow leaves the tick's rounds
   * (closed and quiet: its rates are zero from then on; or gone from the state); -1 while
   * every tick still sees it. */
  readonly historyEnd: number;
  /** How the flow was first seen (its first lifecycle entry, at startTs). */
  readonly openedAs: string;
  /** Later TCP state changes, null until the first (the close is endTs): read the whole
   * lifecycle with flowLifecycle() (reducer.ts). Stored flat and encoded (pairs of ts and
   * a state name's code, lifecycle.ts appendLifecycle) to keep a flow small. */
  readonly lifecycle: ReadonlyArray<number | string> | null;
}

export interface ProcessInfo {
  pid: number;
  ppid: number | null;
  comm: string | null;
  exe: string | null;
  cmdline: string | null;
  uid: number | null;
  exitedTs: number | null;
}

export interface CgroupInfo {
  cgroupId: number;
  path: string | null;
  container: Container | null;
}

export interface Totals {
  flowsOpen: number;
  newFlowsPerSec: number;
  txRate: number;
  rxRate: number;
  eventsPerSec: number;
  lost: number;
  evicted: number; // kernel map evictions + open flows the flow cap let go
  /** Closed flows the flow cap let go before their linger ended: a connection storm filled
   * the cap with closed flows. Not a loss (they had ended), so apart from evicted. */
  closedShed: number;
  connectFailures: number;
  /** TCP flows closed with closeUnseen (their close reported late, when found). */
  closesUnseen: number;
  /** TCP flows opened with openUnseen (their ESTABLISHED unseen, found later). */
  opensUnseen: number;
  /** Total throughput (tx + rx bytes/s) per interval, newest last, bounded. */
  throughputHistory: number[];
}

export interface CoreOptions {
  /** How long closed flows stay visible, ns; with rates, at least until a tick after the
   * close has counted them (expireLinger). */
  lingerNs: number;
  /** Longer, up to this (ns), for a closed flow whose owner's facts may still come: its
   * cgroup's path not known yet, or a docker/podman container's name (the enricher asks
   * the runtime). Flows leave in the order they closed, so the ones behind wait with it.
   * Default: lingerNs. */
  lingerForFactsNs?: number;
  /** Cap on tracked flows; beyond it the oldest closed (then oldest idle) flows go. */
  maxFlows: number;
  /** Length of per-flow and total rate histories. */
  historyLength: number;
  /** false: no rates are kept (flows' and totals' stay 0), for a reader that never shows
   * them (--format jsonl): ticks then visit no flow, where each flow of a connection churn
   * cost two visits to its row (its only rate, then the zero after it). Default true. */
  rates?: boolean;
  /** false: a flow that opened and closed in one record (applyBrief: a FLOW_BRIEF, most
   * flows of a connection churn) is not in `flows`, only held until its linger ends
   * (onFlowDone), for a state with no cap that nothing looks up by id (--format jsonl): no
   * record names such a flow again (the kernel numbers flows upwards and sends nothing
   * after a FLOW_BRIEF), and its entry in the flows' id index and opening order were work
   * for nobody. heldSlots gives it with the flows, in opening order. Default true. */
  listBriefs?: boolean;
  /** Called with each closed flow whose linger has ended, just before it leaves the state
   * (its facts are all still there): --format jsonl writes the flow's line then. The flow
   * is valid during the call only (read it there, do not keep it). */
  onFlowDone?: (flow: Flow) => void;
  /** Given, a flow that opened and closed in one record (applyBrief) goes here as it comes,
   * instead of into the state, once nothing about it can change: no fact about its owner
   * is pending (lingerForFactsNs: the enricher puts the others before the record that
   * needs them), no record names it again (listBriefs), and a tick has paired the clocks.
   * For --format jsonl, which writes its line at once: under connection churn these are
   * most flows, and opening, holding and expiring each in the flow store was a third of
   * the main thread. The events are valid during the call only. */
  onBriefDone?: (open: FlowOpenEvent, close: FlowCloseEvent) => void;
}

export interface CoreState {
  options: CoreOptions;
  now: number; // ts of the last event applied (monotonic ns)
  wallAtNow: number | null; // wall clock ms matching `now`, from the last tick
  bootWallMs: number | null; // wall ms at monotonic 0, from ticks
  /** Tracked flows by id, in opening order (a read-only Map). */
  flows: FlowMap;
  processes: Map<number, ProcessInfo>;
  users: Map<number, string | null>;
  groups: Map<number, string | null>;
  cgroups: Map<number, CgroupInfo>;
  containerNames: Map<string, string | null>;
  failures: Array<{ ts: number; what: string; owner: Owner; raddr: string; rport: number }>;
  totals: Totals;
  ticks: number;
  /** Moves whenever a fact that a flow's owner JSON reads may have changed (a process's
   * exe or command line, a user, group, cgroup or container name, a process forgotten):
   * a writer that keeps the owner's encoded JSON compares facts only after it moved. */
  factsVersion: number;
}
