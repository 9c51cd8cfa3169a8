// The one reducer: folds the AppEvent stream into CoreState (src/core/state.ts).
//
// It mutates the state it owns, for speed (replay targets >= 1M events/s), but it is
// deterministic: no I/O, no Date.now(), no timers. Time comes only from event `ts`
// (monotonic ns) and from ticks, which also pair monotonic time with the wall clock.
//
// API
//   createCoreState(options?)         a fresh state (defaults: DEFAULT_CORE_OPTIONS)
//   applyEvent(state, event)          fold one event
//   applyBatch(state, events)         fold a batch (what an EventSource yields)
// Lookups (read-only; used by the TUI selectors and by flow-json):
//   flowProcess(state, flow)    ProcessInfo of the owning process, or null
//   flowUser(state, flow)       user name of the owner's uid, or null
//   flowGroup(state, flow)      group name of the owner's gid, or null
//   flowCgroup(state, flow)     CgroupInfo of the owner's cgroup id, or null
//   flowContainer(state, flow)  the owner's container, its name filled in from
//                               container-name facts, or null
//   flowLifecycle(flow)         open, state changes and close of the flow, for the detail view
//   rateHistory(state, flow)    the flow's per-tick tx/rx rates, oldest first, for the detail view
//   wallMsAt(state, ts)         wall-clock ms for a monotonic ts, or null before a tick
//
// Correlation: a flow carries the kernel ids of its owner (Owner). Names come from facts
// (process, user, group, cgroup, container-name) and from process lifecycle events, kept
// in maps keyed by those ids, so a process that exited right after connecting keeps its
// attribution as long as one of its flows is tracked.
import type { AppEvent, Container, CounterColumns, FlowCloseEvent, FlowOpenEvent, Owner, TickEvent } from '../events/types';
import { keep } from './intern';
import { FlowMap } from './flow-map';
import {
  BYTES_RECEIVED, BYTES_SENT, CONNECT_LATENCY_US, COOKIE, DIRECTION, END_TS, FAMILY_FLAGS, FLOW_ID, HISTORY, HISTORY_END, HISTORY_START, INT_STRIDE, LADDR,
  LIFECYCLE, NO_HISTORY, NUM_STRIDE, OPENED_AS, OWNER, PACKETS_RECEIVED, PACKETS_SENT, PAGE_BITS, PAGE_MASK, PREV_BYTES_RECEIVED,
  PREV_BYTES_SENT, PORTS, PROTO, RADDR, RETRANSMITS, RX_RATE, SEEN_AT_START_BIT, SERIAL, SRTT_US, START_TS, STATE, TX_RATE, U32_NULL, u32Field,
} from './flow-fields';
import { FlowStore } from './flow-store';
import { appendLifecycle, lifecycleCode } from './lifecycle';
import { SHORT_HISTORY, ShortHistories } from './short-histories';
import { SlotList } from './slot-list';
import type { CgroupInfo, CoreOptions, CoreState, Flow, ProcessInfo } from './state';

export const DEFAULT_CORE_OPTIONS: CoreOptions = {
  lingerNs: 5e9,
  maxFlows: 100_000,
  historyLength: 60,
};

// Codes of the words every flow has (lifecycle.ts: the first words of its vocabulary).
const W_TCP = lifecycleCode('tcp') as number;
const W_UDP = lifecycleCode('udp') as number;
const W_OUTBOUND = lifecycleCode('outbound') as number;
const W_INBOUND = lifecycleCode('inbound') as number;
const W_CLOSED = lifecycleCode('closed') as number;
const W_SEEN_AT_START = lifecycleCode('seen at start') as number;

/** Connect failures kept for display (the count in totals is exact). */
const MAX_FAILURES = 200;

/** Bookkeeping that is not part of the public state shape. */
interface Book {
  lastTickTs: number | null;
  /** The largest flow id ever opened: a larger one cannot be in the state (the kernel
   * numbers flows upwards), so opening it needs no lookup for a flow to replace. */
  maxFlowId: number;
  firstTs: number | null;
  eventsSinceTick: number;
  newFlowsSinceTick: number;
  /** Bytes of flows that left the state before a tick counted them (shed at the cap, or
   * replaced): the next tick adds them to the totals' rates (removeFlow). */
  departedTx: number;
  departedRx: number;
  /** Closed flows in the order they closed, as store slots and the serials of their
   * flows (FlowStore.serial): an entry whose slot holds another serial (or none) left
   * already (replaced by a flow with the same id, in recordings that reuse ids). The
   * linger expires them in this order and the cap evicts the oldest first, so one head
   * serves both, with no lookup in the flows' id index. */
  closed: SlotList;
  /** Flows a tick must visit (slots and serials, like the closed ones; none without
   * options.rates): open ones, and
   * closed ones until their rates drop to zero. Closed, quiet flows (most of them in a
   * connection churn) cost a tick nothing. A list in opening order, not a Set (whose
   * hashing was a tenth of a replay): an entry whose flow left the state is dropped by the
   * next tick. */
  active: SlotList;
  /** The rate histories of young flows (Flow.history is then a slot number). */
  shortHistories: ShortHistories;
  /** Per owning pid of tracked flows: how many (so exited processes go only when nothing
   * needs them), and the owners its flows share (sharedOwner). */
  pids: Map<number, PidFlows>;
  /** The pids of the last two flows opened or removed and their entries in pids
   * (undefined: none): consecutive flows mostly share one of two processes (a churning
   * client and its server alternate), and this is a Map lookup less per open and per
   * removal under churn. -1 when it names no entry. */
  lastPid: number;
  lastPidFlows: PidFlows | undefined;
  prevPid: number;
  prevPidFlows: PidFlows | undefined;
  /** The last two owners noteOwner looked at and state.factsVersion then: the same owner
   * again with no fact moved since has nothing to fill in (a lookup in processes less per
   * flow; two, as the client's and the server's owners alternate under churn). */
  notedOwner: Owner | null;
  prevNotedOwner: Owner | null;
  notedVersion: number;
  /** ownerFactsPending's answers for the last two cgroups asked about, at factsVersion
   * `pendingVersion` (a Map lookup by a cgroup id, most of them above 2^32, per flow). */
  pendingCgroups: Float64Array;
  pendingAnswers: Uint8Array;
  pendingVersion: number;
  /** pids in exit order, pruned after linger. */
  exitedOrder: number[];
  exitedHead: number;
  reducerEvicted: number;
  kernelEvicted: number;
}

interface PidFlows {
  flows: number;
  owners: Owner[];
}

type State = CoreState & { book: Book };

export function createCoreState(options?: Partial<CoreOptions>): CoreState {
  const opts = { ...DEFAULT_CORE_OPTIONS, ...options };
  const state: State = {
    options: opts,
    now: 0,
    wallAtNow: null,
    bootWallMs: null,
    flows: new FlowMap(new FlowStore(opts.historyLength)),
    processes: new Map(),
    users: new Map(),
    groups: new Map(),
    cgroups: new Map(),
    containerNames: new Map(),
    failures: [],
    totals: {
      flowsOpen: 0,
      newFlowsPerSec: 0,
      txRate: 0,
      rxRate: 0,
      eventsPerSec: 0,
      lost: 0,
      evicted: 0,
      closedShed: 0,
      connectFailures: 0,
      closesUnseen: 0,
      opensUnseen: 0,
      throughputHistory: [],
    },
    ticks: 0,
    factsVersion: 0,
    book: {
      lastTickTs: null,
      maxFlowId: -Infinity,
      firstTs: null,
      eventsSinceTick: 0,
      newFlowsSinceTick: 0,
      departedTx: 0,
      departedRx: 0,
      closed: new SlotList(),
      active: new SlotList(),
      pids: new Map(),
      lastPid: -1,
      lastPidFlows: undefined,
      prevPid: -1,
      prevPidFlows: undefined,
      notedOwner: null,
      prevNotedOwner: null,
      notedVersion: 0,
      pendingCgroups: new Float64Array([NaN, NaN]),
      pendingAnswers: new Uint8Array(2),
      pendingVersion: -1,
      shortHistories: new ShortHistories(),
      exitedOrder: [],
      exitedHead: 0,
      reducerEvicted: 0,
      kernelEvicted: 0,
    },
  };
  return state;
}

export function applyBatch(state: CoreState, events: readonly AppEvent[]): void {
  for (let i = 0; i < events.length; i++) applyEvent(state, events[i]);
}

export function applyEvent(state: CoreState, e: AppEvent): void {
  const s = state as State;
  const book = s.book;
  book.eventsSinceTick++;
  // Each case notes its event's time first (noteTs): an `in` test on every event, of a
  // dozen shapes, cost more than the note itself.
  switch (e.type) {
    case 'flow-open':
      noteTs(s, e.ts);
      openFlow(s, e);
      break;
    case 'flow-state': {
      noteTs(s, e.ts);
      const slot = s.flows.slots.get(e.flowId);
      const store = s.flows.store;
      if (slot !== undefined && isOpen(store, slot)) {
        const code = lifecycleCode(e.state);
        if (typeof code === 'number') store.setWordCode(slot, STATE, code);
        else store.setWord(slot, STATE, code);
        store.setLifecycle(slot, appendLifecycle(store.lifecycle(slot) as Array<number | string> | null, e.ts, code));
      }
      break;
    }
    case 'flow-owner': {
      noteTs(s, e.ts);
      const slot = s.flows.slots.get(e.flowId);
      if (slot !== undefined) setOwner(s, slot, e.owner);
      break;
    }
    case 'flow-close': {
      noteTs(s, e.ts);
      const slot = s.flows.slots.get(e.flowId);
      const store = s.flows.store;
      if (slot === undefined || !isOpen(store, slot)) break;
      setCounters(store, slot, e.counters);
      store.setWordCode(slot, STATE, W_CLOSED);
      store.setNum(slot, END_TS, e.ts); // the lifecycle's last entry (flowLifecycle), with no object of its own
      s.totals.flowsOpen--;
      if (e.closeUnseen) s.totals.closesUnseen++;
      book.closed.push(slot, store.numAt(slot, SERIAL));
      break;
    }
    case 'connect-fail':
      noteTs(s, e.ts);
      s.totals.connectFailures++;
      e.owner.comm = keep(e.owner.comm);
      s.failures.push({ ts: e.ts, what: e.reason, owner: e.owner, raddr: keep(e.raddr), rport: e.rport });
      if (s.failures.length > MAX_FAILURES) s.failures.splice(0, s.failures.length - MAX_FAILURES);
      noteOwner(s, e.owner);
      break;
    case 'counters': {
      noteTs(s, e.ts);
      const list = e.flows;
      const slots = s.flows.slots;
      const store = s.flows.store;
      for (let i = 0; i < list.length; i++) {
        const c = list[i];
        const slot = slots.get(c.flowId);
        // Counters after close would reopen a closed flow's numbers; the close carries
        // the final ones.
        if (slot !== undefined && isOpen(store, slot)) setCounters(store, slot, c);
      }
      break;
    }
    case 'counter-columns':
      noteTs(s, e.ts);
      setCounterColumns(s, e.columns);
      break;
    case 'tick':
      noteTs(s, e.ts);
      tick(s, e);
      break;
    case 'proc-exec': {
      noteTs(s, e.ts);
      s.factsVersion++;
      const p = processEntry(s, e.pid);
      p.ppid = e.ppid;
      p.uid = e.uid;
      p.comm = keep(e.comm);
      // The exec'd filename is the best exe we have until a process fact says better.
      p.exe = keep(e.filename);
      // argv as the kernel read it at exec (absent in older recordings).
      p.cmdline = keep(e.cmdline ?? null);
      p.exitedTs = null;
      break;
    }
    case 'proc-fork': {
      noteTs(s, e.ts);
      s.factsVersion++;
      const parent = s.processes.get(e.ppid);
      const p = processEntry(s, e.pid);
      p.ppid = e.ppid;
      p.comm = keep(e.comm);
      p.exitedTs = null;
      // A forked child runs its parent's image until it execs.
      if (parent) {
        p.exe = parent.exe;
        p.cmdline = parent.cmdline;
        p.uid = parent.uid;
      }
      break;
    }
    case 'proc-exit': {
      noteTs(s, e.ts);
      const p = s.processes.get(e.pid);
      if (p && p.exitedTs === null) {
        p.exitedTs = e.ts;
        book.exitedOrder.push(e.pid);
      }
      break;
    }
    case 'process': {
      noteTs(s, e.ts);
      s.factsVersion++;
      const p = processEntry(s, e.pid);
      if (e.ppid !== null) p.ppid = e.ppid;
      if (e.exe !== null) p.exe = keep(e.exe);
      if (e.cmdline !== null) p.cmdline = keep(e.cmdline);
      break;
    }
    case 'user':
      noteTsIfAny(s, e);
      s.factsVersion++;
      s.users.set(e.uid, keep(e.name));
      break;
    case 'group':
      noteTsIfAny(s, e);
      s.factsVersion++;
      s.groups.set(e.gid, keep(e.name));
      break;
    case 'cgroup':
      noteTsIfAny(s, e);
      s.factsVersion++;
      if (e.container) {
        e.container.id = keep(e.container.id);
        e.container.name = keep(e.container.name);
      }
      s.cgroups.set(e.cgroupId, { cgroupId: e.cgroupId, path: keep(e.path), container: e.container });
      break;
    case 'container-name':
      noteTsIfAny(s, e);
      s.factsVersion++;
      s.containerNames.set(keep(e.id), keep(e.name));
      break;
  }
}

/** The event's time moves `now` forward (and is the first time seen, if it is). */
function noteTs(s: State, ts: number): void {
  if (s.book.firstTs === null) s.book.firstTs = ts;
  if (ts > s.now) s.now = ts;
}

/** noteTs for the fact types, which have no time, should a file give them one anyway. */
function noteTsIfAny(s: State, e: object): void {
  if ('ts' in e) noteTs(s, e.ts as number);
}

function processEntry(s: State, pid: number): ProcessInfo {
  let p = s.processes.get(pid);
  if (!p) {
    p = { pid, ppid: null, comm: null, exe: null, cmdline: null, uid: null, exitedTs: null };
    s.processes.set(pid, p);
  }
  return p;
}

/** The kernel's view of the owner fills what facts have not (yet) said. */
function noteOwner(s: State, o: Owner): void {
  const p = processEntry(s, o.pid);
  if (p.comm === null) p.comm = o.comm;
  if (p.ppid === null && o.ppid > 0) p.ppid = o.ppid;
  if (p.uid === null) p.uid = o.uid;
}

/** Whether the flow in `slot` is open (its endTs is NaN until the close). */
function isOpen(store: FlowStore, slot: number): boolean {
  const end = store.numAt(slot, END_TS);
  return end !== end;
}

/** Opens the flow; returns its slot. `listed` false: it stays out of the flows' index
 * (CoreOptions.listBriefs). */
function openFlow(s: State, e: FlowOpenEvent, listed = true): number {
  const book = s.book;
  const flows = s.flows;
  if (e.flowId > book.maxFlowId) book.maxFlowId = e.flowId;
  else {
    // A repeated id replaces the old flow (its entries in the closed and active lists go
    // stale with its serial).
    const existing = flows.slots.get(e.flowId);
    if (existing !== undefined) removeFlow(s, existing);
  }
  if (flows.size >= s.options.maxFlows) evictOne(s);
  if (e.openUnseen) s.totals.opensUnseen++;
  const ownerPid = e.owner.pid;
  let pid = ownerPid === book.lastPid ? book.lastPidFlows : undefined;
  if (pid === undefined) {
    pid = ownerPid === book.prevPid ? book.prevPidFlows : book.pids.get(ownerPid);
    if (pid === undefined) {
      pid = { flows: 0, owners: [] };
      book.pids.set(ownerPid, pid);
    }
    book.prevPid = book.lastPid;
    book.prevPidFlows = book.lastPidFlows;
    book.lastPid = ownerPid;
    book.lastPidFlows = pid;
  }
  const owner = sharedOwner(pid.owners, e.owner);
  pid.flows++;
  const store = flows.store;
  const slot = store.alloc();
  const page = slot >> PAGE_BITS;
  const row = slot & PAGE_MASK;
  const num = store.num[page];
  const o = row * NUM_STRIDE;
  const int = store.int[page];
  const q = row * INT_STRIDE;
  store.valueWrites++;
  num[o + FLOW_ID] = e.flowId;
  num[o + COOKIE] = e.cookie;
  num[o + START_TS] = e.ts;
  num[o + END_TS] = NaN;
  num[o + BYTES_SENT] = 0;
  num[o + BYTES_RECEIVED] = 0;
  num[o + PACKETS_SENT] = NaN;
  num[o + PACKETS_RECEIVED] = NaN;
  num[o + TX_RATE] = 0;
  num[o + RX_RATE] = 0;
  num[o + PREV_BYTES_SENT] = 0;
  num[o + PREV_BYTES_RECEIVED] = 0;
  int[q + HISTORY_START] = s.ticks;
  int[q + HISTORY_END] = -1;
  int[q + PORTS] = (e.lport & 0xffff) | (e.rport << 16);
  int[q + FAMILY_FLAGS] = (e.family & 0xff) | (e.seenAtStart ? SEEN_AT_START_BIT : 0);
  int[q + RETRANSMITS] = U32_NULL;
  int[q + SRTT_US] = U32_NULL;
  int[q + CONNECT_LATENCY_US] = u32Field(e.connectLatencyUs);
  // Words as their codes, the addresses and the owner as codes of values shared with the
  // other flows (flow-store.ts), none of them the event's copies.
  int[q + PROTO] = e.proto === 'tcp' ? W_TCP : e.proto === 'udp' ? W_UDP : store.wordCode(e.proto);
  int[q + LADDR] = store.addresses.take(e.laddr);
  int[q + RADDR] = store.addresses.take(e.raddr);
  int[q + DIRECTION] = e.direction === 'outbound' ? W_OUTBOUND : e.direction === 'inbound' ? W_INBOUND : store.wordCode(e.direction);
  int[q + OWNER] = store.owners.take(owner);
  const state = store.wordCode(e.state);
  int[q + STATE] = state;
  // A rare word (state < -1) counted once more for its second use.
  int[q + OPENED_AS] = e.seenAtStart ? W_SEEN_AT_START : state < -1 ? store.wordCode(e.state) : state;
  int[q + LIFECYCLE] = -1;
  int[q + HISTORY] = NO_HISTORY;
  if (listed) flows.slots.set(e.flowId, slot);
  else flows.slots.setApart(slot);
  if (s.options.rates !== false) {
    book.active.push(slot, num[o + SERIAL]);
    if (book.active.end > 2 * flows.size + 1024) dropRemoved(book, store); // no ticks to do it
  }
  s.totals.flowsOpen++;
  book.newFlowsSinceTick++;
  noteOwnerOnce(s, owner);
  return slot;
}

/** noteOwner, skipped for the owners of the last two flows while no fact has moved. */
function noteOwnerOnce(s: State, owner: Owner): void {
  const book = s.book;
  if (s.factsVersion !== book.notedVersion) {
    book.notedVersion = s.factsVersion;
    book.notedOwner = null;
    book.prevNotedOwner = null;
  }
  if (owner !== book.notedOwner && owner !== book.prevNotedOwner) {
    noteOwner(s, owner);
    book.prevNotedOwner = book.notedOwner;
    book.notedOwner = owner;
  }
}

/** A flow that opened and closed in one record (FLOW_BRIEF, src/core/apply-runs.ts): what
 * applyEvent does with its open and then its close, without the close's lookup of the
 * slot just opened or a second pass through applyEvent (two per connection under churn). */
export function applyBrief(state: CoreState, open: FlowOpenEvent, close: FlowCloseEvent): void {
  const s = state as State;
  const book = s.book;
  book.eventsSinceTick += 2;
  noteTs(s, open.ts);
  const atOnce = s.options.onBriefDone;
  if (atOnce !== undefined && s.bootWallMs !== null && !ownerFactsPending(s, open.owner.cgroupId)) {
    // Final as it comes (CoreOptions.onBriefDone): it never enters the state.
    noteTs(s, close.ts);
    if (open.flowId > book.maxFlowId) book.maxFlowId = open.flowId;
    book.newFlowsSinceTick++;
    if (close.closeUnseen) s.totals.closesUnseen++;
    if (open.openUnseen) s.totals.opensUnseen++;
    noteOwnerOnce(s, open.owner);
    atOnce(open, close);
    return;
  }
  const slot = openFlow(s, open, s.options.listBriefs !== false);
  noteTs(s, close.ts);
  const store = s.flows.store;
  setCounters(store, slot, close.counters);
  store.setWordCode(slot, STATE, W_CLOSED);
  store.setNum(slot, END_TS, close.ts);
  s.totals.flowsOpen--;
  if (close.closeUnseen) s.totals.closesUnseen++;
  book.closed.push(slot, store.numAt(slot, SERIAL));
}

/** FLOW_OWNER: a flow opened without an owner (an idle inbound one, announced after a
 * second) moves to the process a task of which has now sent, received or closed on it. */
function setOwner(s: State, slot: number, o: Owner): void {
  const store = s.flows.store;
  const book = s.book;
  const oldPid = store.owner(slot).pid;
  let pid = book.pids.get(o.pid);
  if (pid === undefined) {
    pid = { flows: 0, owners: [] };
    book.pids.set(o.pid, pid);
  }
  pid.flows++;
  const owner = sharedOwner(pid.owners, o);
  store.setOwner(slot, owner);
  forgetPidFlow(s, oldPid);
  noteOwner(s, owner);
}

/** Flows opened by the same process (and thread) share one owner object: the kernel
 * reports the same owner in every record, and one object per flow costs ~150 bytes.
 * A pid's owners are forgotten with its last flow (removeFlow). An owner the state adopts
 * gets its comm interned (keep); one already shared (the live decoder shares owners too)
 * is found first by identity. */
function sharedOwner(list: Owner[], o: Owner): Owner {
  for (let i = 0; i < list.length; i++) if (list[i] === o) return o;
  for (let i = 0; i < list.length; i++) {
    const x = list[i];
    if (x.tid === o.tid && x.ppid === o.ppid && x.uid === o.uid && x.gid === o.gid && x.comm === o.comm &&
        x.cgroupId === o.cgroupId && x.netns === o.netns) return x;
  }
  // A process with many threads or identities: share the first few, keep the rest as given.
  o.comm = keep(o.comm);
  if (list.length < 16) list.push(o);
  return o;
}

function removeFlow(s: State, slot: number): void {
  const store = s.flows.store;
  if (s.flows.slots.lists(slot)) s.flows.slots.delete(store.numAt(slot, FLOW_ID));
  // Out of the tick's rounds (dropped from the active list by the next tick): its history ends.
  if (store.intAt(slot, HISTORY_END) === -1) store.setInt(slot, HISTORY_END, s.ticks);
  // A short history's slot goes back for the next flow (a flow out of the state has none;
  // a full ring goes back with the store's slot, after a view of the flow copied it).
  const h = store.history(slot);
  if (h !== null && h >= 0) {
    s.book.shortHistories.release(h);
    store.setHistory(slot, null);
  }
  if (isOpen(store, slot)) s.totals.flowsOpen--;
  if (s.options.rates !== false) {
    // Bytes no tick has counted yet (a flow shed at the cap within the interval it opened
    // in, when more flows than the cap open in one) still count in the next tick's totals.
    const book = s.book;
    book.departedTx += store.numAt(slot, BYTES_SENT) - store.numAt(slot, PREV_BYTES_SENT);
    book.departedRx += store.numAt(slot, BYTES_RECEIVED) - store.numAt(slot, PREV_BYTES_RECEIVED);
  }
  const pid = store.owner(slot).pid;
  store.release(slot);
  forgetPidFlow(s, pid);
}

/** One flow of `pid` is gone from the state (removed, or named another owner). */
function forgetPidFlow(s: State, pid: number): void {
  const book = s.book;
  const flows = pid === book.lastPid ? book.lastPidFlows : pid === book.prevPid ? book.prevPidFlows : book.pids.get(pid);
  if (flows !== undefined && --flows.flows > 0) return;
  book.pids.delete(pid);
  if (book.lastPid === pid) {
    book.lastPid = -1;
    book.lastPidFlows = undefined;
  }
  if (book.prevPid === pid) {
    book.prevPid = -1;
    book.prevPidFlows = undefined;
  }
  // The last flow of an exited process is gone: its facts are no longer needed once
  // the linger time after its exit has passed (else pruneProcesses takes it later).
  const p = s.processes.get(pid);
  if (p && p.exitedTs !== null && s.now - p.exitedTs >= s.options.lingerNs) {
    s.processes.delete(pid);
    s.factsVersion++;
  }
}

/** How many of the oldest flows evictOne looks at for an idle one. */
const EVICTION_SCAN = 64;

/** The cap is reached: the oldest closed flow goes (counted in totals.closedShed: it had
 * ended, only its time on screen is cut short), else the oldest idle one, else the oldest
 * (counted in totals.evicted, like kernel map evictions: a flow still open is no longer
 * followed). */
function evictOne(s: State): void {
  const book = s.book;
  const store = s.flows.store;
  const oldest = oldestClosed(book, store);
  if (oldest !== -1) {
    book.closed.head++;
    removeFlow(s, oldest);
    s.totals.closedShed++;
    return;
  }
  // The oldest idle flow among the oldest few, else the oldest: a full scan for an idle
  // one made a burst past the cap quadratic (100,000 new flows that each moved a byte kept
  // the TUI busy for minutes).
  let victim = -1;
  let looked = 0;
  for (const slot of s.flows.slots.values()) {
    if (victim === -1) victim = slot;
    if (store.numAt(slot, TX_RATE) === 0 && store.numAt(slot, RX_RATE) === 0) {
      victim = slot;
      break;
    }
    if (++looked >= EVICTION_SCAN) break;
  }
  if (victim !== -1) {
    removeFlow(s, victim);
    book.reducerEvicted++;
  }
}

/** Drops the entries of flows that left the state from the active list, in place, order kept. */
function dropRemoved(book: Book, store: FlowStore): void {
  const { slots, serials } = book.active;
  let kept = 0;
  for (let i = 0; i < book.active.end; i++) {
    if (store.numAt(slots[i], SERIAL) !== serials[i]) continue;
    slots[kept] = slots[i];
    serials[kept++] = serials[i];
  }
  book.active.end = kept;
}

/** The slot of the oldest closed flow still in the state (at the closed list's head), or -1. */
function oldestClosed(book: Book, store: FlowStore): number {
  const closed = book.closed;
  while (closed.head < closed.end) {
    const slot = closed.slots[closed.head];
    if (store.numAt(slot, SERIAL) === closed.serials[closed.head]) return slot;
    closed.head++;
  }
  return -1;
}

/** Closed flows whose linger has passed go, in the order they closed. */
function expireLinger(s: State, now: number): void {
  const book = s.book;
  const store = s.flows.store;
  const linger = s.options.lingerNs;
  if (linger === Infinity) return;
  const lingerForFacts = s.options.lingerForFactsNs ?? linger;
  const done = s.options.onFlowDone;
  // With rates, a flow leaves only once a tick has counted its last bytes and a screen
  // could show it: it closed by the previous tick. An interval longer than the linger
  // (--interval 10s) otherwise lost every flow that closed early in it, unseen and its
  // bytes missing from the totals.
  const counted = s.options.rates === false ? Infinity : (book.lastTickTs ?? -Infinity);
  for (let slot = oldestClosed(book, store); slot !== -1; slot = oldestClosed(book, store)) {
    const end = store.numAt(slot, END_TS);
    const age = now - end;
    if (age < linger || end > counted || (age < lingerForFacts && ownerFactsPending(s, store.owner(slot).cgroupId))) break;
    book.closed.head++;
    if (done !== undefined) done(store.transientView(slot));
    removeFlow(s, slot);
  }
}

/** Whether facts about a flow's owner may still come: its cgroup's path (the enricher
 * retries one it could not resolve), or the name of the docker/podman container it is in
 * (asked of the runtime's API). */
function ownerFactsPending(s: State, cgroupId: number): boolean {
  if (cgroupId === 0) return false;
  const book = s.book;
  const asked = book.pendingCgroups;
  const answers = book.pendingAnswers;
  if (book.pendingVersion !== s.factsVersion) {
    book.pendingVersion = s.factsVersion;
    asked[0] = NaN;
    asked[1] = NaN;
  }
  if (asked[0] === cgroupId) return answers[0] === 1;
  if (asked[1] === cgroupId) return answers[1] === 1;
  const pending = cgroupFactsPending(s, cgroupId);
  asked[1] = asked[0];
  answers[1] = answers[0];
  asked[0] = cgroupId;
  answers[0] = pending ? 1 : 0;
  return pending;
}

function cgroupFactsPending(s: State, cgroupId: number): boolean {
  const cgroup = s.cgroups.get(cgroupId);
  if (cgroup === undefined || cgroup.path === null) return true;
  const c = cgroup.container;
  if (c === null || c.name !== null || (c.runtime !== 'docker' && c.runtime !== 'podman')) return false;
  return !s.containerNames.has(c.id);
}

function setCounters(
  store: FlowStore,
  slot: number,
  c: { bytesSent: number; bytesReceived: number; packetsSent: number | null; packetsReceived: number | null; retransmits: number | null; srttUs: number | null },
): void {
  const num = store.num[slot >> PAGE_BITS];
  const o = (slot & PAGE_MASK) * NUM_STRIDE;
  const int = store.int[slot >> PAGE_BITS];
  const q = (slot & PAGE_MASK) * INT_STRIDE;
  store.valueWrites++;
  num[o + BYTES_SENT] = c.bytesSent;
  num[o + BYTES_RECEIVED] = c.bytesReceived;
  num[o + PACKETS_SENT] = c.packetsSent ?? NaN;
  num[o + PACKETS_RECEIVED] = c.packetsReceived ?? NaN;
  int[q + RETRANSMITS] = u32Field(c.retransmits);
  int[q + SRTT_US] = u32Field(c.srttUs);
}

/** A replayed counters snapshot (columns, NaN for null, as the store keeps them): what
 * the `counters` case does, entry by entry, in one loop over typed arrays. */
function setCounterColumns(s: State, c: CounterColumns): void {
  const slots = s.flows.slots;
  const store = s.flows.store;
  const pages = store.num;
  const intPages = store.int;
  const { flowId, bytesSent, bytesReceived, packetsSent, packetsReceived, retransmits, srttUs } = c;
  for (let i = 0; i < c.length; i++) {
    const slot = slots.get(flowId[i]);
    if (slot === undefined) continue;
    const num = pages[slot >> PAGE_BITS];
    const o = (slot & PAGE_MASK) * NUM_STRIDE;
    const end = num[o + END_TS];
    if (end === end) continue; // closed
    store.valueWrites++;
    num[o + BYTES_SENT] = bytesSent[i];
    num[o + BYTES_RECEIVED] = bytesReceived[i];
    num[o + PACKETS_SENT] = packetsSent[i];
    num[o + PACKETS_RECEIVED] = packetsReceived[i];
    const int = intPages[slot >> PAGE_BITS];
    const q = (slot & PAGE_MASK) * INT_STRIDE;
    int[q + RETRANSMITS] = u32Field(retransmits[i]);
    int[q + SRTT_US] = u32Field(srttUs[i]);
  }
}

function tick(s: State, e: TickEvent): void {
  const book = s.book;
  const opts = s.options;
  const store = s.flows.store;
  const since = book.lastTickTs ?? book.firstTs ?? e.ts;
  const dtNs = e.ts - since;
  // Rates need a positive interval; a first tick with nothing before it has none.
  const perSec = dtNs > 0 ? 1e9 / dtNs : 0;
  let tx = 0;
  let rx = 0;
  const hist = opts.historyLength;
  expireLinger(s, e.ts);
  // Visits the active flows in order, keeping (compacted in place) those that stay.
  const { slots, serials } = book.active;
  const active = book.active.end;
  const numPages = store.num;
  const intPages = store.int;
  const rings = store.rings;
  const t = s.ticks;
  const tickSlot = hist > 0 ? t % hist : 0;
  let kept = 0;
  for (let i = 0; i < active; i++) {
    const slot = slots[i];
    const num = numPages[slot >> PAGE_BITS];
    const o = (slot & PAGE_MASK) * NUM_STRIDE;
    if (num[o + SERIAL] !== serials[i]) continue; // left the state (removeFlow)
    const sent = num[o + BYTES_SENT];
    const received = num[o + BYTES_RECEIVED];
    const dTx = sent - num[o + PREV_BYTES_SENT];
    const dRx = received - num[o + PREV_BYTES_RECEIVED];
    const end = num[o + END_TS];
    const closed = end === end;
    // A closed flow that already reported zero rates needs no more work, ever.
    if (closed && dTx === 0 && dRx === 0 && num[o + TX_RATE] === 0 && num[o + RX_RATE] === 0) {
      store.setInt(slot, HISTORY_END, t);
      continue;
    }
    // Whole bytes/s, rounded up: a flow that moved never shows 0.
    const txr = dTx > 0 ? Math.ceil(dTx * perSec) : 0;
    const rxr = dRx > 0 ? Math.ceil(dRx * perSec) : 0;
    if (num[o + TX_RATE] !== txr || num[o + RX_RATE] !== rxr) store.valueWrites++;
    num[o + TX_RATE] = txr;
    num[o + RX_RATE] = rxr;
    num[o + PREV_BYTES_SENT] = sent;
    num[o + PREV_BYTES_RECEIVED] = received;
    tx += txr;
    rx += rxr;
    // Idle intervals of a flow that never moved are implicit zeros (rateHistory).
    if (hist > 0) {
      const h = intPages[slot >> PAGE_BITS][(slot & PAGE_MASK) * INT_STRIDE + HISTORY];
      if (h < 0 && h !== NO_HISTORY) {
        // A full ring (a flow that kept moving): its sample written here, as recordRates
        // would, without the call (the most frequent case of a long capture's tick).
        const ring = -1 - h;
        const at = rings.offset(ring) + 2 * tickSlot;
        const page = rings.page(ring);
        page[at] = txr;
        page[at + 1] = rxr;
      } else if (txr !== 0 || rxr !== 0 || h !== NO_HISTORY) recordRates(book, store, slot, t, hist);
    }
    // A closed flow that did not move now reports zeros, and will at every later tick (its
    // counters are final): it leaves now, its history ending after this tick, rather than
    // costing the next tick a visit to find that out.
    if (closed && dTx === 0 && dRx === 0) store.setInt(slot, HISTORY_END, t + 1);
    else {
      slots[kept] = slot;
      serials[kept++] = serials[i];
    }
  }
  book.active.end = kept;
  if (book.departedTx > 0) tx += Math.ceil(book.departedTx * perSec);
  if (book.departedRx > 0) rx += Math.ceil(book.departedRx * perSec);
  book.departedTx = 0;
  book.departedRx = 0;
  const totals = s.totals;
  totals.txRate = tx;
  totals.rxRate = rx;
  totals.newFlowsPerSec = book.newFlowsSinceTick * perSec;
  totals.eventsPerSec = book.eventsSinceTick * perSec;
  totals.lost = e.lost;
  book.kernelEvicted = e.evicted;
  totals.evicted = book.kernelEvicted + book.reducerEvicted;
  if (hist > 0) {
    totals.throughputHistory.push(tx + rx);
    if (totals.throughputHistory.length > hist) totals.throughputHistory.shift();
  }
  book.newFlowsSinceTick = 0;
  book.eventsSinceTick = 0;
  book.lastTickTs = e.ts;
  s.wallAtNow = e.wallMs + (s.now - e.ts) / 1e6;
  s.bootWallMs = e.wallMs - e.ts / 1e6;
  s.ticks++;
  pruneProcesses(s, e.ts);
}

/** Stores the flow's rates of tick `t` in its history: while the flow is young (t within
 * SHORT_HISTORY ticks of historyStart) in a slot of the state's short histories, indexed
 * from historyStart; then in a full ring (the store's rate rings, rate-rings.ts) indexed
 * by t % hist (the short samples moved over, the slot given back). Most flows under connection churn live one or
 * two intervals: a full ring each (2 x 60 doubles) was most of the garbage a replay made.
 * A flow that is quiet once its short samples are taken keeps the slot (its later samples
 * are zeros) and gets a ring only when it moves again; once those samples are out of the
 * window its history is all zeros and it has none, like a flow that never moved. Held,
 * idle connections (100,000 in the memory benchmark) then cost no ring each. */
function recordRates(book: Book, store: FlowStore, slot: number, t: number, hist: number): void {
  const start = store.intAt(slot, HISTORY_START);
  const age = t - start;
  const txr = store.numAt(slot, TX_RATE);
  const rxr = store.numAt(slot, RX_RATE);
  const rings = store.rings;
  let h = store.history(slot);
  if (h === null) {
    h = age < SHORT_HISTORY && SHORT_HISTORY < hist ? book.shortHistories.take() : -1 - rings.take();
    store.setHistory(slot, h);
  }
  if (h >= 0) {
    const short = book.shortHistories;
    if (age < SHORT_HISTORY) {
      short.set(h, age, txr, rxr);
      return;
    }
    if (txr === 0 && rxr === 0) {
      // Its last sample that moved (tick historyStart + j) left the window of `hist` ticks
      // ending at t: the rest are zeros, as a flow with no history reads. (Held
      // connections that sent once, as the footprint benchmark's 100,000, give their slots
      // back 3 intervals sooner than when the last short sample had to leave, and with
      // them the pool's 8 MB.)
      if (age >= lastMoved(short, h) + hist) {
        short.release(h);
        store.setHistory(slot, null);
      }
      return;
    }
    const ring = rings.take();
    const page = rings.page(ring);
    const o = rings.offset(ring);
    for (let j = 0; j < SHORT_HISTORY; j++) {
      // A sample out of the window: its slot now stands for a later (quiet) tick.
      if (t - (start + j) >= hist) continue;
      const at = o + 2 * ((start + j) % hist);
      page[at] = short.tx(h, j);
      page[at + 1] = short.rx(h, j);
    }
    short.release(h);
    h = -1 - ring;
    store.setHistory(slot, h);
  }
  const ring = -1 - h;
  const at = rings.offset(ring) + 2 * (t % hist);
  const page = rings.page(ring);
  page[at] = txr;
  page[at + 1] = rxr;
}

/** The last of a short history's samples that is not zero (0 when none is). */
function lastMoved(short: ShortHistories, h: number): number {
  for (let j = SHORT_HISTORY - 1; j > 0; j--) if (short.tx(h, j) !== 0 || short.rx(h, j) !== 0) return j;
  return 0;
}

/** Exited processes go after linger, unless a tracked flow still needs their facts. */
function pruneProcesses(s: State, now: number): void {
  const book = s.book;
  const linger = s.options.lingerNs;
  while (book.exitedHead < book.exitedOrder.length) {
    const pid = book.exitedOrder[book.exitedHead];
    const p = s.processes.get(pid);
    if (p && p.exitedTs !== null && now - p.exitedTs < linger) break;
    book.exitedHead++;
    if (p && p.exitedTs !== null && !book.pids.has(pid)) {
      s.processes.delete(pid);
      s.factsVersion++;
    }
  }
  if (book.exitedHead > 4096 && book.exitedHead * 2 > book.exitedOrder.length) {
    book.exitedOrder = book.exitedOrder.slice(book.exitedHead);
    book.exitedHead = 0;
  }
}

// ---- lookups ---------------------------------------------------------------------

/** The slots of every flow the state holds, in opening order: those of `flows` and the
 * closed ones held outside it (CoreOptions.listBriefs), merged by their serials (both in
 * opening order). */
export function* heldSlots(state: CoreState): IterableIterator<number> {
  const store = state.flows.store;
  const closed = (state as State).book.closed;
  const index = state.flows.slots;
  let c = closed.head;
  for (const slot of index.values()) {
    const serial = store.numAt(slot, SERIAL);
    for (; c < closed.end && closed.serials[c] < serial; c++) if (isApart(store, index, closed, c)) yield closed.slots[c];
    yield slot;
  }
  for (; c < closed.end; c++) if (isApart(store, index, closed, c)) yield closed.slots[c];
}

/** Whether entry `i` of the closed list is a flow still held outside the index. */
function isApart(store: FlowStore, index: FlowMap['slots'], closed: SlotList, i: number): boolean {
  const slot = closed.slots[i];
  return store.numAt(slot, SERIAL) === closed.serials[i] && !index.lists(slot);
}

export function flowProcess(state: CoreState, flow: Flow): ProcessInfo | null {
  return state.processes.get(flow.owner.pid) ?? null;
}

export function flowUser(state: CoreState, flow: Flow): string | null {
  return state.users.get(flow.owner.uid) ?? null;
}

export function flowGroup(state: CoreState, flow: Flow): string | null {
  return state.groups.get(flow.owner.gid) ?? null;
}

export function flowCgroup(state: CoreState, flow: Flow): CgroupInfo | null {
  return state.cgroups.get(flow.owner.cgroupId) ?? null;
}

export function flowContainer(state: CoreState, flow: Flow): Container | null {
  const c = state.cgroups.get(flow.owner.cgroupId)?.container ?? null;
  if (!c) return null;
  const name = state.containerNames.get(c.id);
  return name !== undefined && name !== null && name !== c.name ? { ...c, name } : c;
}

/** The flow's lifecycle (src/core/lifecycle.ts), here with the other lookups. */
export { flowLifecycle } from './lifecycle';

/** The flow's rates (bytes/s) per tick since it was first seen, oldest first, at most
 * historyLength of them; an interval in which it did not move is a zero. A closed flow's
 * history ends at the tick that found it quiet. */
export function rateHistory(state: CoreState, flow: Flow): { tx: number[]; rx: number[] } {
  const len = state.options.historyLength;
  const end = flow.historyEnd >= 0 ? flow.historyEnd : state.ticks;
  const n = Math.max(0, Math.min(len, end - flow.historyStart));
  const tx = new Array<number>(n).fill(0);
  const rx = new Array<number>(n).fill(0);
  const ring = flow.history;
  if (typeof ring === 'number') {
    // A short history: samples from historyStart on, zeros after the first SHORT_HISTORY.
    const short = (state as State).book.shortHistories;
    for (let i = 0; i < n; i++) {
      const j = end - n + i - flow.historyStart;
      if (j < 0 || j >= SHORT_HISTORY) continue;
      tx[i] = short.tx(ring, j);
      rx[i] = short.rx(ring, j);
    }
  } else if (ring !== null) {
    for (let i = 0; i < n; i++) {
      const slot = 2 * ((end - n + i) % len);
      tx[i] = ring[slot];
      rx[i] = ring[slot + 1];
    }
  }
  return { tx, rx };
}

/** Wall-clock ms for a monotonic ts, from the pairing the last tick carried. */
export function wallMsAt(state: CoreState, ts: number): number | null {
  return state.bootWallMs === null ? null : state.bootWallMs + ts / 1e6;
}
