// SPDX-License-Identifier: GPL-2.0
/* sockscope kernel side. Stable tracepoints (tp_btf / tp) plus cgroup programs on the v2
 * root; no kprobes or fentry (not available here, and not stable across kernels).
 *
 * Cost model: nothing runs per TCP packet, and per TCP send/recv only sock_send_length/
 * sock_recv_length's check that the socket is past its first call (tcp_fresh: a few loads
 * of tcp_sock fields), with one lookup at a socket's first call. TCP counters are what struct
 * tcp_sock already keeps, read at state changes and once per interval by the `snapshot`
 * program that user space runs with BPF_PROG_TEST_RUN. UDP bytes are counted per call
 * (UDP has no such kernel counters per peer). Lifecycle events go to one ring buffer
 * (and to an overflow ring while it is full); counters stay in maps. A TCP flow costs one ring record per socket when it lives less than
 * an interval (FLOW_BRIEF at close), two otherwise (FLOW_OPEN from the snapshot, FLOW_CLOSE);
 * state changes in between are kept in the map, not sent. See bpf/README.md. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "sockscope.h"
#include "helpers.h"

char LICENSE[] SEC("license") = "GPL";

/* Sizes are defaults; the loader overrides them with setMapMaxEntries before load. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} events SEC(".maps");

/* The overflow ring: reserve() writes here while `events` is full (a drain held up by the
 * scheduler for longer than `events` covers), so that the records wait instead of being
 * lost. User space reads it after `events`, and maps its data pages only while it holds
 * records (src/loader/ring-mmap.ts), so an unused spill costs kernel memory, not the
 * process's resident memory. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} events_spill SEC(".maps");

/* 1 from the first record that did not fit in `events` until user space, having drained
 * `events`, sets it back to 0 and drains the spill: while it is 1 every record goes to the
 * spill, so that a later record never sits in `events` ahead of an earlier one in the
 * spill (a smaller record could still fit in a nearly full `events`). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} spill_mode SEC(".maps");

/* Every TCP socket sockscope follows, keyed by its struct sock address. NO_PREALLOC:
 * entries cost memory only while used (the bucket array, 16 bytes each, is allocated
 * up front), so the default can cover busy servers: 100,000 connections between two
 * local processes are 200,000 sockets. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 262144);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct ss_tcp_sock);
} tcp_socks SEC(".maps");

/* The snapshot's index of tcp_socks: each entry takes a slot (one bit of live_slots, its
 * key in slot_keys) from insert to delete, so the snapshot visits the entries in use
 * (4,096 words plus one lookup per entry) instead of every bucket of tcp_socks, which
 * bpf_for_each_map_elem walks whatever their use (262,144: ~5 ms per run, idle or not).
 * An entry that finds no free slot (tcp_socks sized above SS_SLOTS) counts in the last
 * word of live_slots (SS_SLOTLESS), and while any exists the snapshot walks the whole map
 * as before. User space reads tcp_socks through the same index while few entries are in
 * use (src/loader/slot-index.ts). */
#define SS_SLOTS 262144
#define SS_SLOT_WORDS (SS_SLOTS / 64)
#define SS_SLOT_TRIES 16
#define SS_NO_SLOT 0xffffffffu
#define SS_SLOTLESS SS_SLOT_WORDS

/* Mmapable: user space reads the words from its mapping (a batch read copied them out
 * one element at a time, about 1.6 ms of kernel time per interval). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SS_SLOT_WORDS + 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
} live_slots SEC(".maps");

/* Each slot's key, and what the snapshot last read of its socket (struct ss_slot: 32 bytes
 * a slot, 8 MiB; the settled check beside the key costs no extra cache line). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SS_SLOTS);
	__type(key, __u32);
	__type(value, struct ss_slot);
} slot_keys SEC(".maps");

#define SS_SLOT_GEN_MASK 0xffffffffULL
#define SS_SLOT_SETTLED (1ULL << 40)

/* One bit per slot whose entry the snapshot found changed (state, counters) or not yet
 * reported (its first snapshot, or not announced yet), set by the snapshot only and
 * cleared by user space once it has read those entries: with many idle flows user space
 * reads only these instead of every entry each interval (with 100,000 held connections a
 * batch read of tcp_socks was about 40 ms per interval). Mmapable, mapped writable. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SS_SLOT_WORDS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
} changed_slots SEC(".maps");

/* Per CPU, the word of live_slots where the search for a free slot starts (one with a
 * free bit, mostly). Per CPU so that the two ends of a connection, often opened on two
 * CPUs, do not take bits of one word (and keys of one cache line) from both. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} slot_hints SEC(".maps");

/* Where a CPU's first search starts: CPUs spread over the words. */
#define SS_SLOT_CPU_SPREAD 509

/* UDP counters per (socket cookie, peer). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 131072);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ss_udp_key);
	__type(value, struct ss_udp_flow);
} udp_flows SEC(".maps");

/* UDP sockets that have at least one flow (so that release emits a record only for them). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 131072);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, __u8);
} udp_socks SEC(".maps");

/* UDP sockets found open at start: their flows are marked seen_at_start. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, __u8);
} udp_start SEC(".maps");

/* Peer of the sendmsg/recvmsg in progress, per thread: task local storage, freed with the
 * task. Was an LRU hash keyed by thread id: its lookups (3 of every 5 hash lookups per UDP
 * datagram here) were most of the UDP programs' time. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct ss_peer_stash);
} peer_stash SEC(".maps");

/* The addresses of the most recent TCP flows, by flow id (flow i in slot i % SS_RECENT),
 * written when each flow starts: what a flow whose close the programs did not see still
 * needs to be reported when its entry is found left behind, after its socket is gone
 * (left_over()). 65,536 slots (3 MiB, fixed) cover about a second of flows at the maximum
 * rate here (60,000 a second, both ends counted); the left-overs were found 0.5-400 ms
 * after their flow started. Not in the tcp_socks entry: 40 more bytes per entry would
 * take it past the 256-byte size class of the map's allocator (512 bytes per entry). */
#define SS_RECENT 65536

struct ss_recent_flow {
	__u32 flow_id;
	__u32 _pad;
	struct ss_tuple tuple;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SS_RECENT);
	__type(key, __u32);
	__type(value, struct ss_recent_flow);
} recent_flows SEC(".maps");

/* Per-CPU loss counters (enum ss_stat): nothing is dropped silently. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SS_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

__u32 next_flow_id = 0;

/* Record types reach the ring buffer only through casts, which leave no BTF; these unused
 * pointers keep their definitions in the object so that the layout test can check them. */
const struct ss_flow_record *_btf_flow_record __attribute__((unused));
const struct ss_brief_record *_btf_brief_record __attribute__((unused));
const struct ss_state_record *_btf_state_record __attribute__((unused));
const struct ss_proc_record *_btf_proc_record __attribute__((unused));
const struct ss_cgroup_record *_btf_cgroup_record __attribute__((unused));
const struct ss_tuple *_btf_tuple __attribute__((unused));

static __always_inline void count_stat(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);

	if (v)
		*v += 1;
}

/* A record in `events`, or in `events_spill` while spill_mode is set (see there); lost
 * only when the spill is full too. */
static __always_inline void *reserve(__u64 size)
{
	__u32 zero = 0;
	__u32 *spilling = bpf_map_lookup_elem(&spill_mode, &zero);
	void *rec;

	if (spilling && !*spilling) {
		rec = bpf_ringbuf_reserve(&events, size, 0);
		if (rec)
			return rec;
		*spilling = 1;
	}
	rec = bpf_ringbuf_reserve(&events_spill, size, 0);
	count_stat(rec ? SS_STAT_SPILLED : SS_STAT_LOST);
	return rec;
}

/* User space drains the ring on a timer (src/loader/ring-reader.ts) and never waits on its
 * epoll: a commit wakes nobody, so it skips the wakeup (an irq_work, a self-IPI in a VM) that
 * the first record after each drain would otherwise queue. */
static __always_inline void submit(void *rec)
{
	bpf_ringbuf_submit(rec, BPF_RB_NO_WAKEUP);
}

static __always_inline void discard(void *rec)
{
	bpf_ringbuf_discard(rec, BPF_RB_NO_WAKEUP);
}

static __always_inline __u32 new_flow_id(void)
{
	return __sync_fetch_and_add(&next_flow_id, 1) + 1;
}

/* Index of the one set bit of `bit`. */
static __always_inline __u32 bit_index(__u64 bit)
{
	__u32 n = 0;

	if (!(bit & 0xffffffffULL)) { n += 32; bit >>= 32; }
	if (!(bit & 0xffff)) { n += 16; bit >>= 16; }
	if (!(bit & 0xff)) { n += 8; bit >>= 8; }
	if (!(bit & 0xf)) { n += 4; bit >>= 4; }
	if (!(bit & 0x3)) { n += 2; bit >>= 2; }
	if (!(bit & 0x1)) n += 1;
	return n;
}

/* tcp_socks entries without a slot: while > 0, the snapshot walks all of tcp_socks. */
static __always_inline __u64 *slotless(void)
{
	__u32 idx = SS_SLOTLESS;

	return bpf_map_lookup_elem(&live_slots, &idx);
}

static __always_inline void slotless_add(__s64 n)
{
	__u64 *c = slotless();

	if (c)
		__sync_fetch_and_add(c, n);
}

/* A free slot (taken with an atomic or: CPUs never share one), or SS_NO_SLOT (counted
 * in `slotless`) when the words tried from the hint, then from a random word, are full.
 * A global function: the verifier checks it once, not once per caller (list_sockets'
 * accept-queue loop). */
__noinline __u32 slot_take(void)
{
	__u32 zero = 0, start, i;
	__u32 *hint = bpf_map_lookup_elem(&slot_hints, &zero);

	if (!hint) { /* not reached: a one-entry array */
		slotless_add(1);
		return SS_NO_SLOT;
	}
	start = *hint;
	if (start == 0)
		start = (bpf_get_smp_processor_id() * SS_SLOT_CPU_SPREAD) & (SS_SLOT_WORDS - 1);

	for (i = 0; i < 2 * SS_SLOT_TRIES; i++) {
		__u32 idx;
		__u64 *word, free, bit, old;

		/* The SS_SLOT_TRIES words from the hint were full: the run of slots another CPU
		 * took (its search started SS_SLOT_CPU_SPREAD words on). Searched from there
		 * again, every later take on this CPU would fail until one of those is given
		 * back. Random words instead, each drawn on its own: consecutive words from one
		 * random start fail whenever it lands deep in such a run (after a burst of
		 * 100,000 connections, about as often as a word is full), independent ones
		 * only with the map's fullness to the SS_SLOT_TRIES-th power. */
		if (i < SS_SLOT_TRIES)
			idx = (start + i) & (SS_SLOT_WORDS - 1);
		else
			idx = bpf_get_prandom_u32() & (SS_SLOT_WORDS - 1);
		word = bpf_map_lookup_elem(&live_slots, &idx);
		if (!word)
			break;
		free = ~*(volatile __u64 *)word;
		if (!free)
			continue;
		bit = free & -free;
		old = __sync_fetch_and_or(word, bit);
		if (old & bit)
			continue; /* another CPU took it first */
		/* Keep the hint on a word with free bits. */
		if ((old | bit) == ~0ULL)
			*hint = (idx + 1) & (SS_SLOT_WORDS - 1);
		else if (idx != *hint)
			*hint = idx;
		return idx * 64 + bit_index(bit);
	}
	slotless_add(1);
	return SS_NO_SLOT;
}

/* Global functions must return a scalar: 0. */
__noinline int slot_put(__u32 slot)
{
	__u32 idx = slot / 64;
	__u64 *word;

	if (slot == SS_NO_SLOT) {
		slotless_add(-1);
		return 0;
	}
	word = bpf_map_lookup_elem(&live_slots, &idx);
	if (word)
		__sync_fetch_and_and(word, ~(1ULL << (slot & 63)));
	return 0;
}

/* A new tcp_socks entry (BPF_NOEXIST) with its slot; the slot is given back when the
 * insert fails. */
static __always_inline long insert_tcp(__u64 key, struct ss_tcp_sock *nv)
{
	__u32 slot = slot_take();
	struct ss_slot *k = bpf_map_lookup_elem(&slot_keys, &slot);
	long err;

	if (k) {
		/* A new generation, not settled: a snapshot that read the slot before this
		 * insert fails its compare-and-swap on `head` and cannot mark the new entry
		 * settled with what it read of the old one. The slot is this CPU's alone here
		 * (slot_take), so a plain store; the snapshot's CAS is atomic against it. */
		k->key = key;
		k->head = (k->head + 1) & SS_SLOT_GEN_MASK;
	}
	nv->slot = slot;
	err = bpf_map_update_elem(&tcp_socks, &key, nv, BPF_NOEXIST);
	if (err)
		slot_put(nv->slot);
	return err;
}

/* A parked flow the snapshot announced (and may have settled) is named: the snapshot must
 * read its entry again (user space reads a parked flow's counters only once it is named,
 * and a naming need not move anything on the socket). The generation advances, so that a snapshot
 * that read the slot before cannot settle it, and the settled mark goes. A carry out of the
 * generation into the state bits (after 2^32 namings in one slot) only costs a read. */
static __always_inline void slot_unsettle(__u32 slot)
{
	struct ss_slot *s;

	if (slot == SS_NO_SLOT)
		return;
	s = bpf_map_lookup_elem(&slot_keys, &slot);
	if (s && (__sync_fetch_and_add(&s->head, 1) & SS_SLOT_SETTLED))
		__sync_fetch_and_and(&s->head, ~SS_SLOT_SETTLED);
}

/* Deletes a tcp_socks entry; only the caller whose delete removed it frees its slot. */
static __always_inline void delete_tcp(__u64 key, __u32 slot)
{
	if (!bpf_map_delete_elem(&tcp_socks, &key))
		slot_put(slot);
}

/* Stores before it stay before it: the field written after it (phase) publishes an entry
 * to the snapshot program, which may read it on another CPU. */
#define barrier() asm volatile("" ::: "memory")

/* Now, for a TCP socket whose incoming segment is being processed (SYN-ACK or the ACK of a
 * SYN-ACK): the kernel refreshed tcp_mstamp (CLOCK_MONOTONIC in us, the clock of
 * bpf_ktime_get_ns) before the state change, so one load of a hot line replaces the helper
 * call, at us resolution. */
static __always_inline __u64 tcp_rx_now_ns(const struct sock *sk)
{
	__u64 us = kview(struct tcp_sock, sk)->tcp_mstamp;

	return us ? us * 1000 : bpf_ktime_get_ns(); /* 0: never refreshed (not seen happen) */
}

/* One FLOW_CLOSE / CONNECT_FAIL record for a TCP socket (ts: now). */
static __always_inline void emit_tcp(__u32 type, const struct sock *sk, const struct ss_tcp_sock *v,
				     __u8 state, __u8 reason, __u32 latency_us)
{
	struct ss_flow_record *r = reserve(sizeof(*r));

	if (!r)
		return;
	__builtin_memset(r, 0, sizeof(*r));
	r->type = type;
	r->flow_id = v->flow_id;
	r->ts = bpf_ktime_get_ns();
	r->cookie = v->cookie;
	r->direction = v->direction;
	r->state = state;
	r->reason = reason;
	r->seen_at_start = v->seen_at_start;
	r->latency_us = latency_us;
	tuple_from_sk(&r->tuple, sk, IPPROTO_TCP);
	r->owner = v->owner;
	if (type == SS_REC_FLOW_CLOSE)
		r->counters = v->counters;
	submit(r);
}

static __always_inline void emit_state(__u32 type, __u32 flow_id, __u64 cookie, __u8 state, __u8 old_state)
{
	struct ss_state_record *r = reserve(sizeof(*r));

	if (!r)
		return;
	__builtin_memset(r, 0, sizeof(*r));
	r->type = type;
	r->flow_id = flow_id;
	r->ts = bpf_ktime_get_ns();
	r->cookie = cookie;
	r->state = state;
	r->old_state = old_state;
	submit(r);
}

/* The open of a TCP flow as its map entry keeps it: time, state and connect latency of
 * the moment it opened, whenever the record is written. */
static __always_inline void fill_tcp_open(struct ss_flow_record *r, __u32 type, const struct sock *sk, const struct ss_tcp_sock *v)
{
	__builtin_memset(r, 0, sizeof(*r));
	r->type = type;
	r->flow_id = v->flow_id;
	r->ts = v->start_ts;
	r->cookie = v->cookie;
	r->direction = v->direction;
	r->state = v->open_state;
	r->seen_at_start = v->seen_at_start;
	r->latency_us = v->latency_us;
	r->reason = v->open_unseen ? SS_OPEN_UNSEEN : 0;
	tuple_from_sk(&r->tuple, sk, IPPROTO_TCP);
	r->owner = v->owner;
}

/* FLOW_OWNER: the owner an inbound flow announced without one was given later. */
static __always_inline void emit_owner(const struct sock *sk, const struct ss_tcp_sock *v)
{
	struct ss_flow_record *r = reserve(sizeof(*r));

	if (!r)
		return;
	fill_tcp_open(r, SS_REC_FLOW_OWNER, sk, v);
	r->ts = bpf_ktime_get_ns();
	submit(r);
}

/* A flow that ends before any snapshot announced it: open and close in one record. */
static __always_inline void emit_brief(const struct sock *sk, const struct ss_tcp_sock *v)
{
	struct ss_brief_record *r = reserve(sizeof(*r));

	if (!r)
		return;
	fill_tcp_open(&r->flow, SS_REC_FLOW_BRIEF, sk, v);
	r->flow.counters = v->counters;
	r->close_ts = bpf_ktime_get_ns();
	submit(r);
}

/* Start tracking a socket as a flow: id, cookie, zero point; TRACKED last (see barrier).
 * Not announced: the next snapshot sends its FLOW_OPEN, unless it closes first. */
static __always_inline void start_flow(struct ss_tcp_sock *v, const struct sock *sk, __u8 direction, __u64 cookie)
{
	v->direction = direction;
	v->flow_id = new_flow_id();
	v->cookie = cookie;
	tcp_baseline(v, sk);
	barrier();
	v->phase = SS_TCP_TRACKED;
}

/* start_flow, and the flow's tuple kept in recent_flows (tuple first, id last: a reader
 * that finds the id finds this flow's tuple). Every start but the start-up listing's
 * accept-queue walk (its loop would take the verifier past its budget). */
static __always_inline void start_kept_flow(struct ss_tcp_sock *v, const struct sock *sk, __u8 direction, __u64 cookie)
{
	__u32 idx;
	struct ss_recent_flow *recent;

	start_flow(v, sk, direction, cookie);
	idx = v->flow_id & (SS_RECENT - 1);
	recent = bpf_map_lookup_elem(&recent_flows, &idx);
	if (recent) {
		tuple_from_sk(&recent->tuple, sk, IPPROTO_TCP);
		barrier();
		recent->flow_id = v->flow_id;
	}
}

/* start_kept_flow for a socket whose every byte is the flow's (counted from 0, no
 * baseline): one whose ESTABLISHED went by without these programs, found later. */
static __always_inline void start_whole_flow(struct ss_tcp_sock *v, const struct sock *sk, __u8 direction, __u64 cookie)
{
	start_kept_flow(v, sk, direction, cookie);
	v->base_bytes_out = 0;
	v->base_bytes_received = 0;
	v->base_segs_out = 0;
	v->base_segs_in = 0;
	v->base_retrans = 0;
	v->open_unseen = 1;
}

/* A connecting socket that closes from a state past its handshake, or (its close unseen
 * too, closed in tcp_destroy_sock) with bytes acked or received: it was connected. A
 * failed connect closes from SYN_SENT with nothing acked. */
static __always_inline int established_unseen(const struct sock *sk, int oldstate)
{
	const struct tcp_sock *tp = kview(struct tcp_sock, sk);

	if (oldstate != TCP_SYN_SENT && oldstate != TCP_SYN_RECV && oldstate != TCP_CLOSE)
		return 1;
	return tp->bytes_acked > 0 || tp->bytes_received > 0;
}

/* Final counters, one close record, forget the socket. */
static __always_inline void close_tcp(const struct sock *sk, __u64 key, struct ss_tcp_sock *v, int oldstate)
{
	if (v->phase == SS_TCP_TRACKED || v->phase == SS_TCP_PENDING_ACCEPT) {
		/* PENDING_ACCEPT: closed before any task sent, received or released it (reset in
		 * the accept queue, a listener closed with it queued): its owner stays unknown. */
		tcp_read_counters(sk, v, &v->counters, oldstate);
		/* The test-and-set the snapshot also does: whoever takes `announced` from 0
		 * writes the open, so a flow is opened exactly once. */
		if (__sync_fetch_and_add(&v->announced, 1))
			emit_tcp(SS_REC_FLOW_CLOSE, sk, v, TCP_CLOSE, 0, 0);
		else
			emit_brief(sk, v);
	} else if (v->phase == SS_TCP_CONNECTING && established_unseen(sk, oldstate)) {
		/* Its ESTABLISHED went by without these programs (bpf/README "Known limits"):
		 * not a failed connect. The flow is reported now, open and close in one record,
		 * with its connect latency unknown. */
		start_whole_flow(v, sk, SS_DIR_OUTBOUND, bpf_get_socket_cookie((void *)sk));
		v->open_state = TCP_ESTABLISHED;
		v->latency_us = 0;
		if (!v->start_ts) /* connecting when capture began */
			v->start_ts = bpf_ktime_get_ns();
		tcp_read_counters(sk, v, &v->counters, oldstate);
		v->announced = 1;
		emit_brief(sk, v);
	} else if (v->phase == SS_TCP_CONNECTING) {
		int err = kview(struct sock, sk)->sk_err;
		/* start_ts 0: the SYN went out before capture began (listed at start). */
		__u64 lat = v->start_ts ? (bpf_ktime_get_ns() - v->start_ts) / 1000 : 0;

		v->cookie = bpf_get_socket_cookie((void *)sk);
		emit_tcp(SS_REC_CONNECT_FAIL, sk, v, TCP_CLOSE, fail_reason(err), lat);
	}
	delete_tcp(key, v->slot);
}

/* Other states send no record and need no map write: the snapshot samples the state from
 * the socket once per interval. Deciding first, on the arguments alone (no load, no lookup),
 * is all that half of a short connection's ten runs do (SYN_RECV, FIN_WAIT1/2, CLOSE_WAIT,
 * LAST_ACK, CLOSING, LISTEN). */
static __always_inline int wanted_state_change(const struct sock *sk, int newstate)
{
	if (newstate != TCP_SYN_SENT && newstate != TCP_ESTABLISHED && newstate != TCP_CLOSE)
		return 0;
	return sk->sk_protocol == IPPROTO_TCP;
}

/* The state change on_inet_sock_set_state last took on this CPU. The kernel runs a tracing
 * program at most once per CPU at a time: a state change in a softirq that interrupts the
 * program's run in process context on the same CPU (a connect, a close) skips it, counted
 * only in the program's recursion_misses (12-30 per 155,000 loopback connections at the
 * maximum rate: flows missing, silently). A second program on the same tracepoint, attached
 * after it (src/loader/hooks.ts: HOOKS order is attach order, and a tracepoint runs its
 * programs in attach order), runs every state change too and takes over the ones the first
 * did not see: each run of the first writes its change here, and the second, running right
 * after it, finds it and stops; a change that interrupted the first finds the change the
 * first was taking instead. Interrupted itself at its start, the second may take a change
 * the first took too; every step is idempotent to that (an insert finds the entry, a close
 * finds it gone, a restarted flow takes a fresh id before any snapshot announced the first). */
struct ss_taken_change {
	__u64 sk;
	__u32 newstate;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ss_taken_change);
} taken_change SEC(".maps");

static __always_inline int handle_state_change(const struct sock *sk, const int oldstate, const int newstate);

/* An entry another socket left at this address: that socket was freed without its close
 * reaching these programs (bpf/README "Known limits"), and the kernel gave its address to
 * sk. Each entry records its socket's cookie once one exists (0 before: a connecting
 * socket, or one accepted before any cookie was made), and a socket's cookie never
 * changes, so a different non-zero cookie is another socket's. */
static __always_inline int left_over(const struct ss_tcp_sock *v, const struct sock *sk)
{
	return v->cookie && v->cookie != sk->__sk_common.skc_cookie.counter;
}

/* The flow of a left-over entry, reported now that its socket is gone, with
 * SS_CLOSE_UNSEEN, the counters the last snapshot read (zero if none did) and the tuple
 * recent_flows kept (sk: the socket that met it; every record field is the entry's): a
 * FLOW_CLOSE if a snapshot announced it, else a FLOW_BRIEF, which needs the tuple. 0 when
 * nothing is written: a FLOW_BRIEF whose tuple is no longer kept (a flow older than
 * SS_RECENT flows). */
static __always_inline int report_left_over(const struct sock *sk, struct ss_tcp_sock *v)
{
	__u32 idx = v->flow_id & (SS_RECENT - 1);
	struct ss_recent_flow *recent = bpf_map_lookup_elem(&recent_flows, &idx);
	int kept = recent && recent->flow_id == v->flow_id;

	if (__sync_fetch_and_add(&v->announced, 1)) {
		struct ss_flow_record *c = reserve(sizeof(*c));

		if (!c)
			return 1; /* counted lost by reserve() */
		fill_tcp_open(c, SS_REC_FLOW_CLOSE, sk, v);
		c->ts = bpf_ktime_get_ns();
		c->state = TCP_CLOSE;
		c->latency_us = 0;
		c->reason = SS_CLOSE_UNSEEN;
		c->counters = v->counters;
		__builtin_memset(&c->tuple, 0, sizeof(c->tuple));
		if (kept && recent)
			__builtin_memcpy(&c->tuple, &recent->tuple, sizeof(c->tuple));
		submit(c);
		return 1;
	}
	if (!kept || !recent)
		return 0;

	struct ss_brief_record *r = reserve(sizeof(*r));

	if (!r)
		return 1;
	fill_tcp_open(&r->flow, SS_REC_FLOW_BRIEF, sk, v);
	__builtin_memcpy(&r->flow.tuple, &recent->tuple, sizeof(r->flow.tuple));
	r->flow.reason |= SS_CLOSE_UNSEEN;
	r->flow.counters = v->counters;
	r->close_ts = bpf_ktime_get_ns();
	barrier();
	if (recent->flow_id != v->flow_id) { /* overwritten while copied */
		discard(r);
		return 0;
	}
	submit(r);
	return 1;
}

/* Its flow's close was not seen: reported now, or, its tuple gone, a lost event (user
 * space sweeps a flow it reported). A socket meeting the entry at its address and the
 * snapshot's sweep of freed sockets may find it at once: the first to take `reported`
 * reports and deletes it, the other leaves it. */
static __always_inline void drop_left_over(const struct sock *sk, __u64 key, struct ss_tcp_sock *v)
{
	if (__sync_fetch_and_add(&v->reported, 1))
		return;
	count_stat(report_left_over(sk, v) ? SS_STAT_UNSEEN : SS_STAT_LOST);
	delete_tcp(key, v->slot);
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(on_inet_sock_set_state, const struct sock *sk, const int oldstate, const int newstate)
{
	__u32 zero = 0;
	struct ss_taken_change *t;

	if (!wanted_state_change(sk, newstate))
		return 0;
	t = bpf_map_lookup_elem(&taken_change, &zero);
	if (t) {
		t->sk = (__u64)sk;
		t->newstate = newstate;
	}
	return handle_state_change(sk, oldstate, newstate);
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(on_inet_sock_set_state_nested, const struct sock *sk, const int oldstate, const int newstate)
{
	__u32 zero = 0;
	struct ss_taken_change *t;

	if (!wanted_state_change(sk, newstate))
		return 0;
	t = bpf_map_lookup_elem(&taken_change, &zero);
	if (!t)
		return 0;
	if (t->sk == (__u64)sk && t->newstate == newstate) {
		t->sk = 0;
		return 0;
	}
	count_stat(SS_STAT_NESTED);
	return handle_state_change(sk, oldstate, newstate);
}

/* The TCP_CLOSE this CPU last took of an orphaned socket (SOCK_DEAD: no file, so no task
 * can connect it again, and only its destroy is left), whose tcp_socks entry is gone by then:
 * that socket's tcp_destroy_sock, which tcp_done() runs right after the change on this CPU,
 * needs no lookup (it missed for almost every socket). The cookie tells it from a later
 * socket at the same address (a socket's cookie never changes; 0: none made, not marked). */
struct ss_closed_sock {
	__u64 sk;
	__u64 cookie;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ss_closed_sock);
} closed_here SEC(".maps");

#define SS_SOCK_DEAD 0 /* enum sock_flags: set by sock_orphan() */

static __always_inline void mark_closed(const struct sock *sk)
{
	const struct sock_common *c = &kview(struct sock, sk)->__sk_common;
	__u32 zero = 0;
	struct ss_closed_sock *m;

	if (!(c->skc_flags & (1UL << SS_SOCK_DEAD)))
		return;
	m = bpf_map_lookup_elem(&closed_here, &zero);
	if (m) {
		m->sk = (__u64)sk;
		m->cookie = c->skc_cookie.counter;
	}
}

static __always_inline int handle_state_change(const struct sock *sk, const int oldstate, const int newstate)
{
	__u64 key = (__u64)sk;
	struct ss_tcp_sock *v;

	if (newstate == TCP_SYN_SENT) {
		/* connect() in the connecting task: the owner is current. */
		struct ss_tcp_sock nv = {};

		nv.phase = SS_TCP_CONNECTING;
		nv.direction = SS_DIR_OUTBOUND;
		nv.state = TCP_SYN_SENT;
		nv.start_ts = bpf_ktime_get_ns();
		owner_from_current(&nv.owner, sk);
		/* An entry left for this socket is replaced (it had no close). */
		long err = insert_tcp(key, &nv);

		if (err == -EEXIST) {
			v = bpf_map_lookup_elem(&tcp_socks, &key);
			if (v && left_over(v, sk))
				drop_left_over(sk, key, v);
			else if (v)
				delete_tcp(key, v->slot);
			err = insert_tcp(key, &nv);
		}
		if (err)
			count_stat(SS_STAT_EVICTED);
		return 0;
	}

	if (newstate == TCP_ESTABLISHED && oldstate == TCP_SYN_RECV) {
		/* Softirq: current is whoever was interrupted. Park the socket until its first
		 * send/recv or its release names its owner. An entry may already exist (a Fast
		 * Open child read or written in SYN_RECV): the insert (BPF_NOEXIST) keeps it,
		 * without a lookup first that misses for every other connection; a left-over
		 * is replaced. */
		struct ss_tcp_sock nv = {};
		long err;

		start_kept_flow(&nv, sk, SS_DIR_INBOUND, bpf_get_socket_cookie((void *)sk));
		nv.phase = SS_TCP_PENDING_ACCEPT;
		nv.start_ts = tcp_rx_now_ns(sk);
		nv.open_state = TCP_ESTABLISHED;
		nv.state = TCP_ESTABLISHED;
		nv.owner.netns = sk_netns(sk);
		err = insert_tcp(key, &nv);
		if (err == -EEXIST) {
			v = bpf_map_lookup_elem(&tcp_socks, &key);
			if (v && left_over(v, sk)) {
				drop_left_over(sk, key, v);
				err = insert_tcp(key, &nv);
			}
		}
		if (err && err != -EEXIST)
			count_stat(SS_STAT_EVICTED);
		return 0;
	}

	v = bpf_map_lookup_elem(&tcp_socks, &key);
	if (v && left_over(v, sk)) {
		drop_left_over(sk, key, v);
		v = NULL;
	}

	if (newstate == TCP_ESTABLISHED && oldstate == TCP_SYN_SENT) {
		if (!v) {
			/* connect() began before capture: owner unknown. */
			struct ss_tcp_sock nv = {};

			nv.start_ts = bpf_ktime_get_ns();
			nv.owner.netns = sk_netns(sk);
			if (insert_tcp(key, &nv))
				return count_stat(SS_STAT_EVICTED), 0;
			v = bpf_map_lookup_elem(&tcp_socks, &key);
			if (!v)
				return 0;
		}
		__u64 now = tcp_rx_now_ns(sk);

		v->latency_us = v->start_ts && now > v->start_ts ? (now - v->start_ts) / 1000 : 0;
		v->start_ts = now;
		v->open_state = TCP_ESTABLISHED;
		v->state = TCP_ESTABLISHED;
		start_kept_flow(v, sk, SS_DIR_OUTBOUND, bpf_get_socket_cookie((void *)sk));
		return 0;
	}

	if (newstate == TCP_CLOSE) {
		if (v)
			close_tcp(sk, key, v, oldstate);
		mark_closed(sk);
		return 0;
	}
	if (v)
		v->state = newstate; /* ESTABLISHED from another state: not a move TCP makes */
	return 0;
}

/* Safety net: a tracked socket destroyed without passing through TCP_CLOSE above. */
SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(on_tcp_destroy_sock, struct sock *sk)
{
	__u64 key = (__u64)sk;
	__u32 zero = 0;
	struct ss_closed_sock *m = bpf_map_lookup_elem(&closed_here, &zero);
	struct ss_tcp_sock *v;

	/* Its close was taken and nothing can have inserted it since (mark_closed). */
	if (m && m->sk == key && m->cookie && m->cookie == sk->__sk_common.skc_cookie.counter)
		return 0;
	v = bpf_map_lookup_elem(&tcp_socks, &key);
	if (v && left_over(v, sk))
		drop_left_over(sk, key, v);
	else if (v)
		close_tcp(sk, key, v, sk->__sk_common.skc_state);
	return 0;
}

/* ---- inbound owner: the first task that touches a parked socket ----
 *
 * An inbound socket is parked (PENDING_ACCEPT) at SYN_RECV -> ESTABLISHED, in softirq,
 * where current is not its owner. Its owner is the first task that touches it from process
 * context: its first send or receive (sock_send_length/sock_recv_length, whatever the call:
 * read, recv, sendfile, io_uring), or its release when it is closed without any
 * (cgroup/sock_release, in the closing task). No syscall tracepoint: while any
 * syscalls/sys_exit_* event has a program, every syscall of every task takes the slow exit
 * path (about 0.9 us per churn connection). A TCP send/recv looks the socket up only while
 * it is fresh (tcp_fresh: nothing written or read before this call), a few loads of hot
 * tcp_sock fields otherwise. */

#define SS_PF_KTHREAD 0x00200000 /* task->flags: a kernel thread (a deferred fput) owns nothing */

/* Whether a TCP socket has written at most `sent` and read at most `read` bytes so far, in
 * sequence space: written = write_seq - snd_una + bytes_acked, read = copied_seq - rcv_nxt +
 * bytes_received (an end of file read counts 1), both from the initial sequence numbers,
 * which the socket does not keep. An accepted socket starts at 0 and 0; an outbound one
 * has written 1 (its SYN, acked) before any send. `fin`: one more written is allowed when
 * it is a FIN (shutdown: the state is past ESTABLISHED/CLOSE_WAIT), not a SYN. The softirq
 * updates bytes_acked before snd_una and bytes_received before rcv_nxt: loaded in that
 * order, a concurrent ACK or segment makes the sums smaller, never larger (an extra
 * lookup, not a missed first call). */
static __always_inline int tcp_fresh(const struct sock *sk, __u32 sent, __u32 read, int fin)
{
	const struct tcp_sock *tp = kview(struct tcp_sock, sk);
	__u32 acked, received, written;

	acked = tp->bytes_acked;
	barrier();
	written = tp->write_seq - tp->snd_una + acked;
	if (written > sent) {
		__u8 state;

		if (!fin || written != sent + 1)
			return 0;
		state = kview(struct sock, sk)->__sk_common.skc_state;
		if (state == TCP_ESTABLISHED || state == TCP_CLOSE_WAIT)
			return 0;
	}
	received = tp->bytes_received;
	barrier();
	return tp->copied_seq - tp->rcv_nxt + received <= read;
}

/* Names the current task the owner of a parked socket and publishes it to the snapshot
 * (TRACKED last, see barrier). The flow keeps its open (time and state at ESTABLISHED) and
 * its counters' zero point. A socket without an entry is inserted here, owned: a TCP Fast
 * Open child read or written in SYN_RECV (its ESTABLISHED comes later and keeps this one),
 * or an accepted socket whose ESTABLISHED the programs did not see. `from_release`:
 * cgroup/sock_release's call, whose cookie helper takes its context, not the socket: it
 * passes the cookie (the tp_btf callers pass 0 and 0). */
static __always_inline void name_inbound(const struct sock *sk, int from_release, __u64 release_cookie)
{
	__u64 key = (__u64)sk;
	struct ss_tcp_sock *v = bpf_map_lookup_elem(&tcp_socks, &key);

	if (!v) {
		struct ss_tcp_sock nv = {};
		__u8 state = kview(struct sock, sk)->__sk_common.skc_state;
		long err;

		if (!from_release && state == TCP_SYN_RECV) {
			start_kept_flow(&nv, sk, SS_DIR_INBOUND, bpf_get_socket_cookie((void *)sk));
			nv.open_state = TCP_SYN_RECV;
		} else if (state == TCP_ESTABLISHED || state == TCP_CLOSE_WAIT) {
			/* An accepted socket without an entry: its ESTABLISHED went by without
			 * these programs (bpf/README "Known limits"), or the map was full then
			 * (counted then). Tracked from here, every byte it has counted its own. */
			__u64 cookie = from_release ? release_cookie : bpf_get_socket_cookie((void *)sk);

			start_whole_flow(&nv, sk, SS_DIR_INBOUND, cookie);
			nv.open_state = TCP_ESTABLISHED;
		} else {
			return;
		}
		nv.phase = SS_TCP_PENDING_ACCEPT; /* published as TRACKED below */
		nv.start_ts = bpf_ktime_get_ns();
		nv.state = state;
		err = insert_tcp(key, &nv);
		if (err) {
			if (nv.open_state == TCP_SYN_RECV) /* an ESTABLISHED's failed insert was counted */
				count_stat(SS_STAT_EVICTED);
			return;
		}
		v = bpf_map_lookup_elem(&tcp_socks, &key);
		if (!v)
			return;
	}
	if (v->phase != SS_TCP_PENDING_ACCEPT)
		return;
	owner_from_current(&v->owner, sk);
	barrier();
	v->phase = SS_TCP_TRACKED;
	/* Announced without an owner already (idle for SS_UNNAMED_AFTER_NS): say who it is.
	 * The atomic read orders the phase store before it; the snapshot's test-and-set on
	 * `announced` then reads the phase, so one of the two writes the owner (both, at
	 * worst: the same owner twice). */
	if (__sync_fetch_and_add(&v->announced, 0)) {
		emit_owner(sk, v);
		slot_unsettle(v->slot);
	}
}

/* A TCP send or receive of `ret` bytes (< 0: an error, EAGAIN included): the socket's
 * first names a parked socket's owner. First: nothing written before this send (and at
 * most an end of file read), or nothing read before this receive (and at most a FIN
 * written: a shutdown); an outbound socket's SYN counts as written, so a client never
 * looks itself up. */
static __always_inline void tcp_first_io(const struct sock *sk, int ret, int sending)
{
	__u32 n = ret > 0 ? ret : 0;

	if (sk->sk_type != 1 /* SOCK_STREAM: not a raw socket of protocol 6 */)
		return;
	if (!tcp_fresh(sk, sending ? n : 0, sending ? 1 : n + 1, !sending))
		return;
	name_inbound(sk, 0, 0);
}

/* ---- UDP ---- */

extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;

static __always_inline void stash_peer(struct bpf_sock_addr *ctx, int v6)
{
	struct ss_peer_stash *s = bpf_task_storage_get(&peer_stash, bpf_get_current_task_btf(), 0,
							 BPF_LOCAL_STORAGE_GET_F_CREATE);

	/* Left behind when consumed (cookie 0), reused by the thread's next call. */
	if (!s)
		return;
	s->cookie = sk_cookie_made(((struct bpf_sock_addr_kern *)bpf_cast_to_kern_ctx(ctx))->sk);
	if (!s->cookie)
		s->cookie = bpf_get_socket_cookie(ctx);
	s->rport = bpf_ntohs((__u16)ctx->user_port);
	if (v6) {
		s->family = AF_INET6;
		((__u32 *)s->raddr)[0] = ctx->user_ip6[0];
		((__u32 *)s->raddr)[1] = ctx->user_ip6[1];
		((__u32 *)s->raddr)[2] = ctx->user_ip6[2];
		((__u32 *)s->raddr)[3] = ctx->user_ip6[3];
	} else {
		s->family = AF_INET;
		((__u32 *)s->raddr)[0] = ctx->user_ip4;
	}
}

SEC("cgroup/sendmsg4")
int on_sendmsg4(struct bpf_sock_addr *ctx) { if (ctx->protocol == IPPROTO_UDP) stash_peer(ctx, 0); return 1; }
SEC("cgroup/sendmsg6")
int on_sendmsg6(struct bpf_sock_addr *ctx) { if (ctx->protocol == IPPROTO_UDP) stash_peer(ctx, 1); return 1; }
SEC("cgroup/recvmsg4")
int on_recvmsg4(struct bpf_sock_addr *ctx) { if (ctx->protocol == IPPROTO_UDP) stash_peer(ctx, 0); return 1; }
SEC("cgroup/recvmsg6")
int on_recvmsg6(struct bpf_sock_addr *ctx) { if (ctx->protocol == IPPROTO_UDP) stash_peer(ctx, 1); return 1; }

static __always_inline void udp_count(struct sock *sk, int ret, int sending)
{
	struct ss_udp_key key = {};
	struct ss_peer_stash *s;
	struct ss_udp_flow *f;
	__u16 family = sk->__sk_common.skc_family;

	if (family != AF_INET && family != AF_INET6)
		return;
	key.cookie = sk_cookie_made(sk);
	if (!key.cookie)
		key.cookie = bpf_get_socket_cookie(sk);
	s = bpf_task_storage_get(&peer_stash, bpf_get_current_task_btf(), 0, 0);
	if (s && s->cookie == key.cookie) {
		/* Unconnected socket: the peer of this very call, from the cgroup hook. */
		key.rport = s->rport;
		if (family == AF_INET6 && s->family == AF_INET) {
			/* A v6 socket sending to a mapped v4 peer runs the sendmsg4 hook (the v4
			 * path), while its receives run recvmsg6 with the mapped address: key both
			 * the v6 way (::ffff:a.b.c.d), as the socket itself would, so that they
			 * meet in one flow. */
			key.raddr[10] = 0xff;
			key.raddr[11] = 0xff;
			__builtin_memcpy(&key.raddr[12], s->raddr, 4);
			key.family = AF_INET6;
		} else {
			__builtin_memcpy(key.raddr, s->raddr, sizeof(key.raddr));
			key.family = s->family;
		}
		s->cookie = 0; /* consumed: a later call on another socket does not see it */
	} else {
		/* Connected socket (or recv without a source address): the socket's peer. */
		struct ss_tuple t = {};

		tuple_from_sk(&t, sk, IPPROTO_UDP);
		__builtin_memcpy(key.raddr, t.raddr, sizeof(key.raddr));
		key.rport = t.rport;
		key.family = t.family;
	}

	f = bpf_map_lookup_elem(&udp_flows, &key);
	if (!f) {
		struct ss_udp_flow nf = {};
		struct ss_flow_record *r;
		__u8 one = 1;

		nf.flow_id = new_flow_id();
		if (bpf_map_update_elem(&udp_flows, &key, &nf, BPF_NOEXIST)) {
			f = bpf_map_lookup_elem(&udp_flows, &key); /* lost a race: count there */
			if (!f)
				return count_stat(SS_STAT_EVICTED);
		} else {
			f = bpf_map_lookup_elem(&udp_flows, &key);
			if (!f)
				return;
			/* Without this entry the socket's release would not close its flows. */
			if (bpf_map_update_elem(&udp_socks, &key.cookie, &one, BPF_ANY))
				count_stat(SS_STAT_EVICTED);
			r = reserve(sizeof(*r));
			if (r) {
				__builtin_memset(r, 0, sizeof(*r));
				r->type = SS_REC_FLOW_OPEN;
				r->flow_id = nf.flow_id;
				r->ts = bpf_ktime_get_ns();
				r->cookie = key.cookie;
				r->direction = sending ? SS_DIR_OUTBOUND : SS_DIR_INBOUND;
				r->seen_at_start = bpf_map_lookup_elem(&udp_start, &key.cookie) ? 1 : 0;
				tuple_from_sk(&r->tuple, sk, IPPROTO_UDP);
				/* The peer of this flow, and the family of the peer (a v6 socket may
				 * talk to a v4-mapped peer: decode reports that as family 4). */
				__builtin_memcpy(r->tuple.raddr, key.raddr, sizeof(key.raddr));
				r->tuple.rport = key.rport;
				owner_from_current(&r->owner, sk);
				submit(r);
			}
		}
	}
	if (sending) {
		__sync_fetch_and_add(&f->counters.bytes_sent, ret);
		__sync_fetch_and_add(&f->counters.packets_sent, 1);
	} else {
		__sync_fetch_and_add(&f->counters.bytes_received, ret);
		__sync_fetch_and_add(&f->counters.packets_received, 1);
	}
}

/* Fires for every sendmsg/recvmsg of every socket. TCP: the owner of a parked inbound
 * socket at its first call; after that, a few loads and compares (tcp_fresh). */
SEC("tp_btf/sock_send_length")
int BPF_PROG(on_sock_send_length, struct sock *sk, int ret, int flags)
{
	__u16 proto = sk->sk_protocol;

	if (proto == IPPROTO_TCP) {
		tcp_first_io(sk, ret, 1);
		return 0;
	}
	if (proto != IPPROTO_UDP || ret <= 0)
		return 0;
	udp_count(sk, ret, 1);
	return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(on_sock_recv_length, struct sock *sk, int ret, int flags)
{
	__u16 proto = sk->sk_protocol;

	if (proto == IPPROTO_TCP) {
		tcp_first_io(sk, ret, 0);
		return 0;
	}
	if (proto != IPPROTO_UDP || ret <= 0 || (flags & MSG_PEEK))
		return 0;
	udp_count(sk, ret, 0);
	return 0;
}

/* The last reference to an inet socket goes (close, or exit), in the closing task.
 * TCP: a parked inbound socket that no send or receive touched (accepted and closed
 * without I/O) is owned by the task that closes it; a deferred close in a kernel worker
 * names nobody. UDP: a socket with flows goes away: user space closes its flows with the
 * final counters it reads from udp_flows, then deletes those entries. */
SEC("cgroup/sock_release")
int on_sock_release(struct bpf_sock *ctx)
{
	__u64 cookie;

	if (ctx->protocol == IPPROTO_TCP) {
		const struct sock *sk = bpf_cast_to_kern_ctx(ctx);
		__u32 state = ctx->state;

		/* Parked sockets are ESTABLISHED, CLOSE_WAIT, or past a shutdown (a reset one is
		 * gone at TCP_CLOSE); nothing read (an end of file read named it at that read),
		 * nothing written but a FIN. */
		if (ctx->type != 1 || state == TCP_LISTEN || state == TCP_SYN_SENT || state == TCP_CLOSE || !tcp_fresh(sk, 0, 0, 1))
			return 1;
		if (kview(struct task_struct, bpf_get_current_task_btf())->flags & SS_PF_KTHREAD)
			return 1;
		name_inbound(sk, 1, bpf_get_socket_cookie(ctx));
		return 1;
	}
	if (ctx->protocol != IPPROTO_UDP)
		return 1;
	cookie = bpf_get_socket_cookie(ctx);
	bpf_map_delete_elem(&udp_start, &cookie);
	if (bpf_map_delete_elem(&udp_socks, &cookie) == 0)
		emit_state(SS_REC_UDP_RELEASE, 0, cookie, 0, 0);
	return 1;
}

/* ---- per-interval TCP snapshot (run by user space with BPF_PROG_TEST_RUN) ---- */

/* How long a parked inbound socket waits for a task to name its owner before the snapshot
 * announces it without one. */
#define SS_UNNAMED_AFTER_NS 1000000000ULL

struct snap_ctx {
	__u64 now;
	__u64 ring_half;  /* bytes: announcing stops while more than this awaits user space */
	__u32 ring_full;  /* announce the rest at a later snapshot */
	__u32 may_delete; /* walking the slot index, not bpf_for_each_map_elem over tcp_socks */
};

/* The FLOW_OPEN of a flow no record has opened yet. Reserved before the test-and-set
 * on `announced`: if close_tcp wins it, this open is discarded (its FLOW_BRIEF opens the
 * flow); if this wins, the open is ahead of the close's record in the ring. A full ring
 * loses nothing here: the flow stays unannounced for the next snapshot or its close. */
static __always_inline void announce(const struct sock *sk, struct ss_tcp_sock *v, struct snap_ctx *c, int unnamed)
{
	struct ss_flow_record *r;

	/* Opens can wait, closes and process records cannot: many flows to announce at once
	 * (the start-up listing of a busy host) leave half the ring to them. */
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) > c->ring_half) {
		c->ring_full = 1;
		return;
	}
	r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		c->ring_full = 1;
		return;
	}
	fill_tcp_open(r, SS_REC_FLOW_OPEN, sk, v);
	if (unnamed) {
		/* No owner yet, and one being named now on another CPU must not come out half
		 * written: the netns alone, which the ESTABLISHED wrote. */
		__u32 netns = r->owner.netns;

		__builtin_memset(&r->owner, 0, sizeof(r->owner));
		r->owner.netns = netns;
	}
	if (__sync_fetch_and_add(&v->announced, 1) == 0) {
		submit(r);
		/* Named while this open was written without an owner (see name_inbound). */
		if (unnamed && v->phase == SS_TCP_TRACKED)
			emit_owner(sk, v);
	} else {
		discard(r);
	}
}

/* A socket freed with its entry still here: its close and its destroy both went by without
 * these programs (bpf/README "Known limits"). TCP sockets come from a SLAB_TYPESAFE_BY_RCU
 * cache, so the address stays a struct sock: a freed one keeps its last state and cookie
 * until the slab gives it to another socket, whose allocation zeroes them. The destroy
 * tracepoint runs before the last reference is dropped, so a count of 0 means no program
 * will see this socket again. Without this, such a flow was reported only when a later
 * socket took the address, and never if none did. */
static __always_inline int freed_unseen(const struct sock *sk)
{
	const struct sock_common *c = &kview(struct sock, sk)->__sk_common;

	return c->skc_state == TCP_CLOSE && c->skc_refcnt.refs.counter == 0;
}

static __always_inline int same_counters(const struct ss_counters *a, const struct ss_counters *b)
{
	return a->bytes_sent == b->bytes_sent && a->bytes_received == b->bytes_received &&
	       a->packets_sent == b->packets_sent && a->packets_received == b->packets_received &&
	       a->retransmits == b->retransmits && a->srtt_us == b->srtt_us;
}

/* Sets the entry's bit in changed_slots (plain or: only the snapshot writes the words, and
 * it runs in one thread at a time, the interval's BPF_PROG_TEST_RUN). */
static __always_inline void mark_changed(const struct ss_tcp_sock *v)
{
	__u32 slot = v->slot;
	__u32 idx = slot / 64;
	__u64 *word;

	if (slot == SS_NO_SLOT)
		return;
	word = bpf_map_lookup_elem(&changed_slots, &idx);
	if (word)
		*word |= 1ULL << (slot & 63);
}

static long snapshot_one(struct bpf_map *map, __u64 *key, struct ss_tcp_sock *v, struct snap_ctx *c)
{
	const struct sock *sk = (const struct sock *)*key;
	int unnamed = v->phase == SS_TCP_PENDING_ACCEPT;
	struct ss_counters old;
	__u64 cookie;

	if (v->phase == SS_TCP_CONNECTING)
		return 0;
	/* The address may have been freed and reused since: trust it only while the cookie
	 * still matches the one recorded for this flow. */
	cookie = kview(struct sock, sk)->__sk_common.skc_cookie.counter;
	if (cookie != v->cookie)
		return 0;
	if (c->may_delete && freed_unseen(sk)) {
		/* Its final counters are still in the freed socket: kept if it is still this
		 * socket after the read (a new socket at the address changes its cookie). */
		struct ss_counters last;

		tcp_read_counters(sk, v, &last, TCP_CLOSE);
		barrier();
		if (freed_unseen(sk) && kview(struct sock, sk)->__sk_common.skc_cookie.counter == cookie)
			v->counters = last;
		drop_left_over(sk, *key, v);
		return 0;
	}
	/* A parked socket no task has touched for a while (accepted and idle, or waiting in
	 * the accept queue) is announced without an owner, so that it is listed at all. */
	if (v->phase != SS_TCP_TRACKED && !(unnamed && c->now - v->start_ts >= SS_UNNAMED_AFTER_NS))
		return 0;
	/* The state user space reports for this interval: transitions are not written by
	 * on_inet_sock_set_state (intermediate states are sampled, open and close are exact). */
	old = v->counters;
	v->state = kview(struct sock, sk)->__sk_common.skc_state;
	tcp_read_counters(sk, v, &v->counters, v->state);
	/* What user space reads this interval (changed_slots): a flow new to it, not announced
	 * yet (a full ring), named since (it skips one still parked), or changed. */
	if (!v->snap_ts || !v->announced || v->phase != v->snap_phase || v->state != v->snap_state ||
	    !same_counters(&old, &v->counters))
		mark_changed(v);
	v->snap_state = v->state;
	v->snap_phase = v->phase;
	v->snap_ts = c->now;
	if (!v->announced && !c->ring_full)
		announce(sk, v, c, unnamed);
	return 0;
}

/* Whether the flow in this slot is settled and its socket reads as the snapshot that settled
 * it read it: same state, same next sequence number each way and as many data segments
 * in. Settled means nothing was in flight (snd_una == snd_nxt), so whatever the snapshot
 * reads of the socket can change only with new data sent (snd_nxt: bytes and segments
 * out, then retransmits and srtt, which need data in flight), data received (rcv_nxt: bytes;
 * data_segs_in also counts a duplicate or out-of-order segment, which rcv_nxt does not) or
 * a FIN either way (a sequence number, and the state). The sequence numbers start at random
 * ISNs, so they also tell this connection from a later socket at the same address. Three
 * cache lines of the socket (state; rcv_nxt/snd_nxt; data_segs_in) instead of the lookup of
 * the entry in `tcp_socks` and the reads of snapshot_one: most of a snapshot of many idle
 * flows was those cache misses. Read before the entry, so a change racing the read shows
 * at the next snapshot. */
struct slot_reads {
	__u64 head;
	__u32 rcv_nxt;
	__u32 snd_nxt;
	__u32 snd_una;
	__u32 data_segs_in;
	__u8 state;
	__u64 cookie; /* read only when the reads differ: for slot_settle */
};

static __always_inline int slot_unchanged(const struct ss_slot *s, struct slot_reads *r)
{
	const struct sock *sk = (const struct sock *)s->key;
	const struct tcp_sock *tp = kview(struct tcp_sock, sk);

	r->head = *(volatile __u64 *)&s->head;
	r->state = kview(struct sock, sk)->__sk_common.skc_state;
	r->rcv_nxt = tp->rcv_nxt;
	r->snd_nxt = tp->snd_nxt;
	r->data_segs_in = tp->data_segs_in;
	if ((r->head & SS_SLOT_SETTLED) && (__u8)(r->head >> 32) == r->state && r->rcv_nxt == s->rcv_nxt &&
	    r->snd_nxt == s->snd_nxt && r->data_segs_in == s->data_segs_in)
		return 1;
	r->snd_una = tp->snd_una;
	r->cookie = kview(struct sock, sk)->__sk_common.skc_cookie.counter;
	return 0;
}

/* After snapshot_one: the slot settled with these reads when the flow is announced, open (a
 * socket in TCP_CLOSE may be freed unseen: freed_unseen() must look each time) and has
 * nothing in flight, unsettled otherwise. The compare-and-swap fails if an insert took the
 * slot or a parked flow was named since `r` was read (both advance the generation). */
static __always_inline void slot_settle(struct ss_slot *s, const struct ss_tcp_sock *v, const struct slot_reads *r)
{
	__u64 gen = r->head & SS_SLOT_GEN_MASK;

	if ((v->phase == SS_TCP_TRACKED || v->phase == SS_TCP_PENDING_ACCEPT) && v->announced &&
	    v->cookie == r->cookie && r->state != TCP_CLOSE && r->snd_una == r->snd_nxt) {
		s->rcv_nxt = r->rcv_nxt;
		s->snd_nxt = r->snd_nxt;
		s->data_segs_in = r->data_segs_in;
		__sync_val_compare_and_swap(&s->head, r->head, gen | ((__u64)r->state << 32) | SS_SLOT_SETTLED);
	} else if (r->head & SS_SLOT_SETTLED) {
		__sync_val_compare_and_swap(&s->head, r->head, gen);
	}
}

/* One word of live_slots being visited: its set bits not yet visited. */
struct snap_word {
	struct snap_ctx *c;
	__u64 bits;
	__u32 idx;
};

/* The entry of the lowest set bit left in the word. A key read from a slot being reused
 * may be stale: its entry (if any) is visited only from its own slot. A bpf_loop of its
 * own, not a loop in snapshot_word: the verifier walked a 64-round loop around
 * snapshot_one in every state it could be in, which took 400 ms of start-up. */
static long snapshot_bit(__u64 index, struct snap_word *w)
{
	__u64 bits = w->bits;
	__u32 slot;
	struct ss_slot *s;
	struct slot_reads r;
	struct ss_tcp_sock *v;

	if (!bits)
		return 1;
	slot = w->idx * 64 + bit_index(bits & -bits);
	w->bits = bits & (bits - 1);
	s = bpf_map_lookup_elem(&slot_keys, &slot);
	if (!s || slot_unchanged(s, &r))
		return 0;
	v = bpf_map_lookup_elem(&tcp_socks, &s->key);
	if (v && v->slot == slot) {
		snapshot_one((struct bpf_map *)&tcp_socks, &s->key, v, w->c);
		slot_settle(s, v, &r);
	}
	return 0;
}

/* One word of live_slots: the entries of its set bits. */
static long snapshot_word(__u64 index, struct snap_ctx *c)
{
	__u32 idx = index;
	__u64 *word = bpf_map_lookup_elem(&live_slots, &idx);
	struct snap_word w = { .c = c, .idx = idx };

	if (!word)
		return 1;
	w.bits = *(volatile __u64 *)word;
	if (w.bits)
		bpf_loop(64, snapshot_bit, &w, 0);
	return 0;
}

SEC("raw_tp")
int snapshot(void *ctx)
{
	struct snap_ctx c = { .now = bpf_ktime_get_ns(), .ring_half = bpf_ringbuf_query(&events, BPF_RB_RING_SIZE) / 2 };

	__u64 *unindexed = slotless();

	if (!unindexed || *unindexed) {
		bpf_for_each_map_elem(&tcp_socks, snapshot_one, &c, 0);
	} else {
		c.may_delete = 1;
		bpf_loop(SS_SLOT_WORDS, snapshot_word, &c, 0);
	}
	/* 1: flows are left to announce; user space reads the ring and runs it again. */
	return c.ring_full;
}

/* ---- sockets that exist at start (iter/task_file: every task in every netns) ---- */

/* Longest accept queue walked per listener at start; the rest is counted as evicted. */
#define SS_ACCEPT_QUEUE_MAX 256

/* Children waiting in a listener's accept queue at start: established before capture,
 * in no fd table yet. Parked like any inbound connection (counted from now, owner named
 * by its first send/recv or its release), and marked seen_at_start. Probe reads only: the queue is not locked. */
static __always_inline void list_accept_queue(const struct sock *listener)
{
	const struct inet_connection_sock *icsk = (const struct inet_connection_sock *)listener;
	struct request_sock *req = BPF_CORE_READ(icsk, icsk_accept_queue.rskq_accept_head);
	int i;

	for (i = 0; i < SS_ACCEPT_QUEUE_MAX && req; i++) {
		struct sock *child = BPF_CORE_READ(req, sk);

		if (child) {
			struct ss_tcp_sock nv = {};
			__u64 key = (__u64)child;
			long err;

			start_flow(&nv, child, SS_DIR_INBOUND, BPF_CORE_READ(child, __sk_common.skc_cookie.counter));
			nv.phase = SS_TCP_PENDING_ACCEPT;
			nv.seen_at_start = 1;
			nv.start_ts = bpf_ktime_get_ns();
			nv.open_state = BPF_CORE_READ(child, __sk_common.skc_state);
			nv.state = nv.open_state;
			nv.owner.netns = sk_netns(child);
			err = insert_tcp(key, &nv);
			if (err && err != -EEXIST)
				count_stat(SS_STAT_EVICTED);
		}
		req = BPF_CORE_READ(req, dl_next);
	}
	if (req)
		count_stat(SS_STAT_EVICTED);
}

SEC("iter/task_file")
int list_sockets(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct socket *sock;
	struct sock *sk;
	__u16 family, proto;
	__u8 state;
	__u64 key;
	long err;

	if (!task || !file)
		return 0;
	sock = bpf_sock_from_file(file);
	if (!sock)
		return 0;
	sk = sock->sk; /* a BTF pointer (not a probe read) so that helpers accept it */
	if (!sk)
		return 0;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != AF_INET && family != AF_INET6)
		return 0;
	proto = BPF_CORE_READ(sk, sk_protocol);
	if (proto == IPPROTO_UDP) {
		__u64 cookie = bpf_get_socket_cookie(sk);
		__u8 one = 1;

		if (bpf_map_update_elem(&udp_start, &cookie, &one, BPF_ANY))
			count_stat(SS_STAT_EVICTED);
		return 0;
	}
	if (proto != IPPROTO_TCP)
		return 0;
	state = BPF_CORE_READ(sk, __sk_common.skc_state);
	if (state == TCP_LISTEN) {
		list_accept_queue(sk);
		return 0;
	}
	if (state == TCP_CLOSE)
		return 0;

	struct ss_tcp_sock nv = {};

	if (state == TCP_SYN_SENT) {
		/* A connect() in flight: its ESTABLISHED will run in softirq, where current is
		 * not the owner. Name the owner now; the flow starts when it is established
		 * (no connect latency: its SYN was sent before capture). */
		nv.phase = SS_TCP_CONNECTING;
		nv.direction = SS_DIR_OUTBOUND;
		nv.state = TCP_SYN_SENT;
		nv.seen_at_start = 1;
		owner_from_task(&nv.owner, task, sk);
		key = (__u64)sk;
		err = insert_tcp(key, &nv);
		if (err && err != -EEXIST)
			count_stat(SS_STAT_EVICTED);
		return 0;
	}

	start_kept_flow(&nv, sk, SS_DIR_UNKNOWN, bpf_get_socket_cookie(sk));
	nv.seen_at_start = 1;
	nv.start_ts = bpf_ktime_get_ns();
	nv.open_state = state;
	nv.state = state;
	owner_from_task(&nv.owner, task, sk);
	key = (__u64)sk;
	/* NOEXIST: a socket shared by several processes, or one the tracepoints already
	 * follow, is reported once. Any other failure is a full map: counted. The first
	 * snapshot announces it (user space runs one right after this iterator). */
	err = insert_tcp(key, &nv);
	if (err && err != -EEXIST)
		count_stat(SS_STAT_EVICTED);
	return 0;
}

/* ---- process lifecycle ---- */

/* FORK and EXIT records stop before `filename`: the ring carries 40 bytes for them. */
#define SS_PROC_SHORT __builtin_offsetof(struct ss_proc_record, filename)

static __always_inline struct ss_proc_record *proc_record(__u32 type, __u32 pid, __u32 ppid, __u64 size)
{
	struct ss_proc_record *r = reserve(size);

	if (!r)
		return 0;
	r->type = type;
	r->pid = pid;
	r->ts = bpf_ktime_get_ns();
	r->ppid = ppid;
	r->uid = (__u32)bpf_get_current_uid_gid();
	bpf_get_current_comm(r->comm, sizeof(r->comm));
	return r;
}

/* The new image's argv, read from its own stack (mm->arg_start..arg_end) while current is
 * the process: a process that exits within milliseconds is gone from /proc by the time
 * user space could read /proc/PID/cmdline. */
static __always_inline void read_argv(struct ss_proc_record *r, struct task_struct *p)
{
	unsigned long start = BPF_CORE_READ(p, mm, arg_start);
	unsigned long end = BPF_CORE_READ(p, mm, arg_end);
	__u64 len = end > start ? end - start : 0;

	if (len > SS_CMDLINE_LEN)
		len = SS_CMDLINE_LEN;
	r->cmdline_len = 0;
	/* The mask restates the bound for the verifier: len is 1..SS_CMDLINE_LEN here. */
	if (len > 0 && bpf_probe_read_user(r->cmdline, ((len - 1) & (SS_CMDLINE_LEN - 1)) + 1, (void *)start) == 0)
		r->cmdline_len = len;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct ss_proc_record *r = proc_record(SS_REC_PROC_EXEC, p->tgid, BPF_CORE_READ(p, real_parent, tgid), sizeof(*r));

	if (!r)
		return 0;
	if (bpf_probe_read_kernel_str(r->filename, sizeof(r->filename), BPF_CORE_READ(bprm, filename)) < 0)
		r->filename[0] = 0;
	read_argv(r, p);
	submit(r);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	struct ss_proc_record *r;

	if (child->pid != child->tgid) /* a new thread, not a new process */
		return 0;
	r = proc_record(SS_REC_PROC_FORK, child->tgid, parent->tgid, SS_PROC_SHORT);
	if (r)
		submit(r);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *p, bool group_dead)
{
	struct ss_proc_record *r;

	if (!group_dead) /* another thread of a process that lives on */
		return 0;
	r = proc_record(SS_REC_PROC_EXIT, p->tgid, 0, SS_PROC_SHORT);
	if (r)
		submit(r);
	return 0;
}

/* ---- cgroup v2 paths at creation ---- */

/* `path` is the new cgroup's path from its hierarchy's root (the tracepoint formats it
 * only while someone listens). Only the v2 hierarchy (the one task->cgroups->dfl_cgrp
 * lives in, whatever the v1 mounts are) names the ids that owners carry. */
SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(on_cgroup_mkdir, struct cgroup *cgrp, const char *path)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct ss_cgroup_record *r;
	long n;

	if (BPF_CORE_READ(cgrp, root) != BPF_CORE_READ(task, cgroups, dfl_cgrp, root))
		return 0;
	r = reserve(sizeof(*r));
	if (!r)
		return 0;
	r->type = SS_REC_CGROUP_MKDIR;
	r->_pad = 0;
	r->ts = bpf_ktime_get_ns();
	r->cgroup_id = BPF_CORE_READ(cgrp, kn, id);
	n = bpf_probe_read_kernel_str(r->path, sizeof(r->path), path);
	/* A path that filled the buffer may be cut: better none (user space walks) than a
	 * wrong one. */
	if (n <= 1 || n >= SS_CGROUP_PATH_LEN) {
		discard(r);
		return 0;
	}
	submit(r);
	return 0;
}
