// The enricher: sits between decode and the recording tap, and turns the ids the kernel
// captured into facts (ProcessFact, UserFact, GroupFact, CgroupFact, ContainerNameFact)
// inserted into the event stream right before the first event that needs them. Facts go
// into the stream, not into a side table, so that a recording carries them and replay
// needs no /proc, no /etc and no container runtime.
//
// observe() never blocks: it reads small /proc, /etc and cgroupfs entries synchronously,
// behind caches. The one slow source, the container runtime's API, is asked
// asynchronously; its answers are queued and come out at the start of the next observe().
import type { AppEvent, Container, Owner } from '../events/types';
import { recordOwnerAt, runBytes, runOwnerRecords, walkKernelRecords, type KernelRecordsEvent, type RecordedEvent } from '../events/kernel-records';
import { REC } from '../events/layout';
import { CgroupResolver, findCgroup2Mount } from './cgroups';
import { containerFromCgroupPath } from './containers';
import { ProcessTable } from './process';
import { detectRuntimeSocket, RuntimeApiClient } from './runtime-api';
import { UserDb } from './users';

export interface EnricherOptions {
  /** Where /proc is (fixture trees in tests). Default "/proc". */
  procRoot?: string;
  /** Where passwd and group are. Default "/etc". */
  etcRoot?: string;
  /** The cgroup v2 mount point; undefined: found in PROC/self/mountinfo; null: no cgroup
   * resolution at all. */
  cgroupRoot?: string | null;
  /** The Docker-compatible API socket; undefined: detected; null: no name lookups. */
  runtimeSocket?: string | null;
  /** Millisecond clock for caches and rate limits (not for facts: those take event time). */
  now?: () => number;
  /** How long a process's facts outlive it, in event-time ns. Default 10 s. */
  processGraceNs?: number;
}

export interface Enricher {
  /** Returns the batch with facts inserted; also empties the queue of late answers, so
   * calling it with an empty batch collects them. A batch of AppEvents gives AppEvents. */
  observe(batch: AppEvent[]): AppEvent[];
  observe(batch: RecordedEvent[]): RecordedEvent[];
  /** Resolves when no runtime lookup is pending (tests, orderly shutdown). */
  idle(): Promise<void>;
  close(): void;
}

/** How often, and how many times, a cgroup id that was not in the tree is looked for
 * again without a new event asking for it (a container started after the last walk). */
const UNRESOLVED_RETRIES = 5;
const MAX_UNRESOLVED = 1024;
/** Bounds on "already emitted" memory; forgetting only means emitting a fact again. */
const MAX_EMITTED = 65_536;

function boundedSet<K, V>(map: Map<K, V>, key: K, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > MAX_EMITTED) map.delete(map.keys().next().value as K);
}

export function createEnricher(opts: EnricherOptions = {}): Enricher {
  const procRoot = opts.procRoot ?? '/proc';
  const now = opts.now ?? (() => performance.now());
  const processes = new ProcessTable({ procRoot, graceNs: opts.processGraceNs });
  const users = new UserDb({ etcRoot: opts.etcRoot ?? '/etc', now });
  const cgroupMount = opts.cgroupRoot === undefined ? findCgroup2Mount(procRoot) : opts.cgroupRoot;
  const cgroups = cgroupMount === null ? null : new CgroupResolver({ mountPoint: cgroupMount, now });
  const socket = opts.runtimeSocket === undefined ? detectRuntimeSocket() : opts.runtimeSocket;

  const emittedProcess = new Map<number, string>(); // pid -> details key
  const emittedUser = new Map<number, string | null>();
  const emittedGroup = new Map<number, string | null>();
  const emittedCgroup = new Map<number, string | null>(); // id -> path
  const emittedName = new Map<string, string | null>(); // container id -> name
  const unresolved = new Map<number, number>(); // cgroup id -> retries left
  const late: AppEvent[] = []; // answers that arrived between observe() calls

  const api =
    socket === null
      ? null
      : new RuntimeApiClient({
          socketPath: socket,
          now,
          onAnswer: (id, name) => {
            // A name nobody has shown yet, or a rename. "No answer" never overwrites one.
            if (name === null || emittedName.get(id) === name) return;
            boundedSet(emittedName, id, name);
            late.push({ type: 'container-name', id, name });
          },
        });

  /** Container from the path, with the name when the runtime already told it. */
  function containerOf(path: string | null): Container | null {
    const container = path === null ? null : containerFromCgroupPath(path);
    if (container && api && (container.runtime === 'docker' || container.runtime === 'podman')) {
      const name = api.cached(container.id);
      if (typeof name === 'string') container.name = name;
      else api.want(container.id);
    }
    return container;
  }

  function cgroupFact(cgroupId: number, out: RecordedEvent[]): void {
    if (cgroups === null || cgroupId === 0) return;
    const path = cgroups.resolve(cgroupId);
    if (path === null && !unresolved.has(cgroupId) && !emittedCgroup.has(cgroupId) && unresolved.size < MAX_UNRESOLVED) {
      unresolved.set(cgroupId, UNRESOLVED_RETRIES);
    }
    const container = containerOf(path);
    if (emittedCgroup.has(cgroupId) && emittedCgroup.get(cgroupId) === path) return;
    boundedSet(emittedCgroup, cgroupId, path);
    if (container && container.name !== null) boundedSet(emittedName, container.id, container.name);
    out.push({ type: 'cgroup', cgroupId, path, container });
  }

  function ownerFacts(owner: Pick<Owner, 'pid' | 'ppid' | 'uid' | 'gid' | 'cgroupId'>, ts: number, out: RecordedEvent[]): void {
    if (owner.pid > 0) {
      const details = processes.lookup(owner.pid, ts, owner.ppid);
      const key = `${details.ppid}\0${details.exe}\0${details.cmdline}`;
      if (emittedProcess.get(owner.pid) !== key) {
        boundedSet(emittedProcess, owner.pid, key);
        out.push({ type: 'process', ts, pid: owner.pid, ...details });
      }
    }
    const user = users.userName(owner.uid);
    if (!emittedUser.has(owner.uid) || emittedUser.get(owner.uid) !== user) {
      boundedSet(emittedUser, owner.uid, user);
      out.push({ type: 'user', uid: owner.uid, name: user });
    }
    const group = users.groupName(owner.gid);
    if (!emittedGroup.has(owner.gid) || emittedGroup.get(owner.gid) !== group) {
      boundedSet(emittedGroup, owner.gid, group);
      out.push({ type: 'group', gid: owner.gid, name: group });
    }
    cgroupFact(owner.cgroupId, out);
  }

  /** Owners whose facts were looked at since the last tick, by pid: under connection
   * churn one server process owns thousands of flows a second, and one look per interval
   * is enough. Cleared at every tick (so /etc and cgroup changes still show within an
   * interval) and for a pid at its exec, fork or exit (new facts). */
  const looked = new Map<number, { uid: number; gid: number; cgroupId: number }>();

  function ownerFactsOnce(owner: Pick<Owner, 'pid' | 'ppid' | 'uid' | 'gid' | 'cgroupId'>, ts: number, out: RecordedEvent[]): void {
    const l = looked.get(owner.pid);
    if (l !== undefined && l.uid === owner.uid && l.gid === owner.gid && l.cgroupId === owner.cgroupId) return;
    ownerFacts(owner, ts, out);
    looked.set(owner.pid, { uid: owner.uid, gid: owner.gid, cgroupId: owner.cgroupId });
  }

  /** The facts of every opening record in a run, before the run: the collector noted
   * which records bring an owner not seen just before (one walk, while copying), else
   * (a run read from a file) every record is looked at. */
  function runFacts(ev: KernelRecordsEvent, out: RecordedEvent[]): void {
    const b = runBytes(ev);
    const noted = runOwnerRecords(ev);
    if (noted !== null) {
      for (let i = 0; i < noted.length; i++) recordFacts(b, noted[i], out);
      return;
    }
    walkKernelRecords(b, (type, offset) => {
      if (type === REC.FLOW_OPEN || type === REC.FLOW_BRIEF || type === REC.CONNECT_FAIL) recordFacts(b, offset, out);
    });
  }

  /** The owner of the record being looked at: one object for every record (ownerFactsOnce
   * keeps none of it). */
  const runOwner = { pid: -1, ppid: -1, uid: -1, gid: -1, cgroupId: -1 };

  /** ownerFactsOnce() of the opening record at `offset` in `b`, read in place. */
  function recordFacts(b: Buffer, offset: number, out: RecordedEvent[]): void {
    const o = recordOwnerAt.base(offset);
    runOwner.pid = recordOwnerAt.pid(b, o);
    runOwner.ppid = recordOwnerAt.ppid(b, o);
    runOwner.uid = recordOwnerAt.uid(b, o);
    runOwner.gid = recordOwnerAt.gid(b, o);
    runOwner.cgroupId = recordOwnerAt.cgroupId(b, o);
    ownerFactsOnce(runOwner, recordOwnerAt.ts(b, offset), out);
  }

  /** Cgroups that were missing from the tree get a few more chances (each try is
   * rate-limited by the resolver), so a lone flow of a new container still gets a path. */
  function retryUnresolved(out: RecordedEvent[]): void {
    for (const [id, left] of unresolved) {
      if (cgroups!.resolve(id) !== null) {
        unresolved.delete(id);
        cgroupFact(id, out);
      } else if (left <= 1) unresolved.delete(id);
      else unresolved.set(id, left - 1);
    }
  }

  return {
    observe: ((batch: RecordedEvent[]): RecordedEvent[] => {
      const out: RecordedEvent[] = late.splice(0);
      if (unresolved.size > 0) retryUnresolved(out);
      for (const ev of batch) {
        switch (ev.type) {
          case 'proc-exec':
            processes.onExec(ev);
            looked.delete(ev.pid);
            break;
          case 'proc-fork':
            processes.onFork(ev);
            looked.delete(ev.pid);
            break;
          case 'proc-exit':
            processes.onExit(ev);
            looked.delete(ev.pid);
            break;
          case 'flow-open':
          case 'flow-owner':
          case 'connect-fail':
            ownerFactsOnce(ev.owner, ev.ts, out);
            break;
          case 'kernel-records':
            runFacts(ev, out);
            break;
          case 'tick':
            processes.sweep(ev.ts);
            looked.clear();
            break;
          case 'cgroup':
            // The live source's facts from cgroup creation (the kernel's path, so a
            // cgroup removed before any walk still resolves): learned here, and emitted
            // like any other cgroup fact only when a flow needs it.
            if (cgroups !== null && ev.path !== null) {
              cgroups.learn(ev.cgroupId, ev.path);
              continue;
            }
            break;
        }
        out.push(ev);
      }
      return out;
    }) as Enricher['observe'],
    idle: () => api?.idle() ?? Promise.resolve(),
    close() {
      api?.close();
    },
  };
}
