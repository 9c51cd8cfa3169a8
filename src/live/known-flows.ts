// The open flows a live source reported, with the state and counters it reported last
// (so that it emits only changes), in columns indexed by a slot instead of two objects per
// flow: with 100,000 connections held open a Known object and a counters object each were
// ~120 bytes a flow (12 MB) on top of the reducer's own; a slot is 42 bytes. Slots of
// closed flows are reused. Flow ids find their slot through a window of ids
// (src/core/id-window.ts), not a Map (3.5 MiB of V8's heap at 100,000 flows), and the
// counters are in pages of PAGE slots rather than one array doubled (100,000 flows took
// 131,072 slots of counters: 1.5 MiB of them unused).
import { IdWindow } from '../core/id-window';
import { sameCountersAt } from '../events/decode';
import type { FlowCounters, Proto } from '../events/types';

/** Counter columns per slot: bytes and packets (doubles, u64 in the kernel), then
 * retransmits and RTT (u32s, as in the kernel), in FlowCounters' order. */
const WIDTH = 4;
const U32_WIDTH = 2;
const UDP = 1;
/** Slots per page of counters (128 KiB of doubles, 32 KiB of u32s). */
const PAGE_BITS = 12;
const PAGE_SLOTS = 1 << PAGE_BITS;
const PAGE_MASK = PAGE_SLOTS - 1;
/** Slots of the first page, doubled until it is a whole page (a source with a few flows). */
const FIRST_SLOTS = 1024;

export class KnownFlows {
  private readonly slots = new IdWindow();
  private readonly free: number[] = [];
  private used = 0;
  /** Known flows that are UDP (the source skips reading udp_flows while there are none). */
  private udp = 0;
  private protos = new Uint8Array(FIRST_SLOTS);
  private stateCodes = new Uint8Array(FIRST_SLOTS);
  /** Per page, WIDTH counters per slot, and U32_WIDTH more in `u32s`. */
  private readonly counters: Float64Array[] = [new Float64Array(FIRST_SLOTS * WIDTH)];
  private readonly u32s: Uint32Array[] = [new Uint32Array(FIRST_SLOTS * U32_WIDTH)];
  /** State names by code (a handful of TCP states, 'open' for UDP). */
  private readonly stateNames: string[] = [];
  private readonly stateCodeOf = new Map<string, number>();

  get size(): number {
    return this.slots.size;
  }

  get udpCount(): number {
    return this.udp;
  }

  /** The ids of the flows known (in no particular order). */
  flowIds(): number[] {
    const ids: number[] = [];
    this.slots.forEach((id) => ids.push(id));
    return ids;
  }

  /** The flow's slot, or -1 when it is not known (not open as far as this source knows). */
  slot(flowId: number): number {
    return this.slots.get(flowId);
  }

  /** A flow opened (or opened again): its state, and counters of zero. */
  open(flowId: number, proto: Proto, state: string): void {
    let s = this.slots.get(flowId);
    if (s < 0) {
      s = this.free.pop() ?? this.grow();
      this.slots.set(flowId, s);
    } else if (this.protos[s] === UDP) this.udp--;
    this.protos[s] = proto === 'udp' ? UDP : 0;
    if (proto === 'udp') this.udp++;
    this.stateCodes[s] = this.code(state);
    const o = (s & PAGE_MASK) * WIDTH;
    this.counters[s >> PAGE_BITS].fill(0, o, o + WIDTH);
    const u = (s & PAGE_MASK) * U32_WIDTH;
    this.u32s[s >> PAGE_BITS].fill(0, u, u + U32_WIDTH);
  }

  /** True when the flow was known. */
  delete(flowId: number): boolean {
    const s = this.slots.get(flowId);
    if (s < 0) return false;
    this.slots.delete(flowId);
    if (this.protos[s] === UDP) this.udp--;
    this.free.push(s);
    return true;
  }

  proto(slot: number): Proto {
    return this.protos[slot] === UDP ? 'udp' : 'tcp';
  }

  state(slot: number): string {
    return this.stateNames[this.stateCodes[slot]];
  }

  setState(slot: number, state: string): void {
    this.stateCodes[slot] = this.code(state);
  }

  /** Whether the map entry's counters at `base` in `b` are those last reported, read in
   * place (a UDP flow has no retransmits or RTT). */
  sameAt(slot: number, b: Buffer, base: number): boolean {
    const page = slot >> PAGE_BITS;
    return sameCountersAt(b, base, this.proto(slot), this.counters[page], (slot & PAGE_MASK) * WIDTH, this.u32s[page], (slot & PAGE_MASK) * U32_WIDTH);
  }

  /** Notes `c` as the counters last reported. */
  setCounters(slot: number, c: FlowCounters): void {
    const a = this.counters[slot >> PAGE_BITS];
    const i = (slot & PAGE_MASK) * WIDTH;
    a[i] = c.bytesSent;
    a[i + 1] = c.bytesReceived;
    a[i + 2] = c.packetsSent ?? 0;
    a[i + 3] = c.packetsReceived ?? 0;
    const u = this.u32s[slot >> PAGE_BITS];
    const j = (slot & PAGE_MASK) * U32_WIDTH;
    u[j] = c.retransmits ?? 0;
    u[j + 1] = c.srttUs ?? 0;
  }

  /** The counters last reported, as an object (a flow closed by a sweep carries them). */
  countersOf(slot: number): FlowCounters {
    const a = this.counters[slot >> PAGE_BITS];
    const i = (slot & PAGE_MASK) * WIDTH;
    const u = this.u32s[slot >> PAGE_BITS];
    const j = (slot & PAGE_MASK) * U32_WIDTH;
    const udp = this.protos[slot] === UDP;
    return { bytesSent: a[i], bytesReceived: a[i + 1], packetsSent: a[i + 2], packetsReceived: a[i + 3],
      retransmits: udp ? null : u[j], srttUs: udp ? null : u[j + 1] };
  }

  private code(state: string): number {
    let c = this.stateCodeOf.get(state);
    if (c === undefined) {
      c = this.stateNames.length;
      if (c > 255) throw new Error(`more than 256 flow state names (${state})`);
      this.stateNames.push(state);
      this.stateCodeOf.set(state, c);
    }
    return c;
  }

  /** A new slot at the end: the byte columns doubled when full, the counters given a
   * new page (the first page doubled until whole). */
  private grow(): number {
    const s = this.used++;
    if (s === this.protos.length) {
      const protos = new Uint8Array(2 * s);
      protos.set(this.protos);
      this.protos = protos;
      const states = new Uint8Array(2 * s);
      states.set(this.stateCodes);
      this.stateCodes = states;
    }
    const page = s >> PAGE_BITS;
    if (page === this.counters.length) {
      this.counters.push(new Float64Array(PAGE_SLOTS * WIDTH));
      this.u32s.push(new Uint32Array(PAGE_SLOTS * U32_WIDTH));
    } else if (page === 0 && s * WIDTH === this.counters[0].length) {
      const n = Math.min(2 * s, PAGE_SLOTS);
      const first = new Float64Array(n * WIDTH);
      first.set(this.counters[0]);
      this.counters[0] = first;
      const firstU32s = new Uint32Array(n * U32_WIDTH);
      firstU32s.set(this.u32s[0]);
      this.u32s[0] = firstU32s;
    }
    return s;
  }
}
