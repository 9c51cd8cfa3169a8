// Linux capabilities of this process, from /proc/self/status (CapEff), and what they mean
// for BPF: on 5.8+ kernels CAP_BPF + CAP_PERFMON suffice to load tracing programs, older
// kernels (and a few operations) want CAP_SYS_ADMIN; attaching cgroup programs wants
// CAP_NET_ADMIN as well.
import { readFileSync } from 'node:fs';

export const CAPS = {
  CAP_NET_ADMIN: 12,
  CAP_SYS_ADMIN: 21,
  CAP_SYS_RESOURCE: 24,
  CAP_PERFMON: 38,
  CAP_BPF: 39,
} as const;
export type CapName = keyof typeof CAPS;

/** The CapEff mask from the text of /proc/<pid>/status; null when the line is absent. */
export function parseCapEff(statusText: string): bigint | null {
  const m = /^CapEff:\s*([0-9a-fA-F]+)\s*$/m.exec(statusText);
  return m ? BigInt(`0x${m[1]}`) : null;
}

export function hasCap(mask: bigint, cap: number): boolean {
  return ((mask >> BigInt(cap)) & 1n) === 1n;
}

export interface BpfPrivileges {
  /** Enough to load and attach tracing programs and read their maps. */
  canTrace: boolean;
  /** Enough to attach cgroup programs too. */
  canAttachCgroup: boolean;
  /** Capability names that would make `canTrace` true, empty when it already is. */
  missing: CapName[];
  caps: Record<CapName, boolean>;
}

export function bpfPrivileges(mask: bigint): BpfPrivileges {
  const caps = Object.fromEntries(
    Object.entries(CAPS).map(([name, bit]) => [name, hasCap(mask, bit)]),
  ) as Record<CapName, boolean>;
  const canTrace = caps.CAP_SYS_ADMIN || (caps.CAP_BPF && caps.CAP_PERFMON);
  const missing: CapName[] = canTrace
    ? []
    : (['CAP_BPF', 'CAP_PERFMON'] as CapName[]).filter((c) => !caps[c]);
  return { canTrace, canAttachCgroup: canTrace && (caps.CAP_NET_ADMIN || caps.CAP_SYS_ADMIN), missing, caps };
}

/** This process's effective capabilities (0 when /proc is unreadable: assume none). */
export function ownCapEff(): bigint {
  try {
    return parseCapEff(readFileSync('/proc/self/status', 'utf8')) ?? 0n;
  } catch {
    return 0n;
  }
}

export function ownBpfPrivileges(): BpfPrivileges {
  return bpfPrivileges(ownCapEff());
}

/** The one actionable line shown when privileges are missing. */
export function privilegeHint(p: BpfPrivileges): string {
  return `live capture needs root or the capabilities ${p.missing.join(' + ') || 'CAP_BPF + CAP_PERFMON'}: run it with sudo (or setcap cap_bpf,cap_perfmon,cap_net_admin+ep on the node binary), or replay a recording instead`;
}
