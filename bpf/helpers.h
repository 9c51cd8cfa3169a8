/* Small CO-RE helpers shared by the programs in sockscope.bpf.c: owner capture,
 * tuple extraction and TCP counter reads. Everything goes through BPF_CORE_READ so the
 * same code works from tp_btf (trusted pointers), tp/iter (probe reads) and the raw_tp
 * snapshot program (a socket address kept in a map: possibly stale, so probe reads only). */
#ifndef SOCKSCOPE_HELPERS_H
#define SOCKSCOPE_HELPERS_H

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define MSG_PEEK 2
#define RCV_SHUTDOWN 1
#define SEND_SHUTDOWN 2

#define EEXIST 17
#define ECONNRESET 104
#define ECONNREFUSED 111
#define ETIMEDOUT 110
#define EHOSTUNREACH 113
#define ENETUNREACH 101

static __always_inline __u32 sk_netns(const struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
}

/* Owner = the current task (process context: connect, accept, sendmsg, recvmsg). */
static __always_inline void owner_from_current(struct ss_owner *o, const struct sock *sk)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 uid_gid = bpf_get_current_uid_gid();
	struct task_struct *task = bpf_get_current_task_btf();

	o->tgid = pid_tgid >> 32;
	o->tid = (__u32)pid_tgid;
	o->ppid = BPF_CORE_READ(task, real_parent, tgid);
	o->uid = (__u32)uid_gid;
	o->gid = uid_gid >> 32;
	o->cgroup_id = bpf_get_current_cgroup_id();
	o->netns = sk ? sk_netns(sk) : 0;
	bpf_get_current_comm(o->comm, sizeof(o->comm));
}

/* Owner = a task found by the start-up iterator (not current). */
static __always_inline void owner_from_task(struct ss_owner *o, struct task_struct *task, const struct sock *sk)
{
	o->tgid = BPF_CORE_READ(task, tgid);
	o->tid = BPF_CORE_READ(task, pid);
	o->ppid = BPF_CORE_READ(task, real_parent, tgid);
	o->uid = BPF_CORE_READ(task, cred, uid.val);
	o->gid = BPF_CORE_READ(task, cred, gid.val);
	o->cgroup_id = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
	o->netns = sk_netns(sk);
	BPF_CORE_READ_STR_INTO(&o->comm, task, comm);
}

/* Local and remote address/port of a socket, from the socket itself (also at close). */
static __always_inline void tuple_from_sk(struct ss_tuple *t, const struct sock *sk, __u8 proto)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);

	t->proto = proto;
	t->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	/* At TCP_CLOSE the tracepoint runs after inet_put_port() zeroed skc_num; the source
	 * port the socket sent from is still in inet_sport. */
	if (!t->lport)
		t->lport = bpf_ntohs(BPF_CORE_READ((const struct inet_sock *)sk, inet_sport));
	t->rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (family == AF_INET6) {
		t->family = AF_INET6;
		BPF_CORE_READ_INTO(&t->laddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&t->raddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	} else {
		t->family = AF_INET;
		BPF_CORE_READ_INTO((__u32 *)t->laddr, sk, __sk_common.skc_rcv_saddr);
		BPF_CORE_READ_INTO((__u32 *)t->raddr, sk, __sk_common.skc_daddr);
	}
}

/* The zero point of a TCP socket's counters: taken when the flow starts being counted. */
static __always_inline void tcp_baseline(struct ss_tcp_sock *v, const struct sock *sk)
{
	const struct tcp_sock *tp = (const struct tcp_sock *)sk;

	v->base_bytes_out = BPF_CORE_READ(tp, bytes_sent) - BPF_CORE_READ(tp, bytes_retrans);
	v->base_bytes_received = BPF_CORE_READ(tp, bytes_received);
	v->base_segs_out = BPF_CORE_READ(tp, data_segs_out);
	v->base_segs_in = BPF_CORE_READ(tp, data_segs_in);
	v->base_retrans = BPF_CORE_READ(tp, total_retrans);
}

static __always_inline __u64 sub_floor0(__u64 a, __u64 b)
{
	return a > b ? a - b : 0;
}

#define SS_SOCK_DONE 1 /* enum sock_flags: set by tcp_fin() when the peer's FIN arrives */

/* Application bytes from what TCP already keeps (no per-packet hook), from the baseline
 * taken at ESTABLISHED. Sent: payload transmitted once (bytes_sent counts payload only, no
 * SYN or FIN, retransmissions included; bytes_retrans takes those out), so no FIN
 * bookkeeping can be wrong and a teardown before the last ACK still counts what left.
 * Received: bytes_received (sequence space: it includes the peer's FIN), minus that FIN when
 * tcp_fin() flagged it (SOCK_DONE). `state` is kept for callers; counters do not need it. */
static __always_inline void tcp_read_counters(const struct sock *sk, const struct ss_tcp_sock *v, struct ss_counters *out, int state)
{
	const struct tcp_sock *tp = (const struct tcp_sock *)sk;
	__u64 out_once = BPF_CORE_READ(tp, bytes_sent) - BPF_CORE_READ(tp, bytes_retrans);
	__u64 received = BPF_CORE_READ(tp, bytes_received);
	__u64 sent = sub_floor0(out_once, v->base_bytes_out);

	if ((BPF_CORE_READ(sk, __sk_common.skc_flags) & (1UL << SS_SOCK_DONE)) && received > v->base_bytes_received)
		received--;

	out->bytes_sent = sent;
	out->bytes_received = sub_floor0(received, v->base_bytes_received);
	out->packets_sent = sub_floor0(BPF_CORE_READ(tp, data_segs_out), v->base_segs_out);
	out->packets_received = sub_floor0(BPF_CORE_READ(tp, data_segs_in), v->base_segs_in);
	out->retransmits = sub_floor0(BPF_CORE_READ(tp, total_retrans), v->base_retrans);
	out->srtt_us = BPF_CORE_READ(tp, srtt_us) >> 3;
}

static __always_inline __u8 fail_reason(int err)
{
	switch (err) {
	case ECONNREFUSED: return SS_FAIL_REFUSED;
	case ECONNRESET: return SS_FAIL_RESET;
	case ETIMEDOUT: return SS_FAIL_TIMEOUT;
	case EHOSTUNREACH:
	case ENETUNREACH: return SS_FAIL_UNREACHABLE;
	default: return SS_FAIL_CLOSED;
	}
}

#endif /* SOCKSCOPE_HELPERS_H */
