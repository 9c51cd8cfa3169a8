/* Small CO-RE helpers shared by the programs in sockscope.bpf.c: owner capture,
 * tuple extraction and TCP counter reads. Kernel structs are read through kview(): a
 * typed, fault-safe view of a kernel address, whose fields are plain loads. That works
 * alike from tp_btf (trusted pointers), tp/iter (addresses from probe reads) and the
 * raw_tp snapshot program (a socket address kept in a map: possibly freed since). */
#ifndef SOCKSCOPE_HELPERS_H
#define SOCKSCOPE_HELPERS_H

/* kfunc (Linux 6.2+; the verifier turns the call into a register move): the result is
 * an untrusted BTF pointer, so every field read through it is one load that the JIT
 * makes fault-safe (a bad address reads as 0), instead of one bpf_probe_read_kernel call
 * per field as BPF_CORE_READ does (~25 ns each: most of a program's run time when it
 * read ~20 fields per call). */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;
#define kview(type, p) ((const type *)bpf_rdonly_cast((const void *)(p), bpf_core_type_id_kernel(type)))

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

/* A socket's cookie if one was made (the kernel makes it at the first bpf_get_socket_cookie
 * or SO_COOKIE, and never changes it), else 0: the caller then calls the helper, which
 * makes it. One load instead of a helper call per UDP datagram. */
static __always_inline __u64 sk_cookie_made(const struct sock *sk)
{
	return kview(struct sock, sk)->__sk_common.skc_cookie.counter;
}

static __always_inline __u32 sk_netns(const struct sock *sk)
{
	return kview(struct sock, sk)->__sk_common.skc_net.net->ns.inum;
}

/* The 16 bytes of a task's comm as two loads (the kernel keeps it NUL-padded, so this is
 * what bpf_get_current_comm copies, without the helper call). */
static __always_inline void comm_from_task(char *dst, const struct task_struct *t)
{
	((__u64 *)dst)[0] = *(const __u64 *)&t->comm[0];
	((__u64 *)dst)[1] = *(const __u64 *)&t->comm[8];
}

/* Owner = a task: the current one (owner_from_current) or one found by the start-up
 * iterator. Read from the task struct through kview: the same fields
 * bpf_get_current_pid_tgid, _uid_gid (the init namespace's ids: the kernel's own),
 * _cgroup_id and _comm return, in plain loads instead of four helper calls (about half of
 * the accept program's run time). `sk` may be NULL (netns 0). */
static __always_inline void owner_from_task(struct ss_owner *o, struct task_struct *task, const struct sock *sk)
{
	const struct task_struct *t = kview(struct task_struct, task);
	const struct cred *cred = t->cred;

	o->tgid = t->tgid;
	o->tid = t->pid;
	o->ppid = t->real_parent->tgid;
	o->uid = cred->uid.val;
	o->gid = cred->gid.val;
	o->cgroup_id = t->cgroups->dfl_cgrp->kn->id;
	o->netns = sk ? sk_netns(sk) : 0;
	comm_from_task(o->comm, t);
}

/* Owner = the current task (process context: connect, accept, sendmsg, recvmsg). */
static __always_inline void owner_from_current(struct ss_owner *o, const struct sock *sk)
{
	owner_from_task(o, bpf_get_current_task_btf(), sk);
}

/* Local and remote address/port of a socket, from the socket itself (also at close). */
static __always_inline void tuple_from_sk(struct ss_tuple *t, const struct sock *sk, __u8 proto)
{
	const struct sock_common *c = &kview(struct sock, sk)->__sk_common;
	__u16 family = c->skc_family;

	t->proto = proto;
	t->lport = c->skc_num;
	/* At TCP_CLOSE the tracepoint runs after inet_put_port() zeroed skc_num; the source
	 * port the socket sent from is still in inet_sport. */
	if (!t->lport)
		t->lport = bpf_ntohs(kview(struct inet_sock, sk)->inet_sport);
	t->rport = bpf_ntohs(c->skc_dport);
	if (family == AF_INET6) {
		__u32 *l = (__u32 *)t->laddr, *r = (__u32 *)t->raddr;

		t->family = AF_INET6;
		for (int i = 0; i < 4; i++) {
			l[i] = c->skc_v6_rcv_saddr.in6_u.u6_addr32[i];
			r[i] = c->skc_v6_daddr.in6_u.u6_addr32[i];
		}
	} else {
		t->family = AF_INET;
		*(__u32 *)t->laddr = c->skc_rcv_saddr;
		*(__u32 *)t->raddr = c->skc_daddr;
	}
}

/* The zero point of a TCP socket's counters: taken when the flow starts being counted. */
static __always_inline void tcp_baseline(struct ss_tcp_sock *v, const struct sock *sk)
{
	const struct tcp_sock *tp = kview(struct tcp_sock, sk);

	v->base_bytes_out = tp->bytes_sent - tp->bytes_retrans;
	v->base_bytes_received = tp->bytes_received;
	v->base_segs_out = tp->data_segs_out;
	v->base_segs_in = tp->data_segs_in;
	v->base_retrans = tp->total_retrans;
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
	const struct tcp_sock *tp = kview(struct tcp_sock, sk);
	__u64 out_once = tp->bytes_sent - tp->bytes_retrans;
	__u64 received = tp->bytes_received;
	__u64 sent = sub_floor0(out_once, v->base_bytes_out);

	if ((tp->inet_conn.icsk_inet.sk.__sk_common.skc_flags & (1UL << SS_SOCK_DONE)) && received > v->base_bytes_received)
		received--;

	out->bytes_sent = sent;
	out->bytes_received = sub_floor0(received, v->base_bytes_received);
	out->packets_sent = sub_floor0(tp->data_segs_out, v->base_segs_out);
	out->packets_received = sub_floor0(tp->data_segs_in, v->base_segs_in);
	out->retransmits = sub_floor0(tp->total_retrans, v->base_retrans);
	out->srtt_us = tp->srtt_us >> 3;
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
