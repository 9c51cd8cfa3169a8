/* The one definition of what crosses the kernel/user boundary: ring-buffer records and
 * the map values user space reads each interval. Fixed-width types and explicit padding
 * only, so the layout is the same for clang -target bpf and for the TypeScript decoder
 * (src/events/layout.ts), which test/unit/layout.test.ts checks against this object's BTF.
 * Included by sockscope.bpf.c after vmlinux.h (which supplies the __u8..__u64 types). */
#ifndef SOCKSCOPE_H
#define SOCKSCOPE_H

#define SS_COMM_LEN 16
#define SS_FILENAME_LEN 256
#define SS_CMDLINE_LEN 512     /* argv bytes kept per exec (power of two: the bound is a mask) */
#define SS_CGROUP_PATH_LEN 512 /* a longer cgroup path is not sent: user space walks for it */

/* Ring-buffer record types: the first __u32 of every record. */
enum ss_record_type {
	SS_REC_FLOW_OPEN = 1,    /* struct ss_flow_record: TCP established/accepted, first UDP datagram, or found at start */
	SS_REC_FLOW_STATE = 2,   /* struct ss_state_record: no longer emitted (TCP states are sampled from tcp_socks) */
	SS_REC_FLOW_CLOSE = 3,   /* struct ss_flow_record: TCP socket closed, with final counters */
	SS_REC_CONNECT_FAIL = 4, /* struct ss_flow_record: SYN_SENT -> CLOSE, reason in `reason` */
	SS_REC_UDP_RELEASE = 5,  /* struct ss_state_record: a UDP socket with flows was released (cookie) */
	SS_REC_PROC_EXEC = 6,    /* struct ss_proc_record */
	SS_REC_PROC_FORK = 7,    /* struct ss_proc_record, up to `filename` */
	SS_REC_PROC_EXIT = 8,    /* struct ss_proc_record, up to `filename` */
	SS_REC_CGROUP_MKDIR = 9, /* struct ss_cgroup_record: a cgroup v2 directory was created */
	SS_REC_FLOW_BRIEF = 10,  /* struct ss_brief_record: a TCP flow closed before it was announced (open + close) */
	SS_REC_FLOW_OWNER = 11,  /* struct ss_flow_record: the owner of an inbound TCP flow announced without one */
};

enum ss_direction { SS_DIR_UNKNOWN = 0, SS_DIR_OUTBOUND = 1, SS_DIR_INBOUND = 2 };

/* Why a connect failed; user space maps these to ConnectFailEvent.reason. */
enum ss_fail_reason { SS_FAIL_CLOSED = 0, SS_FAIL_REFUSED = 1, SS_FAIL_RESET = 2, SS_FAIL_TIMEOUT = 3, SS_FAIL_UNREACHABLE = 4 };

/* `reason` of a FLOW_OPEN, FLOW_CLOSE or FLOW_BRIEF: flags, 0 when the programs saw the
 * socket open and close (the kernel skipped them otherwise, bpf/README "Known limits").
 * SS_CLOSE_UNSEEN (close, brief): the flow's entry was found left behind when a new socket
 * got its address, or freed, and the record was written then (close time: then).
 * SS_OPEN_UNSEEN (open, brief): its ESTABLISHED went by unseen; the flow was found at its
 * close (outbound) or its first send, receive or release (inbound): every byte its socket
 * counted is the flow's, its connect latency unknown. */
#define SS_CLOSE_UNSEEN 1
#define SS_OPEN_UNSEEN 2

/* Index into the per-CPU `stats` array. */
/* SS_STAT_LOST counts records the full ring could not take and closes never seen (an
 * entry another socket left behind, left_over()).
 * SS_STAT_NESTED counts the TCP state changes on_inet_sock_set_state_nested took over
 * (no loss: a measure of how often the first program was interrupted). */
/* SS_STAT_SPILLED counts records written to the overflow ring (events_spill): not lost. */
/* SS_STAT_UNSEEN counts flows reported with SS_CLOSE_UNSEEN (not lost: reported late). */
enum ss_stat { SS_STAT_LOST = 0, SS_STAT_EVICTED = 1, SS_STAT_NESTED = 2, SS_STAT_SPILLED = 3, SS_STAT_UNSEEN = 4, SS_STAT_MAX = 5 };

/* Phase of an entry in the tcp_socks map. */
enum ss_tcp_phase { SS_TCP_CONNECTING = 1, SS_TCP_PENDING_ACCEPT = 2, SS_TCP_TRACKED = 3 };

/* Who owned a socket when ownership was established (56 bytes). */
struct ss_owner {
	__u32 tgid;
	__u32 tid;
	__u32 ppid;
	__u32 uid;
	__u32 gid;
	__u32 netns;      /* network namespace inode number (of the socket) */
	__u64 cgroup_id;  /* cgroup v2 inode number */
	char comm[SS_COMM_LEN];
	__u64 _reserved;
};

/* Addresses in network byte order, IPv4 in the first 4 bytes; ports in host order (40 bytes). */
struct ss_tuple {
	__u8 laddr[16];
	__u8 raddr[16];
	__u16 lport;
	__u16 rport;
	__u8 family;   /* AF_INET (2) or AF_INET6 (10) */
	__u8 proto;    /* IPPROTO_TCP (6) or IPPROTO_UDP (17) */
	__u8 _pad[2];
};

/* Cumulative counters since the flow was first seen (40 bytes). */
struct ss_counters {
	__u64 bytes_sent;
	__u64 bytes_received;
	__u64 packets_sent;
	__u64 packets_received;
	__u32 retransmits;
	__u32 srtt_us;
};

/* FLOW_OPEN, FLOW_CLOSE and CONNECT_FAIL records (168 bytes). */
struct ss_flow_record {
	__u32 type;
	__u32 flow_id;
	__u64 ts;          /* bpf_ktime_get_ns; a TCP FLOW_OPEN carries the time the flow opened */
	__u64 cookie;      /* socket cookie */
	__u8 direction;    /* enum ss_direction */
	__u8 state;        /* TCP state number (0 for UDP) */
	__u8 reason;       /* enum ss_fail_reason (CONNECT_FAIL); SS_*_UNSEEN flags (flows) */
	__u8 seen_at_start;
	__u32 latency_us;  /* connect latency (open) or SYN -> failure (connect-fail) */
	struct ss_tuple tuple;
	struct ss_owner owner;
	struct ss_counters counters; /* FLOW_CLOSE: final counters */
};

/* FLOW_BRIEF record (176 bytes): a whole short-lived TCP flow in one record. `flow` is
 * the open as a FLOW_OPEN would carry it (ts = open time, state at open, latency) plus the
 * final counters; close_ts is when it closed. */
struct ss_brief_record {
	struct ss_flow_record flow;
	__u64 close_ts;
};

/* FLOW_STATE (no longer emitted) and UDP_RELEASE records (32 bytes). */
struct ss_state_record {
	__u32 type;
	__u32 flow_id;
	__u64 ts;
	__u64 cookie;
	__u8 state;
	__u8 old_state;
	__u8 _pad[6];
};

/* PROC_* records (816 bytes). FORK and EXIT records end before `filename` (40 bytes):
 * only EXEC carries the rest. */
struct ss_proc_record {
	__u32 type;
	__u32 pid;
	__u64 ts;
	__u32 ppid;
	__u32 uid;
	char comm[SS_COMM_LEN];
	char filename[SS_FILENAME_LEN];
	__u32 cmdline_len;             /* bytes of cmdline read (0: none) */
	__u32 _pad;
	char cmdline[SS_CMDLINE_LEN];  /* argv as the new image got it: NUL-separated, maybe cut */
};

/* CGROUP_MKDIR record (536 bytes): id -> path at creation, so a cgroup that is gone by the
 * time user space looks (a short-lived container) still has its path. */
struct ss_cgroup_record {
	__u32 type;
	__u32 _pad;
	__u64 ts;
	__u64 cgroup_id;               /* kernfs id: what bpf_get_current_cgroup_id() returns */
	char path[SS_CGROUP_PATH_LEN]; /* from the v2 root, "/" rooted */
};

/* Value of tcp_socks (key: the struct sock address). `counters`/`snap_ts` are written by
 * the snapshot program and at close; the base_* fields are the zero point. A TRACKED flow
 * is not announced (no FLOW_OPEN) when it starts: the next snapshot announces it, or its
 * close sends one FLOW_BRIEF when it ends first; `announced` is the test-and-set between
 * the two (168 bytes). */
struct ss_tcp_sock {
	__u64 cookie;
	__u64 start_ts;    /* CONNECTING: when the SYN went out; TRACKED: when the flow opened */
	__u32 flow_id;
	__u8 phase;        /* enum ss_tcp_phase */
	__u8 direction;
	__u8 seen_at_start;
	__u8 state;        /* TCP state at the last snapshot (or ESTABLISHED when the flow opened) */
	__u64 base_bytes_out;
	__u64 base_bytes_received;
	__u32 base_segs_out;
	__u32 base_segs_in;
	__u32 base_retrans;
	__u32 announced;   /* 0 until a FLOW_OPEN or FLOW_BRIEF was reserved (atomic fetch-add) */
	struct ss_owner owner;
	struct ss_counters counters;
	__u64 snap_ts;
	__u32 latency_us;  /* connect latency (outbound), for the open */
	__u8 open_state;   /* TCP state when the flow opened, for the open */
	__u8 open_unseen;  /* its ESTABLISHED went by unseen (SS_OPEN_UNSEEN), for the open */
	__u8 snap_state;   /* `state` and `phase` as the last snapshot read them (written by */
	__u8 snap_phase;   /* the snapshot alone): what it compares with (changed_slots) */
	__u32 slot;        /* index in live_slots/slot_keys (SS_NO_SLOT: none was free) */
	__u32 reported;    /* a left-over: 0 until one program took its report (atomic fetch-add) */
};

/* Value of slot_keys (32 bytes): the key of the tcp_socks entry holding the slot, and what
 * the snapshot last read of that socket when it found the flow settled (announced, open,
 * nothing in flight), so that a later snapshot whose reads of the socket match skips the
 * flow without looking up its entry. `head`: the slot's generation (bits 0-31, advanced by
 * every insert into the slot and when a parked flow is named), the TCP state (32-39) and
 * SS_SLOT_SETTLED (40). */
struct ss_slot {
	__u64 key;
	__u64 head;
	__u32 rcv_nxt;
	__u32 snd_nxt;
	__u32 data_segs_in;
	__u32 _pad;
};

/* Key of udp_flows: one UDP socket and one peer (32 bytes: hashed per datagram). */
struct ss_udp_key {
	__u64 cookie;
	__u8 raddr[16];
	__u16 rport;
	__u8 family;
	__u8 _pad[5];
};

/* Value of udp_flows (48 bytes). */
struct ss_udp_flow {
	__u32 flow_id;
	__u32 _pad;
	struct ss_counters counters; /* retransmits/srtt_us unused (0) */
};

/* Peer of the current sendmsg/recvmsg, stashed per thread by the cgroup sock_addr
 * programs and consumed by the sock_send_length/sock_recv_length tracepoints (32 bytes). */
struct ss_peer_stash {
	__u64 cookie;
	__u8 raddr[16];
	__u16 rport;
	__u8 family;
	__u8 _pad[5];
};

#endif /* SOCKSCOPE_H */
