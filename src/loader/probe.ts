// What this kernel, this libbpf and this user can do, for `sockscope doctor` and for the
// one-line explanation when live capture is impossible. Probes read files and BTF only
// (no BPF object is loaded); the ring buffer check creates one tiny map when privileged.
// Results are cached for the life of the process.
// It runs on every live start, so it avoids parsing the kernel's BTF (5 MB, ~16 ms; the
// load parses it again anyway): a tracepoint that tracefs lists exists, and a BTF kernel
// has its btf_trace_ typedef; the BTF is parsed only for what tracefs cannot settle (a
// tracepoint it does not list, tracefs unreadable, the unprivileged ring buffer check).
import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import { release, machine } from 'node:os';
import { SockscopeError } from '../errors';
import { libbpf, type Ptr } from './libbpf';
import { captureLibbpfLog } from './libbpf-log';
import { BTF_KIND } from './btf';
import { CAPS, bpfPrivileges, ownCapEff, type CapName } from './caps';
import { cgroup2MountPoint, readMountinfo, tracefsMountPoints } from './mountinfo';
import { TRACEPOINTS, type TracepointUse } from './hooks';
import { TRACEFS, tracefsEventsDir } from './tracefs';
import { kernelBtfOverridden, kernelBtfPath } from './env';

/** Oldest kernel with everything sockscope relies on (BPF ring buffer: 5.8). */
export const MIN_KERNEL: [number, number] = [5, 8];

export interface Check {
  ok: boolean;
  detail: string;
}

export interface TracepointCheck extends Check {
  name: string;
  via: TracepointUse['via'];
  optional: boolean;
  why: string;
}

export interface ProbeReport {
  kernel: Check & { release: string; tooOld: boolean };
  btf: Check;
  ringBuffer: Check;
  tracepoints: TracepointCheck[];
  privileges: Check & {
    euid: number | null;
    capEff: string;
    caps: Record<CapName, boolean>;
    canTrace: boolean;
    canAttachCgroup: boolean;
    missing: CapName[];
  };
  libbpf: Check & { version: string | null };
  cgroup2: Check & { mountPoint: string | null };
  tracefs: Check & { mountPoint: string | null; mountable: boolean };
}

let cached: ProbeReport | null = null;

export function probe(fresh = false): ProbeReport {
  if (cached && !fresh) return cached;
  cached = gather();
  return cached;
}

/** "6.18.0-1-amd64" -> [6, 18] */
export function parseKernelRelease(rel: string): [number, number] | null {
  const m = /^(\d+)\.(\d+)/.exec(rel);
  return m ? [Number(m[1]), Number(m[2])] : null;
}

export function kernelTooOld(rel: string, min: [number, number] = MIN_KERNEL): boolean {
  const v = parseKernelRelease(rel);
  if (!v) return false;
  return v[0] < min[0] || (v[0] === min[0] && v[1] < min[1]);
}

function gather(): ProbeReport {
  const rel = release();
  const tooOld = kernelTooOld(rel);
  const kernel = {
    ok: !tooOld,
    release: rel,
    tooOld,
    detail: tooOld ? `${rel} is older than ${MIN_KERNEL.join('.')} (no BPF ring buffer)` : `${rel} (${machine()})`,
  };

  const mask = ownCapEff();
  const p = bpfPrivileges(mask);
  const euid = typeof process.geteuid === 'function' ? process.geteuid() : null;
  const held = (Object.keys(CAPS) as CapName[]).filter((c) => p.caps[c]);
  const privileges = {
    ok: p.canTrace,
    euid,
    capEff: mask.toString(16).padStart(16, '0'),
    caps: p.caps,
    canTrace: p.canTrace,
    canAttachCgroup: p.canAttachCgroup,
    missing: p.missing,
    detail: `${euid === 0 ? 'root' : `uid ${euid}`}; ${held.length ? held.join(' ') : 'no BPF capabilities'}${p.canTrace ? '' : ` (needs root or ${p.missing.join(' + ')})`}`,
  };

  const mounts = readMountinfo();
  const cg = cgroup2MountPoint(mounts);
  const cgroup2 = { ok: cg !== null, mountPoint: cg, detail: cg ?? 'no cgroup2 mount in /proc/self/mountinfo (container attribution and cgroup hooks unavailable)' };

  const tfMount = tracefsMountPoints(mounts)[0] ?? null;
  const eventsDir = tracefsEventsDir();
  const fsKnown = readText('/proc/filesystems').includes('\ttracefs');
  const mountable = eventsDir === null && euid === 0 && fsKnown && existsSync(TRACEFS);
  const rootOnly = eventsDir === null && tfMount !== null;
  const tracefs = {
    ok: eventsDir !== null || mountable || rootOnly,
    mountPoint: tfMount,
    mountable,
    detail: eventsDir !== null
      ? (tfMount ?? eventsDir.replace(/\/events$/, ''))
      : rootOnly
        ? `${tfMount} (readable by root only)`
        : mountable
        ? `not mounted; sockscope mounts it at ${TRACEFS} when it starts`
        : `not mounted${fsKnown ? '' : ' and this kernel has no tracefs'}${euid === 0 ? '' : '; root can mount it (mount -t tracefs nodev /sys/kernel/tracing)'}`,
  };

  let libbpfCheck: ProbeReport['libbpf'];
  let bindingsOk = false;
  try {
    const { bpf } = libbpf();
    captureLibbpfLog(); // btf__parse below must not print to the terminal
    const version = `${bpf.libbpf_major_version()}.${bpf.libbpf_minor_version()}`;
    const old = bpf.libbpf_major_version() < 1 || (bpf.libbpf_major_version() === 1 && bpf.libbpf_minor_version() < 1);
    const file = libbpf().libbpfPath;
    libbpfCheck = { ok: !old, version, detail: old ? `${version} is older than 1.1 (${file})` : `${version} (${file})` };
    bindingsOk = true;
  } catch (err) {
    libbpfCheck = { ok: false, version: null, detail: err instanceof SockscopeError ? err.message : String(err) };
  }

  const btfPath = kernelBtfPath();
  const from = kernelBtfOverridden() ? ' (from SOCKSCOPE_BTF)' : '';
  const hasBtf = existsSync(btfPath);
  // Parsed on first need only (see the top of this file); freed before returning.
  let parsed: Ptr | null | undefined;
  const vmlinux: KernelBtf = () => {
    if (parsed === undefined) parsed = hasBtf && bindingsOk ? libbpf().bpf.btf__parse(btfPath, null) : null;
    return parsed;
  };
  try {
    // The header's magic, not a full parse: a file that is BTF but damaged fails the load,
    // whose error names it.
    const readable = hasBtf && hasBtfMagic(btfPath);
    const btf = !hasBtf
      ? { ok: false, detail: from ? `${btfPath}${from} does not exist` : `${btfPath} is missing (kernel built without CONFIG_DEBUG_INFO_BTF)` }
      : !readable
        ? { ok: false, detail: `${btfPath}${from} is not readable BTF` }
        : { ok: true, detail: `${btfPath}${from}` };
    const ringBuffer = probeRingBuffer(kernel.tooOld, p.canTrace, bindingsOk, readable ? vmlinux : noBtf);
    const tracepoints = TRACEPOINTS.map((tp) => checkTracepoint(tp, readable ? vmlinux : noBtf, hasBtf));
    return { kernel, btf, ringBuffer, tracepoints, privileges, libbpf: libbpfCheck, cgroup2, tracefs };
  } finally {
    if (parsed) libbpf().bpf.btf__free(parsed);
  }
}

/** The kernel's BTF, parsed on the first call (null: none, or unreadable). */
type KernelBtf = () => Ptr | null;
const noBtf: KernelBtf = () => null;

const BTF_MAGIC = 0xeb9f;

/** True when `path` starts with the BTF magic (either byte order). */
function hasBtfMagic(path: string): boolean {
  let fd: number | null = null;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.alloc(2);
    if (readSync(fd, head, 0, 2, 0) !== 2) return false;
    return head.readUInt16LE(0) === BTF_MAGIC || head.readUInt16BE(0) === BTF_MAGIC;
  } catch {
    return false;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

const BPF_MAP_TYPE_RINGBUF = 27;

function probeRingBuffer(tooOld: boolean, privileged: boolean, bindingsOk: boolean, kernelBtf: KernelBtf): Check {
  if (bindingsOk && privileged) {
    // Creates and frees a tiny ring buffer map: the only definitive answer.
    const r = libbpf().bpf.libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, null);
    if (r === 1) return { ok: true, detail: 'BPF_MAP_TYPE_RINGBUF (probed)' };
    if (r === 0) return { ok: false, detail: 'this kernel cannot create a BPF_MAP_TYPE_RINGBUF map (needs 5.8+)' };
  }
  // Unprivileged: the kernel's own BTF tells whether it was built with ring buffer code.
  const vmlinux = kernelBtf();
  if (vmlinux !== null) {
    const has = libbpf().bpf.btf__find_by_name_kind(vmlinux, 'bpf_ringbuf', BTF_KIND.STRUCT) > 0;
    return has
      ? { ok: true, detail: 'BPF_MAP_TYPE_RINGBUF (from kernel BTF)' }
      : { ok: false, detail: 'this kernel has no BPF ring buffer (needs 5.8+)' };
  }
  return tooOld ? { ok: false, detail: 'kernel too old for the BPF ring buffer (needs 5.8+)' } : { ok: false, detail: 'unknown: no BTF and no privileges to probe' };
}

function checkTracepoint(tp: TracepointUse, kernelBtf: KernelBtf, hasBtf: boolean): TracepointCheck {
  const [category, event] = tp.name.split(':');
  const base = { name: tp.name, via: tp.via, optional: tp.optional ?? false, why: tp.why };
  if (tp.via === 'tp_btf' || tp.via === 'raw_tp') {
    // tp_btf resolves the typedef btf_trace_<event> in vmlinux BTF at load time; a kernel
    // with BTF has one for every tracepoint it defines, and tracefs lists those (a file
    // check instead of parsing the BTF). Not listed: ask the BTF itself.
    const dir = kernelBtf !== noBtf ? tracefsEventsDir() : null;
    if (dir !== null && existsSync(`${dir}/${category}/${event}`)) return { ...base, ok: true, detail: `${tp.via}, ${tp.why}` };
    const vmlinux = kernelBtf();
    if (vmlinux === null) return { ...base, ok: false, detail: hasBtf ? 'cannot read kernel BTF' : 'needs kernel BTF' };
    const ok = libbpf().bpf.btf__find_by_name_kind(vmlinux, `btf_trace_${event}`, BTF_KIND.TYPEDEF) > 0;
    return { ...base, ok, detail: ok ? `${tp.via}, ${tp.why}` : `no btf_trace_${event} in kernel BTF (${tp.why} unavailable)` };
  }
  const dir = tracefsEventsDir();
  if (dir !== null) {
    const ok = existsSync(`${dir}/${category}/${event}`);
    return { ...base, ok, detail: ok ? `tp, ${tp.why}` : `not in ${dir} (${tp.why} unavailable)` };
  }
  // tracefs unreadable (not mounted, or root-only): infer from kernel BTF and symbols.
  const ok = inferTracepoint(category, event, kernelBtf());
  return {
    ...base,
    ok,
    detail: ok ? `tp (inferred: tracefs is not readable here), ${tp.why}` : `not found in kernel BTF/symbols (${tp.why} unavailable)`,
  };
}

let kallsyms: Set<string> | null = null;

/**
 * Without tracefs: a syscall tracepoint exists when the kernel has syscall tracing
 * (struct syscall_trace_exit in its BTF) and the syscall itself; any other tracepoint
 * has a btf_trace_<event> typedef in vmlinux BTF.
 */
function inferTracepoint(category: string, event: string, vmlinux: Ptr | null): boolean {
  if (vmlinux === null) return false;
  const { bpf } = libbpf();
  if (category !== 'syscalls') return bpf.btf__find_by_name_kind(vmlinux, `btf_trace_${event}`, BTF_KIND.TYPEDEF) > 0;
  const m = /^sys_(enter|exit)_(.+)$/.exec(event);
  if (!m || bpf.btf__find_by_name_kind(vmlinux, `syscall_trace_${m[1]}`, BTF_KIND.STRUCT) <= 0) return false;
  if (!kallsyms) {
    kallsyms = new Set();
    for (const line of readText('/proc/kallsyms').split('\n')) {
      const name = line.split(' ')[2];
      if (name && name.includes('sys_')) kallsyms.add(name.split('\t')[0]);
    }
  }
  const sys = m[2];
  return [`__x64_sys_${sys}`, `__arm64_sys_${sys}`, `__se_sys_${sys}`, `sys_${sys}`, `__do_sys_${sys}`].some((n) => kallsyms!.has(n));
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
