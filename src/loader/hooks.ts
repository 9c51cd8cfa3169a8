// The BPF programs of bpf/sockscope.bpf.c and where each one attaches: the live source
// attaches from this list, `sockscope doctor` checks each tracepoint it names. One list,
// so the two can never disagree.

export type HookKind =
  | 'tp_btf' // BTF-typed raw tracepoint: bpf_program__attach
  | 'tp' // classic tracepoint (needs tracefs): bpf_program__attach
  | 'cgroup' // cgroup v2 root: bpf_program__attach_cgroup
  | 'test_run' // not attached: run on demand with BPF_PROG_TEST_RUN
  | 'iter'; // not attached: run on demand as a BPF iterator

export interface Hook {
  /** Program name in the object. */
  prog: string;
  kind: HookKind;
  /** Tracepoint `category/name` (tp_btf/tp), cgroup attach point, or what runs it. */
  target: string;
  /** What sockscope loses without it. */
  why: string;
}

export const HOOKS: readonly Hook[] = [
  { prog: 'on_inet_sock_set_state', kind: 'tp_btf', target: 'sock/inet_sock_set_state', why: 'TCP lifecycle: owner at connect, connect latency, failures, close with final counters' },
  // After on_inet_sock_set_state, always: it takes over the state changes that one missed
  // (bpf/sockscope.bpf.c, taken_change).
  { prog: 'on_inet_sock_set_state_nested', kind: 'tp_btf', target: 'sock/inet_sock_set_state', why: 'TCP state changes in a softirq that interrupted the program above on the same CPU, which the kernel skips for it' },
  { prog: 'on_tcp_destroy_sock', kind: 'tp_btf', target: 'tcp/tcp_destroy_sock', why: 'close of a TCP socket that skipped TCP_CLOSE' },
  { prog: 'on_sock_send_length', kind: 'tp_btf', target: 'sock/sock_send_length', why: 'owner of inbound TCP connections (the first task that sends or receives); UDP bytes/datagrams sent per peer' },
  { prog: 'on_sock_recv_length', kind: 'tp_btf', target: 'sock/sock_recv_length', why: 'owner of inbound TCP connections (the first task that sends or receives); UDP bytes/datagrams received per peer' },
  { prog: 'on_sendmsg4', kind: 'cgroup', target: 'cgroup/sendmsg4', why: 'peer of unconnected UDP/IPv4 sends' },
  { prog: 'on_sendmsg6', kind: 'cgroup', target: 'cgroup/sendmsg6', why: 'peer of unconnected UDP/IPv6 sends' },
  { prog: 'on_recvmsg4', kind: 'cgroup', target: 'cgroup/recvmsg4', why: 'peer of unconnected UDP/IPv4 receives' },
  { prog: 'on_recvmsg6', kind: 'cgroup', target: 'cgroup/recvmsg6', why: 'peer of unconnected UDP/IPv6 receives' },
  { prog: 'on_sock_release', kind: 'cgroup', target: 'cgroup/sock_release', why: 'owner of inbound TCP connections closed without I/O (the closing task); close of UDP flows' },
  { prog: 'on_exec', kind: 'tp_btf', target: 'sched/sched_process_exec', why: 'exe and command line of processes that exit quickly' },
  { prog: 'on_fork', kind: 'tp_btf', target: 'sched/sched_process_fork', why: 'parent of new processes' },
  { prog: 'on_exit', kind: 'tp_btf', target: 'sched/sched_process_exit', why: 'process exit times' },
  { prog: 'on_cgroup_mkdir', kind: 'tp_btf', target: 'cgroup/cgroup_mkdir', why: 'cgroup path (and container) of containers that are gone within a second' },
  { prog: 'snapshot', kind: 'test_run', target: 'each interval', why: 'TCP bytes, packets, retransmits and RTT of open connections' },
  { prog: 'list_sockets', kind: 'iter', target: 'iter/task_file', why: 'connections that exist when capture starts' },
];

/** How doctor (src/loader/probe.ts) sees a tracepoint the hooks use. */
export interface TracepointUse {
  /** "category:name", as in /sys/kernel/tracing/events/<category>/<name>. */
  name: string;
  /** How the program attaches: tp_btf needs btf_trace_<name> in vmlinux BTF, tp needs tracefs. */
  via: 'tp_btf' | 'tp' | 'raw_tp';
  /** Without it sockscope still runs, with less detail (doctor says what is lost). */
  optional?: boolean;
  why: string;
}

/** Hooks the live source can run without (it warns and goes on): UDP peers and
 * process lifecycle add detail; TCP lifecycle and ownership are the core (the send/recv
 * tracepoints and sock_release name the owner of inbound TCP connections). */
export const OPTIONAL_PROGS = new Set([
  'on_sendmsg4', 'on_sendmsg6', 'on_recvmsg4', 'on_recvmsg6',
  'on_exec', 'on_fork', 'on_exit', 'on_cgroup_mkdir', 'on_tcp_destroy_sock', 'list_sockets',
  'on_inet_sock_set_state_nested',
]);

/** The tracepoints of HOOKS, for feature probing (doctor): each once, as its first hook uses it. */
export const TRACEPOINTS: TracepointUse[] = HOOKS.filter((h, i) => (h.kind === 'tp_btf' || h.kind === 'tp') && HOOKS.findIndex((o) => o.target === h.target) === i).map((h) => ({
  name: h.target.replace('/', ':'),
  via: h.kind as 'tp_btf' | 'tp',
  ...(OPTIONAL_PROGS.has(h.prog) ? { optional: true } : {}),
  why: h.why,
}));

/** Map names whose size the loader may change (setMapMaxEntries) before load. */
export const SIZABLE_MAPS = { ring: 'events', spill: 'events_spill', tcp: 'tcp_socks', udp: 'udp_flows', udpSockets: 'udp_socks' } as const;

/** The overflow ring and its switch (bpf/sockscope.bpf.c, reserve()). */
export const SPILL = { ring: 'events_spill', mode: 'spill_mode' } as const;
