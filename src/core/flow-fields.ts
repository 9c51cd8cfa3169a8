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
export const RETRANSMITS = 10;
export const SRTT_US = 11;
export const FLOW_ID = 12;
export const COOKIE = 13;
export const START_TS = 14;
export const CONNECT_LATENCY_US = 15;
export const NUM_STRIDE = 16;
// Fields of a row of `int` (int32).
export const HISTORY_START = 0;
export const HISTORY_END = 1;
export const LPORT = 2;
export const RPORT = 3;
export const FAMILY = 4;
export const SEEN_AT_START = 5;
export const INT_STRIDE = 6;
// References of a flow (a row of REF_STRIDE entries of a page of `refs`).
export const R_PROTO = 0;
export const R_LADDR = 1;
export const R_RADDR = 2;
export const R_DIRECTION = 3;
export const R_OWNER = 4;
export const R_STATE = 5;
export const R_OPENED_AS = 6;
export const R_LIFECYCLE = 7;
export const R_HISTORY = 8;
export const REF_STRIDE = 9;

/** Slots per page of the store: slot >> PAGE_BITS is the page, slot & PAGE_MASK the row. */
export const PAGE_BITS = 12;
export const PAGE_SLOTS = 1 << PAGE_BITS;
export const PAGE_MASK = PAGE_SLOTS - 1;
