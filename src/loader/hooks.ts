// The kernel hooks sockscope's BPF program uses: the one list `sockscope doctor` checks.
// The bpf engineer owns this list's contents; keep it in step with bpf/sockscope.bpf.c.

export interface TracepointUse {
  /** "category:name", as in /sys/kernel/tracing/events/<category>/<name>. */
  name: string;
  /** How the program attaches: tp_btf needs btf_trace_<name> in vmlinux BTF, tp needs tracefs. */
  via: 'tp_btf' | 'tp' | 'raw_tp';
  /** Without it sockscope still runs, with less detail (doctor says what is lost). */
  optional?: boolean;
  why: string;
}

export const TRACEPOINTS: TracepointUse[] = [
  { name: 'sock:inet_sock_set_state', via: 'tp_btf', why: 'TCP connection lifecycle' },
  { name: 'sock:sock_send_length', via: 'tp_btf', optional: true, why: 'UDP bytes sent' },
  { name: 'sock:sock_recv_length', via: 'tp_btf', optional: true, why: 'UDP bytes received' },
  { name: 'tcp:tcp_retransmit_skb', via: 'tp_btf', optional: true, why: 'TCP retransmissions' },
  { name: 'tcp:tcp_destroy_sock', via: 'tp_btf', why: 'TCP close with final counters' },
  { name: 'tcp:tcp_receive_reset', via: 'tp_btf', optional: true, why: 'connection resets' },
  { name: 'sched:sched_process_exec', via: 'tp_btf', why: 'process exec' },
  { name: 'sched:sched_process_fork', via: 'tp_btf', why: 'process fork' },
  { name: 'sched:sched_process_exit', via: 'tp_btf', why: 'process exit' },
  { name: 'syscalls:sys_exit_accept4', via: 'tp', why: 'inbound TCP owner (accept4)' },
  { name: 'syscalls:sys_exit_accept', via: 'tp', why: 'inbound TCP owner (accept)' },
];
