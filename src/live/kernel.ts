// Brings the capture object up in the kernel: open -> size the maps -> load -> attach
// every hook of src/loader/hooks.ts. Core hooks (TCP lifecycle and ownership) must
// attach or capture fails with the loader's typed error; optional hooks (UDP, process
// lifecycle) that fail are reported as warnings and capture goes on without them.
import { BpfObject } from '../loader';
import { HOOKS, OPTIONAL_PROGS, SIZABLE_MAPS } from '../loader/hooks';
import { cgroup2MountPoint, readMountinfo } from '../loader/mountinfo';
import { BPF_OBJECT_PATH } from '../assets';
import { NotSupportedError } from '../errors';
import { QuietLoadFailure } from '../loader/failures';

export interface CaptureSizes {
  /** Ring buffer bytes (power of two, >= page size). Default 16 MiB. */
  ringBytes?: number;
  /** Overflow ring bytes (power of two, >= page size). Default 16 MiB. */
  spillBytes?: number;
  /** Max TCP sockets followed at once. Default 262144 (the object's max_entries). */
  tcpEntries?: number;
  /** Max UDP (socket, peer) flows (and UDP sockets with flows) at once. Default 131072. */
  udpEntries?: number;
}

export interface KernelCapture {
  obj: BpfObject;
  /** Programs attached (or runnable), in HOOKS order. */
  hooks: string[];
  /** One line per optional hook that could not attach. */
  warnings: string[];
  cgroupRoot: string | null;
}

export function openKernelCapture(objectPath = BPF_OBJECT_PATH, sizes: CaptureSizes = {}): KernelCapture {
  const obj = openSized(objectPath, sizes);
  try {
    obj.load();
    return attachAll(obj);
  } catch (err) {
    obj.close();
    throw err;
  }
}

/**
 * As openKernelCapture, with the programs verified on a worker thread: the caller's main
 * thread is free for about 0.2 s meanwhile (the TUI imports its modules then). A failed load
 * is done again in the foreground with libbpf's log on, for the error that explains it.
 */
export async function openKernelCaptureOffThread(objectPath = BPF_OBJECT_PATH, sizes: CaptureSizes = {}): Promise<KernelCapture> {
  // SOCKSCOPE_LIBBPF_DEBUG asks for libbpf's whole log, which only a load in the foreground has.
  if (process.env.SOCKSCOPE_LIBBPF_DEBUG) return openKernelCapture(objectPath, sizes);
  const obj = openSized(objectPath, sizes);
  try {
    await obj.loadOffThread();
  } catch (err) {
    obj.close();
    if (err instanceof QuietLoadFailure) return openKernelCapture(objectPath, sizes);
    throw err;
  }
  try {
    return attachAll(obj);
  } catch (err) {
    obj.close();
    throw err;
  }
}

function openSized(objectPath: string, sizes: CaptureSizes): BpfObject {
  const obj = BpfObject.open(objectPath);
  try {
    if (sizes.ringBytes) obj.setMapMaxEntries(SIZABLE_MAPS.ring, sizes.ringBytes);
    if (sizes.spillBytes) obj.setMapMaxEntries(SIZABLE_MAPS.spill, sizes.spillBytes);
    if (sizes.tcpEntries) obj.setMapMaxEntries(SIZABLE_MAPS.tcp, sizes.tcpEntries);
    if (sizes.udpEntries) {
      obj.setMapMaxEntries(SIZABLE_MAPS.udp, sizes.udpEntries);
      obj.setMapMaxEntries(SIZABLE_MAPS.udpSockets, sizes.udpEntries);
    }
    return obj;
  } catch (err) {
    obj.close();
    throw err;
  }
}

/** Attaches every hook of a loaded object: a core hook's failure throws, an optional one's
 * is a warning. */
function attachAll(obj: BpfObject): KernelCapture {
  const cgroupRoot = cgroup2MountPoint(readMountinfo());
  const hooks: string[] = [];
  const warnings: string[] = [];
  for (const h of HOOKS) {
    try {
      if (h.kind === 'tp_btf' || h.kind === 'tp') obj.attach(h.prog);
      else if (h.kind === 'cgroup') {
        if (!cgroupRoot) throw new NotSupportedError(`no cgroup v2 mount: cannot attach ${h.target}`);
        obj.attachCgroup(h.prog, cgroupRoot);
      }
      hooks.push(h.prog);
    } catch (err) {
      if (!OPTIONAL_PROGS.has(h.prog)) throw err;
      warnings.push(`${h.target} unavailable (${h.why} will be missing): ${(err as Error).message}`);
    }
  }
  return { obj, hooks, warnings, cgroupRoot };
}
