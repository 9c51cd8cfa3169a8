// Where each number of a flow is in its rows of the flow store (flow-store.ts).

// Fields of a row of `num` (doubles), those a tick reads first. NaN stands for null.
export const SERIAL = 0;
/** NaN while the flow is open. */
export const END_TS = 1;
export const BYTES_SENT = 2;
export const BYTES_RECEIVED = 3;
export const PREV_BYTES_SENT = 4;
export const PREV_BYTES_RECEIVED = 5;
export const TX_RATE = 6;
export const RX_RATE = 7;
export const PACKETS_SENT = 8;
export const PACKETS_RECEIVED = 9;
export const FLOW_ID = 10;
export const COOKIE = 11;
export const START_TS = 12;
export const NUM_STRIDE = 13;
// Fields of a row of `int` (int32).
export const HISTORY_START = 0;
export const HISTORY_END = 1;
/** The local port in the low 16 bits, the remote port in the high 16 (ports are u16). */
export const PORTS = 2;
/** The address family in the low 8 bits, SEEN_AT_START_BIT set for a flow seen at start. */
export const FAMILY_FLAGS = 3;
export const SEEN_AT_START_BIT = 0x100;
// The flow's words (protocol, direction, state, how it opened) as word codes (FlowStore.wordCode:
// an index in lifecycle.ts's LIFECYCLE_WORDS, or a rare word's code below -1).
export const PROTO = 4;
export const DIRECTION = 5;
export const STATE = 6;
export const OPENED_AS = 7;
/** The rate history (Flow.history): a short history's slot when >= 0, -1 - a ring of the
 * store's rate rings when < 0, NO_HISTORY when none. */
export const HISTORY = 8;
/** The addresses' codes in the store's shared addresses (FlowStore.addresses). */
export const LADDR = 9;
export const RADDR = 10;
/** The owner's code in the store's shared owners (FlowStore.owners). */
export const OWNER = 11;
/** The lifecycle's code in the store's lifecycles, or -1 (null). */
export const LIFECYCLE = 12;
/** The next and previous flows in opening order (slots, -1: none): the reducer's flow
 * index (flow-index.ts). */
export const NEXT = 13;
export const PREV = 14;
// The counters that are u32 in the kernel (a TCP socket's retransmits and smoothed RTT,
// the connect latency), as u32s (read with `>>> 0`), U32_NULL for null. Their numbers are
// apart from those of `num`'s fields, so that a reader of a flow's numbers by field (the
// TUI's table, FlowStore.numberAt) tells them by their number alone.
export const RETRANSMITS = 15;
export const SRTT_US = 16;
export const CONNECT_LATENCY_US = 17;
export const INT_STRIDE = 18;
/** A u32 field's null (0xffffffff, which no retransmit count, RTT or latency in µs reaches). */
export const U32_NULL = -1;

/** A u32 field's value as stored: null, or anything that is not a u32 below 0xffffffff
 * (never met: the kernel's fields are u32), is U32_NULL. */
export function u32Field(v: number | null): number {
  return v !== null && v >= 0 && v < 0xffffffff && Math.floor(v) === v ? v | 0 : U32_NULL;
}

/** A stored u32 field's value, NaN for null. */
export function u32Number(x: number): number {
  return x === U32_NULL ? NaN : x >>> 0;
}

/** HISTORY of a flow with no rate history. */
export const NO_HISTORY = -0x80000000;

/** Slots per page of the store: slot >> PAGE_BITS is the page, slot & PAGE_MASK the row. */
export const PAGE_BITS = 12;
export const PAGE_SLOTS = 1 << PAGE_BITS;
export const PAGE_MASK = PAGE_SLOTS - 1;
