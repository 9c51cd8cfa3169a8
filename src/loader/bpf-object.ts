// One BPF object file through its life: open -> configure (rodata, map sizes, autoload)
// -> load -> attach -> read (ring buffers, maps, test runs) -> close. Each phase fails with
// its own typed error; every pointer libbpf returns is checked before it is used again;
// close() frees links, ring buffers and the object, and runs on process exit too.
import { existsSync, openSync, closeSync, readSync, constants as fsConstants } from 'node:fs';
import { NotSupportedError, PermissionError, RuntimeError } from '../errors';
import { libbpf, type Ptr, type TestRunOpts } from './libbpf';
import { captureLibbpfLog, logMark, logSince } from './libbpf-log';
import { ownBpfPrivileges, privilegeHint } from './caps';
import { attachFailure, errnoName, loadFailure, openFailure, QuietLoadFailure, runtimeFailure } from './failures';
import { datasecVars } from './btf';
import { BpfMap, BPF_MAP_TYPE } from './bpf-map';
import { RingReader, type RecordAtHandler, type RecordHandler, type RingReaderOptions } from './ring-reader';
import { viewing } from './ring-walk';
import { ensureTracefs, tracefsHasEvent } from './tracefs';
import { closeOnExit } from './shutdown';
import { describeHook, type HookDescription } from './sections';
import { kernelBtfOverridden, kernelBtfPath, VMLINUX_BTF } from './env';

/** RingReaderOptions with the overflow ring named: `ring` (a RINGBUF map) and `mode`, a
 * one-u32 array the kernel sets to 1 while it writes to `ring` (0 sends it back to the
 * main ring). */
export type ObjectRingOptions = Omit<RingReaderOptions, 'spill'> & { spill?: { ring: string; mode: string } };

export { VMLINUX_BTF };

type Phase = 'opened' | 'loading' | 'loaded' | 'closed';
export type RodataValue = number | bigint | boolean | Buffer;

interface Attachment {
  prog: string;
  target: string;
  link: Ptr;
}

export class BpfObject {
  private obj: Ptr | null;
  private phase: Phase = 'opened';
  /** close() came while a worker thread was loading the object: close once it is done. */
  private closeAfterLoad = false;
  private readonly links: Attachment[] = [];
  private readonly rings: RingReader[] = [];
  private readonly maps = new Map<string, BpfMap>();
  private readonly untrack: () => void;

  private constructor(
    readonly path: string,
    obj: Ptr,
  ) {
    this.obj = obj;
    this.untrack = closeOnExit(() => this.close());
  }

  /** Opens (parses) the object file. Needs no privileges; nothing reaches the kernel yet. */
  static open(objectPath: string): BpfObject {
    const b = libbpf();
    captureLibbpfLog();
    const what = `opening BPF object ${objectPath}`;
    if (!existsSync(objectPath)) {
      throw new RuntimeError(`${what} failed: the file does not exist (run npm run build:bpf, or reinstall sockscope)`);
    }
    const mark = logMark();
    // SOCKSCOPE_BTF: CO-RE relocations against that BTF instead of the kernel's own.
    const opts = kernelBtfOverridden()
      ? {
          sz: b.openOptsSize, object_name: null, relaxed_maps: false, pin_root_path: null, _unused: 0,
          kconfig: null, btf_custom_path: kernelBtfPath(), kernel_log_buf: null, kernel_log_size: 0, kernel_log_level: 0,
        }
      : null;
    const obj = b.bpf.bpf_object__open_file(objectPath, opts);
    if (obj === null) {
      throw openFailure({ what, err: b.errno(), privileges: ownBpfPrivileges(), log: logSince(mark) });
    }
    return new BpfObject(objectPath, obj);
  }

  get isLoaded(): boolean {
    return this.phase === 'loaded';
  }

  get isClosed(): boolean {
    return this.phase === 'closed';
  }

  /** Names of the programs in the object. */
  programNames(): string[] {
    const { bpf } = libbpf();
    const obj = this.handle();
    const out: string[] = [];
    for (let p = bpf.bpf_object__next_program(obj, null); p !== null; p = bpf.bpf_object__next_program(obj, p)) {
      out.push(bpf.bpf_program__name(p));
    }
    return out;
  }

  /** Names of the maps in the object, internal ones (.rodata, .bss...) included. */
  mapNames(): string[] {
    const { bpf } = libbpf();
    const obj = this.handle();
    const out: string[] = [];
    for (let m = bpf.bpf_object__next_map(obj, null); m !== null; m = bpf.bpf_object__next_map(obj, m)) {
      out.push(bpf.bpf_map__name(m));
    }
    return out;
  }

  /** The ELF section of a program (e.g. "tp_btf/sched_process_exec"). */
  programSection(progName: string): string {
    return libbpf().bpf.bpf_program__section_name(this.program(progName));
  }

  /** Sets `const volatile` globals (the .rodata section) between open and load. */
  setRodata(values: Record<string, RodataValue>): void {
    this.requirePhase('opened', 'setRodata');
    const { bpf } = libbpf();
    const obj = this.handle();
    const map = this.findInternalMap('.rodata');
    const btf = bpf.bpf_object__btf(obj);
    const vars = btf === null ? null : datasecVars(btf, '.rodata');
    if (map === null || vars === null) {
      throw new RuntimeError(`BPF object ${this.path} has no .rodata section: it declares no const volatile globals`);
    }
    const size: [number] = [0];
    const initial = bpf.bpf_map__initial_value(map, size);
    if (initial === null || size[0] <= 0) throw new RuntimeError(`BPF object ${this.path}: .rodata has no initial value`);
    const data = libbpf().readBytes(initial, size[0]);
    for (const [name, value] of Object.entries(values)) {
      const v = vars.get(name);
      if (!v) {
        throw new RuntimeError(
          `BPF object ${this.path} has no rodata variable '${name}' (it has: ${[...vars.keys()].join(', ') || 'none'}); is the object stale?`,
        );
      }
      writeScalar(data, v.offset, v.size, value, name);
    }
    const err = bpf.bpf_map__set_initial_value(map, data, data.length);
    if (err < 0) throw runtimeFailure(`setting .rodata of ${this.path}`, err);
  }

  /** Resizes a map between open and load (e.g. the flow table from a --max-flows flag). */
  setMapMaxEntries(mapName: string, n: number): void {
    this.requirePhase('opened', 'setMapMaxEntries');
    if (!Number.isInteger(n) || n <= 0 || n > 0xffffffff) throw new RangeError(`map '${mapName}': max entries ${n}`);
    const err = libbpf().bpf.bpf_map__set_max_entries(this.mapPtr(mapName), n);
    if (err < 0) throw runtimeFailure(`resizing map '${mapName}'`, err);
  }

  /**
   * Whether a program is loaded at all (default true). Turn off, before load, a program
   * whose hook this kernel lacks (see probe.ts) so that the others can still load.
   */
  setAutoload(progName: string, autoload: boolean): void {
    this.requirePhase('opened', 'setAutoload');
    const err = libbpf().bpf.bpf_program__set_autoload(this.program(progName), autoload);
    if (err < 0) throw runtimeFailure(`setting autoload of '${progName}'`, err);
  }

  /** Verifies and loads every (autoloaded) program and creates the maps in the kernel. */
  load(): void {
    const { what, privileges } = this.beforeLoad('load');
    const mark = logMark();
    const err = libbpf().bpf.bpf_object__load(this.handle());
    if (err < 0) {
      const log = logSince(mark);
      this.close();
      throw loadFailure({ what, err, privileges, log });
    }
    this.phase = 'loaded';
  }

  /**
   * As load(), with the kernel's verifier running on a worker thread while the main thread
   * goes on (the TUI imports its modules meanwhile). libbpf logs nothing during it, so a
   * failure cannot quote libbpf's explanation: it is a QuietLoadFailure, and the caller
   * loads a fresh object with load() to get the explained error (or a success, if the cause
   * has passed). Nothing else may use the object until the promise settles; close() in the
   * meantime (process exit) closes it once the load is over.
   */
  async loadOffThread(): Promise<void> {
    const { what, privileges } = this.beforeLoad('loadOffThread');
    this.phase = 'loading';
    let err: number;
    try {
      err = await libbpf().loadObjectOffThread(this.handle());
    } finally {
      this.phase = 'opened';
    }
    if (this.closeAfterLoad) {
      this.close();
      throw new RuntimeError(`${what}: the object was closed while loading`);
    }
    if (err < 0) {
      this.close();
      throw new QuietLoadFailure(loadFailure({ what, err, privileges, log: [] }));
    }
    this.phase = 'loaded';
  }

  /** The checks before either load: privileges and kernel BTF, each with its own error. */
  private beforeLoad(op: string): { what: string; privileges: ReturnType<typeof ownBpfPrivileges> } {
    this.requirePhase('opened', op);
    const what = `loading BPF object ${this.path}`;
    const privileges = ownBpfPrivileges();
    if (!privileges.canTrace) {
      this.close();
      throw new PermissionError(privilegeHint(privileges));
    }
    const btfPath = kernelBtfPath();
    if (!existsSync(btfPath)) {
      this.close();
      throw new NotSupportedError(
        kernelBtfOverridden()
          ? `kernel BTF ${btfPath} (from SOCKSCOPE_BTF) does not exist: point SOCKSCOPE_BTF at a BTF file, or unset it`
          : `this kernel has no BTF (${btfPath} is missing): sockscope needs a kernel built with CONFIG_DEBUG_INFO_BTF=y (5.8 or newer)`,
      );
    }
    return { what, privileges };
  }

  /**
   * Attaches a tracing program where its section says (tp_btf/..., raw_tp/..., tp/...).
   * A hook this kernel lacks is a NotSupportedError naming it. Classic tracepoints need
   * tracefs, which is mounted here when missing (root only).
   */
  attach(progName: string): void {
    this.requirePhase('loaded', 'attach');
    const b = libbpf();
    const prog = this.program(progName);
    const hook = describeHook(b.bpf.bpf_program__section_name(prog));
    const what = `attaching program '${progName}' to ${hook.label}`;
    if (hook.kind === 'tp') {
      if (!ensureTracefs()) {
        throw new NotSupportedError(`${what} failed: tracefs is not mounted at /sys/kernel/tracing and could not be mounted (mount -t tracefs nodev /sys/kernel/tracing)`);
      }
      if (hook.category && hook.event && tracefsHasEvent(hook.category, hook.event) === false) {
        throw new NotSupportedError(`${what} failed: this kernel has no ${hook.label}`);
      }
    }
    const mark = logMark();
    const link = b.bpf.bpf_program__attach(prog);
    if (link === null) {
      throw attachFailure({ what, err: b.errno(), privileges: ownBpfPrivileges(), log: logSince(mark), hook: hook.label });
    }
    this.links.push({ prog: progName, target: hook.label, link });
  }

  /** Attaches a cgroup program (cgroup_skb, cgroup/sock...) to a cgroup v2 directory. */
  attachCgroup(progName: string, cgroupDir: string): void {
    this.requirePhase('loaded', 'attachCgroup');
    const b = libbpf();
    const prog = this.program(progName);
    const what = `attaching program '${progName}' to cgroup ${cgroupDir}`;
    let fd: number;
    try {
      fd = openSync(cgroupDir, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      if (code === 'EACCES' || code === 'EPERM') throw new PermissionError(`${what} failed: ${code}`);
      throw new NotSupportedError(`${what} failed: ${code} (is cgroup v2 mounted there? see sockscope doctor)`);
    }
    try {
      const mark = logMark();
      const link = b.bpf.bpf_program__attach_cgroup(prog, fd);
      if (link === null) {
        throw attachFailure({ what, err: b.errno(), privileges: ownBpfPrivileges(), log: logSince(mark), hook: `cgroup ${cgroupDir}` });
      }
      this.links.push({ prog: progName, target: `cgroup ${cgroupDir}`, link });
    } finally {
      // The link holds its own reference to the cgroup.
      closeSync(fd);
    }
  }

  /** What is attached, in attach order. */
  attachments(): Array<{ prog: string; target: string }> {
    return this.links.map(({ prog, target }) => ({ prog, target }));
  }

  /** A reader for a BPF_MAP_TYPE_RINGBUF map; closed with the object. The handler's Buffer
   * is valid only during its call (see RingReader.drain). */
  ringBuffer(mapName: string, onRecord: RecordHandler, options?: ObjectRingOptions): RingReader {
    return this.ringBufferAt(mapName, viewing(onRecord), options);
  }

  /** ringBuffer() with the record as (buffer, offset, length): no Buffer per record. */
  ringBufferAt(mapName: string, onRecord: RecordAtHandler, options: ObjectRingOptions = {}): RingReader {
    const map = this.ringMap(mapName);
    const { spill: names, ...rest } = options;
    let spill: RingReaderOptions['spill'];
    if (names) {
      const ring = this.ringMap(names.ring);
      const mode = this.map(names.mode);
      const key = Buffer.alloc(4);
      const off = Buffer.alloc(mode.valueSize);
      spill = { mapName: names.ring, fd: ring.fd, size: ring.maxEntries, resume: () => mode.update(key, off) };
    }
    const reader = new RingReader(mapName, map.fd, map.maxEntries, onRecord, { ...rest, spill });
    this.rings.push(reader);
    return reader;
  }

  private ringMap(mapName: string): BpfMap {
    const map = this.map(mapName);
    if (map.type !== BPF_MAP_TYPE.RINGBUF) throw new RuntimeError(`map '${mapName}' is not a ring buffer (type ${map.type})`);
    return map;
  }

  /** A loaded map by name (cached). */
  map(mapName: string): BpfMap {
    this.requirePhase('loaded', 'map');
    const cached = this.maps.get(mapName);
    if (cached) return cached;
    const { bpf } = libbpf();
    const m = this.mapPtr(mapName);
    const fd = bpf.bpf_map__fd(m);
    if (fd < 0) throw new RuntimeError(`map '${mapName}' has no fd (${errnoName(fd)}): was it created?`);
    const map = new BpfMap(
      {
        name: bpf.bpf_map__name(m),
        fd,
        type: bpf.bpf_map__type(m),
        keySize: bpf.bpf_map__key_size(m),
        valueSize: bpf.bpf_map__value_size(m),
        maxEntries: bpf.bpf_map__max_entries(m),
      },
      () => this.phase === 'loaded',
    );
    this.maps.set(mapName, map);
    return map;
  }

  /**
   * Runs a program once now through BPF_PROG_TEST_RUN (for a SEC("raw_tp") program: an
   * on-demand snapshot, on the calling CPU, with `ctx` as its u64 arguments, empty by
   * default). Returns the program's return value.
   */
  runProgram(progName: string, ctx?: Buffer): number {
    this.requirePhase('loaded', 'runProgram');
    const b = libbpf();
    const fd = b.bpf.bpf_program__fd(this.program(progName));
    if (fd < 0) throw new RuntimeError(`program '${progName}' is not loaded (autoload off?)`);
    const opts: TestRunOpts = {
      sz: b.testRunOptsSize,
      data_in: null,
      data_out: null,
      data_size_in: 0,
      data_size_out: 0,
      ctx_in: ctx ?? null,
      ctx_out: null,
      ctx_size_in: ctx?.length ?? 0,
      ctx_size_out: 0,
      retval: 0,
      repeat: 0,
      duration: 0,
      flags: 0,
      cpu: 0,
      batch_size: 0,
    };
    const err = b.bpf.bpf_prog_test_run_opts(fd, opts);
    if (err < 0) throw runtimeFailure(`running program '${progName}'`, err);
    return opts.retval;
  }

  /**
   * Runs a BPF iterator program (SEC("iter/...")) over everything it iterates, now, and
   * returns what it wrote with bpf_seq_write/BPF_SEQ_PRINTF (empty when it only updates
   * maps or the ring buffer). Synchronous: the kernel walks all tasks/files in read().
   */
  runIterator(progName: string): Buffer {
    this.requirePhase('loaded', 'runIterator');
    const b = libbpf();
    const prog = this.program(progName);
    const what = `running iterator '${progName}'`;
    const mark = logMark();
    const link = b.bpf.bpf_program__attach_iter(prog, null);
    if (link === null) {
      throw attachFailure({ what, err: b.errno(), privileges: ownBpfPrivileges(), log: logSince(mark), hook: `iterator ${this.programSection(progName)}` });
    }
    try {
      const iterFd = b.bpf.bpf_iter_create(b.bpf.bpf_link__fd(link));
      if (iterFd < 0) throw runtimeFailure(what, iterFd);
      try {
        const chunks: Buffer[] = [];
        const buf = Buffer.alloc(64 * 1024);
        for (;;) {
          const n = readSync(iterFd, buf, 0, buf.length, null);
          if (n === 0) break;
          chunks.push(Buffer.from(buf.subarray(0, n)));
        }
        return Buffer.concat(chunks);
      } finally {
        closeSync(iterFd);
      }
    } finally {
      b.bpf.bpf_link__destroy(link);
    }
  }

  /** Detaches and frees everything; idempotent, never throws. */
  close(): void {
    if (this.phase === 'closed') return;
    if (this.phase === 'loading') {
      // bpf_object__close now would free what the worker thread's load is using.
      this.closeAfterLoad = true;
      return;
    }
    this.phase = 'closed';
    this.untrack();
    const { bpf } = libbpf();
    for (const ring of this.rings.splice(0)) ring.close();
    for (const { link } of this.links.splice(0).reverse()) bpf.bpf_link__destroy(link);
    this.maps.clear();
    if (this.obj !== null) bpf.bpf_object__close(this.obj);
    this.obj = null;
  }

  private handle(): Ptr {
    if (this.obj === null) throw new RuntimeError(`BPF object ${this.path} used after close`);
    return this.obj;
  }

  private requirePhase(phase: Phase, op: string): void {
    if (this.phase === phase) return;
    const why = this.phase === 'closed' ? 'after close' : phase === 'opened' ? 'after load' : 'before load';
    throw new RuntimeError(`BpfObject.${op}() called ${why} (${this.path})`);
  }

  private program(progName: string): Ptr {
    const p = libbpf().bpf.bpf_object__find_program_by_name(this.handle(), progName);
    if (p === null) {
      throw new RuntimeError(`BPF object ${this.path} has no program '${progName}' (it has: ${this.programNames().join(', ')})`);
    }
    return p;
  }

  private mapPtr(mapName: string): Ptr {
    const m = libbpf().bpf.bpf_object__find_map_by_name(this.handle(), mapName);
    if (m === null) {
      throw new RuntimeError(`BPF object ${this.path} has no map '${mapName}' (it has: ${this.mapNames().join(', ')})`);
    }
    return m;
  }

  /** libbpf names internal maps "<object name prefix>.rodata": match by suffix. */
  private findInternalMap(suffix: string): Ptr | null {
    const { bpf } = libbpf();
    const obj = this.handle();
    for (let m = bpf.bpf_object__next_map(obj, null); m !== null; m = bpf.bpf_object__next_map(obj, m)) {
      if (bpf.bpf_map__is_internal(m) && bpf.bpf_map__name(m).endsWith(suffix)) return m;
    }
    return null;
  }
}

/** Writes a little-endian scalar (or raw bytes) of the variable's exact size. */
export function writeScalar(data: Buffer, offset: number, size: number, value: RodataValue, name: string): void {
  if (offset + size > data.length) throw new RuntimeError(`rodata variable '${name}' lies outside .rodata`);
  if (Buffer.isBuffer(value)) {
    if (value.length !== size) throw new RangeError(`rodata '${name}' is ${size} bytes, got ${value.length}`);
    value.copy(data, offset);
    return;
  }
  const big = typeof value === 'boolean' ? (value ? 1n : 0n) : BigInt(value);
  const bits = BigInt(size * 8);
  if (![1, 2, 4, 8].includes(size)) throw new RangeError(`rodata '${name}' is ${size} bytes: pass a Buffer`);
  if (big >= 1n << bits || big < -(1n << (bits - 1n))) throw new RangeError(`rodata '${name}' (${size} bytes) cannot hold ${value}`);
  const unsigned = BigInt.asUintN(size * 8, big);
  for (let i = 0; i < size; i++) data[offset + i] = Number((unsigned >> BigInt(8 * i)) & 0xffn);
}

export type { HookDescription };
