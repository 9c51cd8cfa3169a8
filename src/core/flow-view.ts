// A flow as readers see it (the Flow interface, src/core/state.ts), reading the rows of
// the reducer's flow store (flow-store.ts) at its slot. A reader may keep a view after its
// flow left the state (the TUI's table until its next frame, a detail view): the store
// then detaches it, a copy of the flow's values taken as it leaves, so a reused slot never
// shows another flow through an old view.
import type { Direction, Owner, Proto } from '../events/types';
import {
  BYTES_RECEIVED, BYTES_SENT, CONNECT_LATENCY_US, COOKIE, DIRECTION, END_TS, FAMILY_FLAGS, FLOW_ID, HISTORY, HISTORY_END, HISTORY_START, INT_STRIDE,
  NO_HISTORY, NUM_STRIDE, OPENED_AS, PACKETS_RECEIVED, PACKETS_SENT, PAGE_BITS, PAGE_MASK, PREV_BYTES_RECEIVED, PREV_BYTES_SENT, PROTO,
  PORTS, RETRANSMITS, RX_RATE, SEEN_AT_START_BIT, SRTT_US, START_TS, STATE, TX_RATE, u32Number,
} from './flow-fields';
import type { FlowStore } from './flow-store';
import type { Flow } from './state';

export class FlowView implements Flow {
  /** The flow's values once it left the store; null while the columns hold them. */
  private gone: Flow | null = null;

  constructor(
    private readonly store: FlowStore,
    /** Written by FlowStore.transientView only. */
    public slot: number,
  ) {}

  /** The number at `field` of the slot's row (flow-fields.ts). */
  private n(field: number): number {
    const slot = this.slot;
    return this.store.num[slot >> PAGE_BITS][(slot & PAGE_MASK) * NUM_STRIDE + field];
  }

  private i(field: number): number {
    const slot = this.slot;
    return this.store.int[slot >> PAGE_BITS][(slot & PAGE_MASK) * INT_STRIDE + field];
  }

  /** The word at `field` (PROTO, DIRECTION, STATE, OPENED_AS). */
  private w(field: number): string {
    return this.store.wordOf(this.i(field));
  }

  /** The store whose rows at `slot` hold the flow, or null once it left: a writer that
   * reads many fields (FlowJsonLines) reads the rows, not a getter per field. */
  rowsIn(): FlowStore | null {
    return this.gone === null ? this.store : null;
  }

  /** Copies the values out of the store (its slot is about to be reused). */
  detach(): void {
    this.gone = copyOf(this);
  }

  get flowId(): number { const g = this.gone; return g === null ? this.n(FLOW_ID) : g.flowId; }
  get cookie(): number { const g = this.gone; return g === null ? this.n(COOKIE) : g.cookie; }
  get proto(): Proto { const g = this.gone; return g === null ? (this.w(PROTO) as Proto) : g.proto; }
  get family(): 4 | 6 { const g = this.gone; return g === null ? ((this.i(FAMILY_FLAGS) & 0xff) as 4 | 6) : g.family; }
  get laddr(): string { const g = this.gone; return g === null ? this.store.laddr(this.slot) : g.laddr; }
  get lport(): number { const g = this.gone; return g === null ? this.i(PORTS) & 0xffff : g.lport; }
  get raddr(): string { const g = this.gone; return g === null ? this.store.raddr(this.slot) : g.raddr; }
  get rport(): number { const g = this.gone; return g === null ? this.i(PORTS) >>> 16 : g.rport; }
  get direction(): Direction { const g = this.gone; return g === null ? (this.w(DIRECTION) as Direction) : g.direction; }
  get owner(): Owner { const g = this.gone; return g === null ? this.store.owner(this.slot) : g.owner; }
  get state(): string { const g = this.gone; return g === null ? this.w(STATE) : g.state; }
  get seenAtStart(): boolean { const g = this.gone; return g === null ? (this.i(FAMILY_FLAGS) & SEEN_AT_START_BIT) !== 0 : g.seenAtStart; }
  get startTs(): number { const g = this.gone; return g === null ? this.n(START_TS) : g.startTs; }
  get endTs(): number | null { const g = this.gone; return g === null ? orNull(this.n(END_TS)) : g.endTs; }
  get bytesSent(): number { const g = this.gone; return g === null ? this.n(BYTES_SENT) : g.bytesSent; }
  get bytesReceived(): number { const g = this.gone; return g === null ? this.n(BYTES_RECEIVED) : g.bytesReceived; }
  get packetsSent(): number | null { const g = this.gone; return g === null ? orNull(this.n(PACKETS_SENT)) : g.packetsSent; }
  get packetsReceived(): number | null { const g = this.gone; return g === null ? orNull(this.n(PACKETS_RECEIVED)) : g.packetsReceived; }
  get retransmits(): number | null { const g = this.gone; return g === null ? orNull(u32Number(this.i(RETRANSMITS))) : g.retransmits; }
  get srttUs(): number | null { const g = this.gone; return g === null ? orNull(u32Number(this.i(SRTT_US))) : g.srttUs; }
  get connectLatencyUs(): number | null { const g = this.gone; return g === null ? orNull(u32Number(this.i(CONNECT_LATENCY_US))) : g.connectLatencyUs; }
  get txRate(): number { const g = this.gone; return g === null ? this.n(TX_RATE) : g.txRate; }
  get rxRate(): number { const g = this.gone; return g === null ? this.n(RX_RATE) : g.rxRate; }
  get prevBytesSent(): number { const g = this.gone; return g === null ? this.n(PREV_BYTES_SENT) : g.prevBytesSent; }
  get prevBytesReceived(): number { const g = this.gone; return g === null ? this.n(PREV_BYTES_RECEIVED) : g.prevBytesReceived; }
  get history(): Float64Array | number | null {
    const g = this.gone;
    if (g !== null) return g.history;
    const h = this.i(HISTORY);
    return h === NO_HISTORY ? null : h < 0 ? this.store.rings.view(-1 - h) : h;
  }
  get historyStart(): number { const g = this.gone; return g === null ? this.i(HISTORY_START) : g.historyStart; }
  get historyEnd(): number { const g = this.gone; return g === null ? this.i(HISTORY_END) : g.historyEnd; }
  get openedAs(): string { const g = this.gone; return g === null ? this.w(OPENED_AS) : g.openedAs; }
  get lifecycle(): ReadonlyArray<number | string> | null { const g = this.gone; return g === null ? this.store.lifecycle(this.slot) : g.lifecycle; }

  /** Its fields, as a flow object had them (JSON.stringify of a state, tests). */
  toJSON(): Flow {
    return copyOf(this);
  }
}

function copied(h: Float64Array | number | null): Float64Array | number | null {
  return h instanceof Float64Array ? h.slice() : h;
}

function orNull(v: number): number | null {
  return v === v ? v : null;
}

/** The flow's values as a plain object, kept however the store's slot is reused (the lifecycle shared, not copied: the store lets
 * go of it when the slot is released and never writes it again; a full rate history
 * copied out of the store's rings, which reuses them). */
export function copyOf(f: Flow): Flow {
  return {
    flowId: f.flowId,
    cookie: f.cookie,
    proto: f.proto,
    family: f.family,
    laddr: f.laddr,
    lport: f.lport,
    raddr: f.raddr,
    rport: f.rport,
    direction: f.direction,
    owner: f.owner,
    state: f.state,
    seenAtStart: f.seenAtStart,
    startTs: f.startTs,
    endTs: f.endTs,
    bytesSent: f.bytesSent,
    bytesReceived: f.bytesReceived,
    packetsSent: f.packetsSent,
    packetsReceived: f.packetsReceived,
    retransmits: f.retransmits,
    srttUs: f.srttUs,
    connectLatencyUs: f.connectLatencyUs,
    txRate: f.txRate,
    rxRate: f.rxRate,
    prevBytesSent: f.prevBytesSent,
    prevBytesReceived: f.prevBytesReceived,
    history: copied(f.history),
    historyStart: f.historyStart,
    historyEnd: f.historyEnd,
    openedAs: f.openedAs,
    lifecycle: f.lifecycle,
  };
}
