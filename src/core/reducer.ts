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
import type { AppEvent, Container, CounterColumns, Direction, FlowOpenEvent, Owner, Proto, TickEvent } from '../events/types';
import { keep } from './intern';
import { LIFECYCLE_WORDS, lifecycleCode, pushLifecycle, word } from './lifecycle';
import { SHORT_HISTORY, ShortHistories } from './short-histories';
import type { CgroupInfo, CoreOptions, CoreState, Flow, ProcessInfo } from './state';

export const DEFAULT_CORE_OPTIONS: CoreOptions = {
  lingerNs: 5e9,
  maxFlows: 100_000,
  historyLength: 60,
};

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
  /** Closed flows in the order they closed. The linger expires them in this order and
   * the cap evicts the oldest first, so one head serves both: the entries before it have
   * left the state (and are null), and the flows themselves are held rather than their
   * ids, so that neither needs a lookup in `flows` (a large Map under connection churn). */
  closed: Array<Flow | null>;
  /** The first entry of `closed` that may still be in the state. */
  closedHead: number;
  /** Closed flows that left out of close order (replaced by a flow with the same id):
   * passed over when the head reaches them. Empty but for recordings that reuse ids. */
  closedGone: Set<Flow>;
  /** Flows a tick must visit: open ones, and closed ones until their rates drop to zero.
   * Closed, quiet flows (most of them in a connection churn) cost a tick nothing. An
   * array in opening order, not a Set (whose hashing was a tenth of a replay): a flow that
   * left the state is marked by its historyEnd (removeFlow) and dropped by the next tick. */
  active: Flow[];
  /** The rate histories of young flows (Flow.history is then a slot number). */
  shortHistories: ShortHistories;
  /** Per owning pid of tracked flows: how many (so exited processes go only when nothing
   * needs them), and the owners its flows share (sharedOwner). */
  pids: Map<number, PidFlows>;
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
  const state: State = {
    options: { ...DEFAULT_CORE_OPTIONS, ...options },
    now: 0,
    wallAtNow: null,
    bootWallMs: null,
    flows: new Map(),
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
      connectFailures: 0,
      throughputHistory: [],
    },
    ticks: 0,
    book: {
      lastTickTs: null,
      maxFlowId: -Infinity,
      firstTs: null,
      eventsSinceTick: 0,
      newFlowsSinceTick: 0,
      closed: [],
      closedHead: 0,
      closedGone: new Set(),
      active: [],
      pids: new Map(),
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
      const f = s.flows.get(e.flowId);
      if (f && f.endTs === null) {
        const code = lifecycleCode(e.state);
        f.state = typeof code === 'number' ? LIFECYCLE_WORDS[code] : code;
        pushLifecycle(f, e.ts, code);
      }
      break;
    }
    case 'flow-close': {
      noteTs(s, e.ts);
      const f = s.flows.get(e.flowId);
      if (!f || f.endTs !== null) break;
      setCounters(f, e.counters);
      f.state = 'closed';
      f.endTs = e.ts; // the lifecycle's last entry (flowLifecycle), with no object of its own
      s.totals.flowsOpen--;
      book.closed.push(f);
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
      for (let i = 0; i < list.length; i++) {
        const c = list[i];
        const f = s.flows.get(c.flowId);
        // Counters after close would reopen a closed flow's numbers; the close carries
        // the final ones.
        if (f && f.endTs === null) setCounters(f, c);
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
      const p = processEntry(s, e.pid);
      if (e.ppid !== null) p.ppid = e.ppid;
      if (e.exe !== null) p.exe = keep(e.exe);
      if (e.cmdline !== null) p.cmdline = keep(e.cmdline);
      break;
    }
    case 'user':
      noteTsIfAny(s, e);
      s.users.set(e.uid, keep(e.name));
      break;
    case 'group':
      noteTsIfAny(s, e);
      s.groups.set(e.gid, keep(e.name));
      break;
    case 'cgroup':
      noteTsIfAny(s, e);
      if (e.container) {
        e.container.id = keep(e.container.id);
        e.container.name = keep(e.container.name);
      }
      s.cgroups.set(e.cgroupId, { cgroupId: e.cgroupId, path: keep(e.path), container: e.container });
      break;
    case 'container-name':
      noteTsIfAny(s, e);
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

function openFlow(s: State, e: FlowOpenEvent): void {
  const book = s.book;
  if (e.flowId > book.maxFlowId) book.maxFlowId = e.flowId;
  else {
    const existing = s.flows.get(e.flowId);
    if (existing) {
      // A repeated id replaces the old flow.
      if (existing.endTs !== null) book.closedGone.add(existing);
      removeFlow(s, existing);
    }
  }
  if (s.flows.size >= s.options.maxFlows) evictOne(s);
  let pid = book.pids.get(e.owner.pid);
  if (pid === undefined) {
    pid = { flows: 0, owners: [] };
    book.pids.set(e.owner.pid, pid);
  }
  const owner = sharedOwner(pid.owners, e.owner);
  pid.flows++;
  // The vocabulary strings a flow keeps are shared ones, not the event's copies.
  const state = word(e.state);
  // Fields in the order of use, not of the interface: the tick reads the first ten of
  // every active flow and the state changes and close the next six, so each touches two
  // of the object's cache lines instead of four.
  const f: Flow = {
    historyEnd: -1,
    endTs: null,
    bytesSent: 0,
    bytesReceived: 0,
    prevBytesSent: 0,
    prevBytesReceived: 0,
    txRate: 0,
    rxRate: 0,
    history: null,
    historyStart: s.ticks,
    state,
    lifecycle: null,
    packetsSent: null,
    packetsReceived: null,
    retransmits: null,
    srttUs: null,
    flowId: e.flowId,
    cookie: e.cookie,
    proto: e.proto === 'tcp' ? 'tcp' : e.proto === 'udp' ? 'udp' : word<Proto>(e.proto),
    family: e.family,
    laddr: keep(e.laddr),
    lport: e.lport,
    raddr: keep(e.raddr),
    rport: e.rport,
    direction: e.direction === 'outbound' ? 'outbound' : e.direction === 'inbound' ? 'inbound' : word<Direction>(e.direction),
    owner,
    seenAtStart: e.seenAtStart,
    startTs: e.ts,
    connectLatencyUs: e.connectLatencyUs,
    openedAs: e.seenAtStart ? 'seen at start' : state,
  };
  s.flows.set(f.flowId, f);
  book.active.push(f);
  if (book.active.length > 2 * s.flows.size + 1024) dropRemoved(book.active); // no ticks to do it
  s.totals.flowsOpen++;
  book.newFlowsSinceTick++;
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

function removeFlow(s: State, f: Flow): void {
  s.flows.delete(f.flowId);
  // Out of the tick's rounds (dropped from book.active by the next tick): its history ends.
  if (f.historyEnd === -1) f.historyEnd = s.ticks;
  // A short history's slot goes back for the next flow (a flow out of the state has none).
  if (typeof f.history === 'number') {
    s.book.shortHistories.release(f.history);
    f.history = null;
  }
  if (f.endTs === null) s.totals.flowsOpen--;
  const book = s.book;
  const pid = f.owner.pid;
  const flows = book.pids.get(pid);
  if (flows !== undefined && --flows.flows > 0) return;
  book.pids.delete(pid);
  // The last flow of an exited process is gone: its facts are no longer needed once
  // the linger time after its exit has passed (else pruneProcesses takes it later).
  const p = s.processes.get(pid);
  if (p && p.exitedTs !== null && s.now - p.exitedTs >= s.options.lingerNs) s.processes.delete(pid);
}

/** The cap is reached: the oldest closed flow goes, else the oldest idle one, else the
 * oldest. Counted in totals.evicted, like kernel map evictions. */
/** How many of the oldest flows evictOne looks at for an idle one. */
const EVICTION_SCAN = 64;

function evictOne(s: State): void {
  const book = s.book;
  const oldest = oldestClosed(book);
  if (oldest !== null) {
    book.closed[book.closedHead++] = null;
    removeFlow(s, oldest);
    compactClosed(book);
    book.reducerEvicted++;
    return;
  }
  // The oldest idle flow among the oldest few, else the oldest: a full scan for an idle
  // one made a burst past the cap quadratic (100,000 new flows that each moved a byte kept
  // the TUI busy for minutes).
  let victim: Flow | null = null;
  let looked = 0;
  for (const f of s.flows.values()) {
    if (victim === null) victim = f;
    if (f.txRate === 0 && f.rxRate === 0) {
      victim = f;
      break;
    }
    if (++looked >= EVICTION_SCAN) break;
  }
  if (victim) {
    removeFlow(s, victim);
    book.reducerEvicted++;
  }
}

/** Drops the flows that left the state from `active`, in place, order kept. */
function dropRemoved(active: Flow[]): void {
  let kept = 0;
  for (let i = 0; i < active.length; i++) if (active[i].historyEnd === -1) active[kept++] = active[i];
  active.length = kept;
}

/** The oldest closed flow still in the state (at closedHead), or null. */
function oldestClosed(book: Book): Flow | null {
  const closed = book.closed;
  while (book.closedHead < closed.length) {
    const f = closed[book.closedHead]!;
    if (book.closedGone.size === 0 || !book.closedGone.delete(f)) return f;
    closed[book.closedHead++] = null;
  }
  return null;
}

function compactClosed(book: Book): void {
  const head = book.closedHead;
  if (head > 4096 && head * 2 > book.closed.length) {
    book.closed = book.closed.slice(head);
    book.closedHead = 0;
  }
}

/** Closed flows whose linger has passed go, in the order they closed. */
function expireLinger(s: State, now: number): void {
  const book = s.book;
  const linger = s.options.lingerNs;
  if (linger === Infinity) return;
  for (let f = oldestClosed(book); f !== null; f = oldestClosed(book)) {
    if (now - f.endTs! < linger) break;
    book.closed[book.closedHead++] = null;
    s.options.onFlowDone?.(f);
    removeFlow(s, f);
  }
}

function setCounters(
  f: Flow,
  c: { bytesSent: number; bytesReceived: number; packetsSent: number | null; packetsReceived: number | null; retransmits: number | null; srttUs: number | null },
): void {
  f.bytesSent = c.bytesSent;
  f.bytesReceived = c.bytesReceived;
  f.packetsSent = c.packetsSent;
  f.packetsReceived = c.packetsReceived;
  f.retransmits = c.retransmits;
  f.srttUs = c.srttUs;
}

/** A replayed counters snapshot (columns, NaN for null): what the `counters` case does,
 * entry by entry, in one loop over typed arrays. */
function setCounterColumns(s: State, c: CounterColumns): void {
  const flows = s.flows;
  const { flowId, bytesSent, bytesReceived, packetsSent, packetsReceived, retransmits, srttUs } = c;
  for (let i = 0; i < c.length; i++) {
    const f = flows.get(flowId[i]);
    if (f === undefined || f.endTs !== null) continue;
    f.bytesSent = bytesSent[i];
    f.bytesReceived = bytesReceived[i];
    const ps = packetsSent[i];
    f.packetsSent = ps === ps ? ps : null;
    const pr = packetsReceived[i];
    f.packetsReceived = pr === pr ? pr : null;
    const rt = retransmits[i];
    f.retransmits = rt === rt ? rt : null;
    const rtt = srttUs[i];
    f.srttUs = rtt === rtt ? rtt : null;
  }
}

function tick(s: State, e: TickEvent): void {
  const book = s.book;
  const opts = s.options;
  const since = book.lastTickTs ?? book.firstTs ?? e.ts;
  const dtNs = e.ts - since;
  // Rates need a positive interval; a first tick with nothing before it has none.
  const perSec = dtNs > 0 ? 1e9 / dtNs : 0;
  let tx = 0;
  let rx = 0;
  const hist = opts.historyLength;
  expireLinger(s, e.ts);
  // Visits the active flows in order, keeping (compacted in place) those that stay.
  const active = book.active;
  let kept = 0;
  for (let i = 0; i < active.length; i++) {
    const f = active[i];
    if (f.historyEnd !== -1) continue; // left the state (removeFlow)
    const dTx = f.bytesSent - f.prevBytesSent;
    const dRx = f.bytesReceived - f.prevBytesReceived;
    // A closed flow that already reported zero rates needs no more work, ever.
    if (f.endTs !== null && dTx === 0 && dRx === 0 && f.txRate === 0 && f.rxRate === 0) {
      f.historyEnd = s.ticks;
      continue;
    }
    // Whole bytes/s, rounded up (a flow that moved never shows 0): a fraction made the
    // field a boxed double in every flow (16 bytes each, twice: 100,000 held connections
    // that sent a byte once); a zero stored as a literal stays a small integer.
    if (dTx > 0) f.txRate = Math.ceil(dTx * perSec);
    else f.txRate = 0;
    if (dRx > 0) f.rxRate = Math.ceil(dRx * perSec);
    else f.rxRate = 0;
    f.prevBytesSent = f.bytesSent;
    f.prevBytesReceived = f.bytesReceived;
    tx += f.txRate;
    rx += f.rxRate;
    // Idle intervals of a flow that never moved are implicit zeros (rateHistory).
    if (hist > 0 && (f.history !== null || f.txRate !== 0 || f.rxRate !== 0)) recordRates(book, f, s.ticks, hist);
    // A closed flow that did not move now reports zeros, and will at every later tick (its
    // counters are final): it leaves now, its history ending after this tick, rather than
    // costing the next tick a visit to find that out.
    if (f.endTs !== null && dTx === 0 && dRx === 0) f.historyEnd = s.ticks + 1;
    else active[kept++] = f;
  }
  active.length = kept;
  const t = s.totals;
  t.txRate = tx;
  t.rxRate = rx;
  t.newFlowsPerSec = book.newFlowsSinceTick * perSec;
  t.eventsPerSec = book.eventsSinceTick * perSec;
  t.lost = e.lost;
  book.kernelEvicted = e.evicted;
  t.evicted = book.kernelEvicted + book.reducerEvicted;
  if (hist > 0) {
    t.throughputHistory.push(tx + rx);
    if (t.throughputHistory.length > hist) t.throughputHistory.shift();
  }
  book.newFlowsSinceTick = 0;
  book.eventsSinceTick = 0;
  book.lastTickTs = e.ts;
  s.wallAtNow = e.wallMs + (s.now - e.ts) / 1e6;
  s.bootWallMs = e.wallMs - e.ts / 1e6;
  s.ticks++;
  pruneProcesses(s, e.ts);
  compactClosed(book);
}

/** Stores the flow's rates of tick `t` in its history: while the flow is young (t within
 * SHORT_HISTORY ticks of historyStart) in a slot of the state's short histories, indexed
 * from historyStart; then in a full ring of its own indexed by t % hist (the short
 * samples moved over, the slot given back). Most flows under connection churn live one or
 * two intervals: a full ring each (2 x 60 doubles) was most of the garbage a replay made.
 * A flow that is quiet once its short samples are taken keeps the slot (its later samples
 * are zeros) and gets a ring only when it moves again; once those samples are out of the
 * window its history is all zeros and it has none, like a flow that never moved. Held,
 * idle connections (100,000 in the memory benchmark) then cost no ring each. */
function recordRates(book: Book, f: Flow, t: number, hist: number): void {
  const age = t - f.historyStart;
  let h = f.history;
  if (h === null) {
    if (age < SHORT_HISTORY && SHORT_HISTORY < hist) h = f.history = book.shortHistories.take();
    else h = f.history = new Float64Array(2 * hist);
  }
  if (typeof h === 'number') {
    const short = book.shortHistories;
    if (age < SHORT_HISTORY) {
      short.set(h, age, f.txRate, f.rxRate);
      return;
    }
    if (f.txRate === 0 && f.rxRate === 0) {
      // The last short sample (tick historyStart + SHORT_HISTORY - 1) leaves the window
      // of `hist` ticks ending at t.
      if (age >= SHORT_HISTORY - 1 + hist) {
        short.release(h);
        f.history = null;
      }
      return;
    }
    const ring = new Float64Array(2 * hist);
    for (let j = 0; j < SHORT_HISTORY; j++) {
      // A sample out of the window: its slot now stands for a later (quiet) tick.
      if (t - (f.historyStart + j) >= hist) continue;
      const slot = 2 * ((f.historyStart + j) % hist);
      ring[slot] = short.tx(h, j);
      ring[slot + 1] = short.rx(h, j);
    }
    short.release(h);
    h = f.history = ring;
  }
  const slot = 2 * (t % hist);
  h[slot] = f.txRate;
  h[slot + 1] = f.rxRate;
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
    if (p && p.exitedTs !== null && !book.pids.has(pid)) s.processes.delete(pid);
  }
  if (book.exitedHead > 4096 && book.exitedHead * 2 > book.exitedOrder.length) {
    book.exitedOrder = book.exitedOrder.slice(book.exitedHead);
    book.exitedHead = 0;
  }
}

// ---- lookups ---------------------------------------------------------------------

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
