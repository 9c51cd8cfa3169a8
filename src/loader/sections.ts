// What a program's ELF section name says about where it attaches, in words a user can act
// on ("tracepoint sock:inet_sock_set_state"). Pure, unit-tested.

export interface HookDescription {
  kind: 'tp' | 'tp_btf' | 'raw_tp' | 'cgroup' | 'other';
  /** Classic tracepoints: "sock" of sock:inet_sock_set_state. */
  category?: string;
  /** The tracepoint name (tp, tp_btf, raw_tp). */
  event?: string;
  label: string;
}

export function describeHook(section: string): HookDescription {
  const [prefix, ...rest] = section.split('/');
  if ((prefix === 'tp' || prefix === 'tracepoint') && rest.length >= 2) {
    return { kind: 'tp', category: rest[0], event: rest[1], label: `tracepoint ${rest[0]}:${rest[1]}` };
  }
  if (prefix === 'tp_btf' && rest.length >= 1) {
    return { kind: 'tp_btf', event: rest[0], label: `BTF tracepoint ${rest[0]}` };
  }
  if ((prefix === 'raw_tp' || prefix === 'raw_tracepoint' || prefix === 'raw_tp.w' || prefix === 'raw_tracepoint.w') && rest.length >= 1) {
    return { kind: 'raw_tp', event: rest[0], label: `raw tracepoint ${rest[0]}` };
  }
  if (prefix.startsWith('cgroup') || prefix === 'sockops' || prefix === 'sk_msg') {
    return { kind: 'cgroup', label: `cgroup hook ${section}` };
  }
  return { kind: 'other', label: `section ${section}` };
}
