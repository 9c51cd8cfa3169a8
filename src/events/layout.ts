// Byte layout of the kernel records and map entries defined in bpf/sockscope.h. The
// decoder reads only through this table, and test/unit/layout.test.ts compares every
// size and offset here with the BTF of the committed object, so a change on one side
// without the other fails the tests instead of silently misreading bytes.

export interface Field {
  offset: number;
  size: number;
}
export interface Struct<F extends string = string> {
  size: number;
  members: Record<F, Field>;
}

const f = (offset: number, size: number): Field => ({ offset, size });

export const OWNER = {
  size: 56,
  members: {
    tgid: f(0, 4), tid: f(4, 4), ppid: f(8, 4), uid: f(12, 4), gid: f(16, 4), netns: f(20, 4),
    cgroup_id: f(24, 8), comm: f(32, 16), _reserved: f(48, 8),
  },
} as const satisfies Struct;

export const TUPLE = {
  size: 40,
  members: {
    laddr: f(0, 16), raddr: f(16, 16), lport: f(32, 2), rport: f(34, 2), family: f(36, 1), proto: f(37, 1), _pad: f(38, 2),
  },
} as const satisfies Struct;

export const COUNTERS = {
  size: 40,
  members: {
    bytes_sent: f(0, 8), bytes_received: f(8, 8), packets_sent: f(16, 8), packets_received: f(24, 8),
    retransmits: f(32, 4), srtt_us: f(36, 4),
  },
} as const satisfies Struct;

export const FLOW_RECORD = {
  size: 168,
  members: {
    type: f(0, 4), flow_id: f(4, 4), ts: f(8, 8), cookie: f(16, 8), direction: f(24, 1), state: f(25, 1),
    reason: f(26, 1), seen_at_start: f(27, 1), latency_us: f(28, 4), tuple: f(32, 40), owner: f(72, 56), counters: f(128, 40),
  },
} as const satisfies Struct;

/** A whole short-lived TCP flow: the open (ts = open time) with the final counters, and
 * when it closed. */
export const BRIEF_RECORD = {
  size: 176,
  members: { flow: f(0, 168), close_ts: f(168, 8) },
} as const satisfies Struct;

export const STATE_RECORD = {
  size: 32,
  members: { type: f(0, 4), flow_id: f(4, 4), ts: f(8, 8), cookie: f(16, 8), state: f(24, 1), old_state: f(25, 1), _pad: f(26, 6) },
} as const satisfies Struct;

/** FORK and EXIT records end where `filename` begins; EXEC records are whole. */
export const PROC_RECORD = {
  size: 816,
  members: {
    type: f(0, 4), pid: f(4, 4), ts: f(8, 8), ppid: f(16, 4), uid: f(20, 4), comm: f(24, 16), filename: f(40, 256),
    cmdline_len: f(296, 4), _pad: f(300, 4), cmdline: f(304, 512),
  },
} as const satisfies Struct;

export const CGROUP_RECORD = {
  size: 536,
  members: { type: f(0, 4), _pad: f(4, 4), ts: f(8, 8), cgroup_id: f(16, 8), path: f(24, 512) },
} as const satisfies Struct;

export const TCP_SOCK = {
  size: 176,
  members: {
    cookie: f(0, 8), start_ts: f(8, 8), flow_id: f(16, 4), phase: f(20, 1), direction: f(21, 1), seen_at_start: f(22, 1),
    state: f(23, 1), base_bytes_out: f(24, 8), base_bytes_received: f(32, 8), base_segs_out: f(40, 4),
    base_segs_in: f(44, 4), base_retrans: f(48, 4), announced: f(52, 4), owner: f(56, 56), counters: f(112, 40), snap_ts: f(152, 8),
    latency_us: f(160, 4), open_state: f(164, 1), open_unseen: f(165, 1), snap_state: f(166, 1), snap_phase: f(167, 1), slot: f(168, 4), reported: f(172, 4),
  },
} as const satisfies Struct;

export const UDP_KEY = {
  size: 32,
  members: { cookie: f(0, 8), raddr: f(8, 16), rport: f(24, 2), family: f(26, 1), _pad: f(27, 5) },
} as const satisfies Struct;

export const UDP_FLOW = {
  size: 48,
  members: { flow_id: f(0, 4), _pad: f(4, 4), counters: f(8, 40) },
} as const satisfies Struct;

export const PEER_STASH = {
  size: 32,
  members: { cookie: f(0, 8), raddr: f(8, 16), rport: f(24, 2), family: f(26, 1), _pad: f(27, 5) },
} as const satisfies Struct;

/** Value of slot_keys: the entry's key and what the snapshot last read of a settled flow. */
export const SLOT = {
  size: 32,
  members: { key: f(0, 8), head: f(8, 8), rcv_nxt: f(16, 4), snd_nxt: f(20, 4), data_segs_in: f(24, 4), _pad: f(28, 4) },
} as const satisfies Struct;

/** C struct name -> layout, for the drift test. */
export const LAYOUTS: Record<string, Struct> = {
  ss_owner: OWNER,
  ss_tuple: TUPLE,
  ss_counters: COUNTERS,
  ss_flow_record: FLOW_RECORD,
  ss_brief_record: BRIEF_RECORD,
  ss_state_record: STATE_RECORD,
  ss_proc_record: PROC_RECORD,
  ss_cgroup_record: CGROUP_RECORD,
  ss_tcp_sock: TCP_SOCK,
  ss_udp_key: UDP_KEY,
  ss_udp_flow: UDP_FLOW,
  ss_peer_stash: PEER_STASH,
  ss_slot: SLOT,
};

/** enum ss_record_type */
export const REC = { FLOW_OPEN: 1, FLOW_STATE: 2, FLOW_CLOSE: 3, CONNECT_FAIL: 4, UDP_RELEASE: 5, PROC_EXEC: 6, PROC_FORK: 7, PROC_EXIT: 8, CGROUP_MKDIR: 9, FLOW_BRIEF: 10, FLOW_OWNER: 11 } as const;
/** enum ss_stat (index into the per-CPU `stats` array) */
export const STAT = { LOST: 0, EVICTED: 1, NESTED: 2, SPILLED: 3, UNSEEN: 4 } as const;
/** enum ss_tcp_phase */
export const TCP_PHASE = { CONNECTING: 1, PENDING_ACCEPT: 2, TRACKED: 3 } as const;
