// A flow as readers see it (the Flow interface, src/core/state.ts), reading the columns of
// the reducer's flow store (flow-store.ts) at its slot. A reader may keep a view after its
// flow left the state (the TUI's table until its next frame, a detail view): the store
// then detaches it, a copy of the flow's values taken as it leaves, so a reused slot never
// shows another flow through an old view.
import type { Direction, Owner, Proto } from '../events/types';
import {
  BYTES_RECEIVED, BYTES_SENT, CONNECT_LATENCY_US, COOKIE, END_TS, FAMILY, FLOW_ID, HISTORY_END, HISTORY_START, INT_STRIDE, LPORT, NUM_STRIDE, PACKETS_RECEIVED, PACKETS_SENT, PREV_BYTES_RECEIVED, PREV_BYTES_SENT, RETRANSMITS, RPORT, RX_RATE, SEEN_AT_START, SRTT_US, START_TS, TX_RATE,
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

  /** Copies the values out of the store (its slot is about to be reused). */
  detach(): void {
    this.gone = copyOf(this);
  }

  get flowId(): number { const g = this.gone; return g === null ? this.store.num[this.slot * NUM_STRIDE + FLOW_ID] : g.flowId; }
  get cookie(): number { const g = this.gone; return g === null ? this.store.num[this.slot * NUM_STRIDE + COOKIE] : g.cookie; }
  get proto(): Proto { const g = this.gone; return g === null ? this.store.proto[this.slot] : g.proto; }
  get family(): 4 | 6 { const g = this.gone; return g === null ? (this.store.int[this.slot * INT_STRIDE + FAMILY] as 4 | 6) : g.family; }
  get laddr(): string { const g = this.gone; return g === null ? this.store.laddr[this.slot] : g.laddr; }
  get lport(): number { const g = this.gone; return g === null ? this.store.int[this.slot * INT_STRIDE + LPORT] : g.lport; }
  get raddr(): string { const g = this.gone; return g === null ? this.store.raddr[this.slot] : g.raddr; }
  get rport(): number { const g = this.gone; return g === null ? this.store.int[this.slot * INT_STRIDE + RPORT] : g.rport; }
  get direction(): Direction { const g = this.gone; return g === null ? this.store.direction[this.slot] : g.direction; }
  get owner(): Owner { const g = this.gone; return g === null ? this.store.owner[this.slot] : g.owner; }
  get state(): string { const g = this.gone; return g === null ? this.store.state[this.slot] : g.state; }
  get seenAtStart(): boolean { const g = this.gone; return g === null ? this.store.int[this.slot * INT_STRIDE + SEEN_AT_START] === 1 : g.seenAtStart; }
  get startTs(): number { const g = this.gone; return g === null ? this.store.num[this.slot * NUM_STRIDE + START_TS] : g.startTs; }
  get endTs(): number | null { const g = this.gone; return g === null ? orNull(this.store.num[this.slot * NUM_STRIDE + END_TS]) : g.endTs; }
  get bytesSent(): number { const g = this.gone; return g === null ? this.store.num[this.slot * NUM_STRIDE + BYTES_SENT] : g.bytesSent; }
  get bytesReceived(): number { const g = this.gone; return g === null ? this.store.num[this.slot * NUM_STRIDE + BYTES_RECEIVED] : g.bytesReceived; }
  get packetsSent(): number | null { const g = this.gone; return g === null ? orNull(this.store.num[this.slot * NUM_STRIDE + PACKETS_SENT]) : g.packetsSent; }
  get packetsReceived(): number | null { const g = this.gone; return g === null ? orNull(this.store.num[this.slot * NUM_STRIDE + PACKETS_RECEIVED]) : g.packetsReceived; }
  get retransmits(): number | null { const g = this.gone; return g === null ? orNull(this.store.num[this.slot * NUM_STRIDE + RETRANSMITS]) : g.retransmits; }
  get srttUs(): number | null { const g = this.gone; return g === null ? orNull(this.store.num[this.slot * NUM_STRIDE + SRTT_US]) : g.srttUs; }
  get connectLatencyUs(): number | null { const g = this.gone; return g === null ? orNull(this.store.num[this.slot * NUM_STRIDE + CONNECT_LATENCY_US]) : g.connectLatencyUs; }
  get txRate(): number { const g = this.gone; return g === null ? this.store.num[this.slot * NUM_STRIDE + TX_RATE] : g.txRate; }
  get rxRate(): number { const g = this.gone; return g === null ? this.store.num[this.slot * NUM_STRIDE + RX_RATE] : g.rxRate; }
  get prevBytesSent(): number { const g = this.gone; return g === null ? this.store.num[this.slot * NUM_STRIDE + PREV_BYTES_SENT] : g.prevBytesSent; }
  get prevBytesReceived(): number { const g = this.gone; return g === null ? this.store.num[this.slot * NUM_STRIDE + PREV_BYTES_RECEIVED] : g.prevBytesReceived; }
  get history(): Float64Array | number | null { const g = this.gone; return g === null ? this.store.history[this.slot] : g.history; }
  get historyStart(): number { const g = this.gone; return g === null ? this.store.int[this.slot * INT_STRIDE + HISTORY_START] : g.historyStart; }
  get historyEnd(): number { const g = this.gone; return g === null ? this.store.int[this.slot * INT_STRIDE + HISTORY_END] : g.historyEnd; }
  get openedAs(): string { const g = this.gone; return g === null ? this.store.openedAs[this.slot] : g.openedAs; }
  get lifecycle(): ReadonlyArray<number | string> | null { const g = this.gone; return g === null ? this.store.lifecycle[this.slot] : g.lifecycle; }

  /** Its fields, as a flow object had them (JSON.stringify of a state, tests). */
  toJSON(): Flow {
    return copyOf(this);
  }
}

function orNull(v: number): number | null {
  return v === v ? v : null;
}

/** The flow's values as a plain object (history and lifecycle shared, not copied: the
 * store lets go of them when the slot is released and never writes them again). */
function copyOf(f: Flow): Flow {
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
    history: f.history,
    historyStart: f.historyStart,
    historyEnd: f.historyEnd,
    openedAs: f.openedAs,
    lifecycle: f.lifecycle,
  };
}
