// The reducer's flows as columns indexed by a slot: numbers in typed arrays (unboxed, never
// visited by the garbage collector), strings and shared objects in plain arrays. A flow
// object of ~30 fields (with boxed doubles for its times and cookie) was ~340-480 bytes of
// heap each, and under connection churn each lived its linger out in the old generation;
// a slot is ~200 bytes of columns. Owned and written only by the reducer (reducer.ts);
// readers get a FlowView (flow-view.ts) per slot, with the Flow interface.
import type { Direction, Owner, Proto } from '../events/types';
import { FlowView } from './flow-view';

/** Slots a store starts with: a state is created per replay (and per benchmark pass). */
const INITIAL_CAPACITY = 64;

export class FlowStore {
  capacity = 0;
  /** Slots handed out from the start of the columns, free or not. */
  private used = 0;
  /** Slots given back, reused before new ones. */
  private free: number[] = [];
  /** Serial of the flow in each slot (0: free): an entry of the reducer's lists that
   * names a slot and a serial is stale once the slot's flow left (or another took it). */
  serial = new Float64Array(0);
  private nextSerial = 1;

  flowId = new Float64Array(0);
  cookie = new Float64Array(0);
  startTs = new Float64Array(0);
  /** NaN while the flow is open. */
  endTs = new Float64Array(0);
  bytesSent = new Float64Array(0);
  bytesReceived = new Float64Array(0);
  /** NaN for null (not reported). */
  packetsSent = new Float64Array(0);
  packetsReceived = new Float64Array(0);
  retransmits = new Float64Array(0);
  srttUs = new Float64Array(0);
  connectLatencyUs = new Float64Array(0);
  txRate = new Float64Array(0);
  rxRate = new Float64Array(0);
  prevBytesSent = new Float64Array(0);
  prevBytesReceived = new Float64Array(0);
  historyStart = new Int32Array(0);
  historyEnd = new Int32Array(0);
  lport = new Int32Array(0);
  rport = new Int32Array(0);
  family = new Int32Array(0);
  seenAtStart = new Uint8Array(0);

  proto: Proto[] = [];
  laddr: string[] = [];
  raddr: string[] = [];
  direction: Direction[] = [];
  owner: Owner[] = [];
  state: string[] = [];
  openedAs: string[] = [];
  lifecycle: Array<Array<number | string> | null> = [];
  history: Array<Float64Array | number | null> = [];
  /** The view handed out for each slot, if any: detached when the slot is released. */
  private views: Array<FlowView | undefined> = [];

  /** A slot for a new flow; the caller writes every column. */
  alloc(): number {
    let slot = this.free.pop();
    if (slot === undefined) {
      if (this.used === this.capacity) this.grow();
      slot = this.used++;
    }
    this.serial[slot] = this.nextSerial++;
    return slot;
  }

  /** The flow left: a view of it keeps its values (detached), the slot is reused. */
  release(slot: number): void {
    const v = this.views[slot];
    if (v !== undefined) {
      v.detach();
      this.views[slot] = undefined;
    }
    this.serial[slot] = 0;
    // References let go, so the arrays do not keep what the flow held.
    this.owner[slot] = undefined as unknown as Owner;
    this.lifecycle[slot] = null;
    this.history[slot] = null;
    this.free.push(slot);
  }

  /** The slot's view (the same object for as long as the flow is in the slot). */
  view(slot: number): FlowView {
    let v = this.views[slot];
    if (v === undefined) {
      v = new FlowView(this, slot);
      this.views[slot] = v;
    }
    return v;
  }

  /** A view of the slot to read at once and not keep: the slot's own view if one was
   * handed out, else one object re-pointed at each call (onFlowDone of a flow about to
   * leave: a view made for it would be copied out at its release for nobody). */
  transientView(slot: number): FlowView {
    const v = this.views[slot];
    if (v !== undefined) return v;
    const t = (this.transient ??= new FlowView(this, slot));
    t.slot = slot;
    return t;
  }
  private transient: FlowView | null = null;

  private grow(): void {
    const n = this.capacity === 0 ? INITIAL_CAPACITY : Math.ceil(this.capacity * 1.5);
    this.serial = grown(this.serial, n);
    this.flowId = grown(this.flowId, n);
    this.cookie = grown(this.cookie, n);
    this.startTs = grown(this.startTs, n);
    this.endTs = grown(this.endTs, n);
    this.bytesSent = grown(this.bytesSent, n);
    this.bytesReceived = grown(this.bytesReceived, n);
    this.packetsSent = grown(this.packetsSent, n);
    this.packetsReceived = grown(this.packetsReceived, n);
    this.retransmits = grown(this.retransmits, n);
    this.srttUs = grown(this.srttUs, n);
    this.connectLatencyUs = grown(this.connectLatencyUs, n);
    this.txRate = grown(this.txRate, n);
    this.rxRate = grown(this.rxRate, n);
    this.prevBytesSent = grown(this.prevBytesSent, n);
    this.prevBytesReceived = grown(this.prevBytesReceived, n);
    this.historyStart = grownInt(this.historyStart, n);
    this.historyEnd = grownInt(this.historyEnd, n);
    this.lport = grownInt(this.lport, n);
    this.rport = grownInt(this.rport, n);
    this.family = grownInt(this.family, n);
    const seen = new Uint8Array(n);
    seen.set(this.seenAtStart);
    this.seenAtStart = seen;
    this.capacity = n;
  }
}

function grown(a: Float64Array, n: number): Float64Array<ArrayBuffer> {
  const b = new Float64Array(n);
  b.set(a);
  return b;
}

function grownInt(a: Int32Array, n: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(n);
  b.set(a);
  return b;
}

