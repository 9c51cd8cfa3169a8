// The only file in the repository that imports koffi. It binds the few libbpf 1.1 and libc
// functions sockscope needs, lazily (so `--help` or a replay never touches libbpf), and
// hides koffi's pointer representation: a native pointer is a `Ptr` (bigint), NULL is
// `null`. Callers must check every `Ptr | null` before passing it back in: libbpf
// dereferences what it gets, and a NULL object pointer crashes the whole process.
import koffi, { type LibraryHandle } from 'koffi';
import { LibraryMissingError } from '../errors';
import { LIBBPF_SONAME, libbpfPath } from './env';

export type Ptr = bigint;

const LIBC_SONAME = 'libc.so.6';

// <sys/mman.h>, <unistd.h> (Linux, every architecture sockscope supports)
const PROT_READ = 1;
const PROT_WRITE = 2;
const MAP_SHARED = 1;
const MAP_FAILED = 0xffffffffffffffffn; // (void *)-1 as koffi returns it
const SC_PAGESIZE = 30;
const M_ARENA_MAX = -8; // glibc's malloc.h

/** libbpf_print_level */
export const LIBBPF_WARN = 0;
export const LIBBPF_INFO = 1;
export const LIBBPF_DEBUG = 2;

export interface Libbpf {
  // library
  libbpf_major_version(): number;
  libbpf_minor_version(): number;
  libbpf_version_string(): string;
  libbpf_num_possible_cpus(): number;
  libbpf_probe_bpf_map_type(mapType: number, opts: null): number;
  libbpf_probe_bpf_prog_type(progType: number, opts: null): number;
  libbpf_strerror(err: number, buf: Buffer, size: number): number;
  // object
  bpf_object__open_file(path: string, opts: OpenOpts | null): Ptr | null;
  bpf_object__load(obj: Ptr): number;
  bpf_object__close(obj: Ptr): void;
  bpf_object__name(obj: Ptr): string;
  bpf_object__btf(obj: Ptr): Ptr | null;
  bpf_object__find_map_by_name(obj: Ptr, name: string): Ptr | null;
  bpf_object__find_program_by_name(obj: Ptr, name: string): Ptr | null;
  bpf_object__next_map(obj: Ptr, prev: Ptr | null): Ptr | null;
  bpf_object__next_program(obj: Ptr, prev: Ptr | null): Ptr | null;
  // maps
  bpf_map__name(map: Ptr): string;
  bpf_map__fd(map: Ptr): number;
  bpf_map__type(map: Ptr): number;
  bpf_map__key_size(map: Ptr): number;
  bpf_map__value_size(map: Ptr): number;
  bpf_map__max_entries(map: Ptr): number;
  bpf_map__set_max_entries(map: Ptr, n: number): number;
  bpf_map__is_internal(map: Ptr): boolean;
  bpf_map__initial_value(map: Ptr, psize: [number]): Ptr | null;
  bpf_map__set_initial_value(map: Ptr, data: Buffer, size: number): number;
  // programs
  bpf_program__name(prog: Ptr): string;
  bpf_program__section_name(prog: Ptr): string;
  bpf_program__fd(prog: Ptr): number;
  bpf_program__set_autoload(prog: Ptr, autoload: boolean): number;
  bpf_program__attach(prog: Ptr): Ptr | null;
  bpf_program__attach_cgroup(prog: Ptr, cgroupFd: number): Ptr | null;
  bpf_link__destroy(link: Ptr): number;
  bpf_program__attach_iter(prog: Ptr, opts: null): Ptr | null;
  bpf_link__fd(link: Ptr): number;
  bpf_iter_create(linkFd: number): number;
  bpf_prog_test_run_opts(progFd: number, opts: TestRunOpts): number;
  // raw map syscalls (return 0 or -errno in libbpf 1.x mode)
  bpf_map_lookup_elem(fd: number, key: Buffer, value: Buffer): number;
  bpf_map_update_elem(fd: number, key: Buffer, value: Buffer, flags: bigint): number;
  bpf_map_delete_elem(fd: number, key: Buffer): number;
  bpf_map_get_next_key(fd: number, key: Buffer | null, nextKey: Buffer): number;
  bpf_map_lookup_batch(
    fd: number, inBatch: Buffer | null, outBatch: Buffer, keys: Buffer, values: Buffer, count: [number], opts: null,
  ): number;
  // ring buffer
  ring_buffer__new(mapFd: number, sampleCb: Ptr, ctx: null, opts: null): Ptr | null;
  ring_buffer__consume(rb: Ptr): number;
  ring_buffer__free(rb: Ptr): void;
  // BTF
  btf__parse_elf(path: string, ext: null): Ptr | null;
  btf__parse(path: string, ext: null): Ptr | null;
  btf__free(btf: Ptr): void;
  btf__type_cnt(btf: Ptr): number;
  btf__type_by_id(btf: Ptr, id: number): Ptr | null;
  btf__name_by_offset(btf: Ptr, off: number): string | null;
  btf__find_by_name_kind(btf: Ptr, name: string, kind: number): number;
  btf__resolve_size(btf: Ptr, id: number): number;
}

/** struct bpf_object_open_opts as libbpf 1.1 declares it; only btf_custom_path is used. */
export interface OpenOpts {
  sz: number;
  object_name: string | null;
  relaxed_maps: boolean;
  pin_root_path: string | null;
  _unused: number;
  kconfig: string | null;
  btf_custom_path: string | null;
  kernel_log_buf: null;
  kernel_log_size: number;
  kernel_log_level: number;
}

/** struct bpf_test_run_opts as libbpf 1.1 declares it (sz first, for ABI compatibility). */
export interface TestRunOpts {
  sz: number;
  data_in: Buffer | null;
  data_out: Buffer | null;
  data_size_in: number;
  data_size_out: number;
  ctx_in: Buffer | null;
  ctx_out: Buffer | null;
  ctx_size_in: number;
  ctx_size_out: number;
  retval: number;
  repeat: number;
  duration: number;
  flags: number;
  cpu: number;
  batch_size: number;
}

export interface Libc {
  mount(source: string, target: string, fstype: string, flags: number, data: null): number;
  geteuid(): number;
  vsnprintf(buf: Buffer, size: number, fmt: Ptr, args: Ptr): number;
  mmap(addr: null, length: number, prot: number, flags: number, fd: number, offset: number): Ptr;
  munmap(addr: Ptr, length: number): number;
}

export interface Bindings {
  bpf: Libbpf;
  libc: Libc;
  /** errno of the last libc/libbpf call on this thread. */
  errno(): number;
  /** Register `fn` as a C callback that libbpf may call later; keep the value until unregister. */
  registerSampleCallback(fn: (ctx: Ptr | null, data: Ptr, size: number) => number): Ptr;
  unregister(cb: Ptr): void;
  /** A view of `size` native bytes at `ptr`: valid only as long as the memory is. */
  view(ptr: Ptr, size: number): Buffer;
  /** An ArrayBuffer over `size` native bytes at `ptr`, no copy: valid only as long as the memory
   * is mapped (detach it with `ab.transfer(0)` before unmapping, so stale views read nothing). */
  arrayView(ptr: Ptr, size: number): ArrayBuffer;
  /** glibc's malloc_trim(0): gives free native heap memory back to the kernel. False
   * where the C library has none (musl). */
  trimNativeHeap(): boolean;
  /** glibc's mallopt(M_ARENA_MAX, max): threads that need a malloc arena from now on share
   * at most `max`. False where the C library has none (musl). */
  limitNativeArenas(max: number): boolean;
  /** mmap(2) of `length` bytes of `fd` at `offset`, MAP_SHARED; null (errno set) on failure. */
  mapShared(fd: number, length: number, writable: boolean, offset: number): Ptr | null;
  /** munmap(2); 0 or -1 (errno set). */
  unmap(ptr: Ptr, length: number): number;
  /** The kernel's page size (sysconf(_SC_PAGESIZE)). */
  pageSize: number;
  /** A copy of `size` native bytes at `ptr`. */
  readBytes(ptr: Ptr, size: number): Buffer;
  /** Copies `size` native bytes at `ptr` into `dst` (at least `size` long), without allocating:
   * a koffi.view per ring record cost ~1.4 µs and most of the consumer's GC (docs/performance.md). */
  copyInto(dst: Buffer, ptr: Ptr, size: number): void;
  /** sizeof(struct bpf_test_run_opts) for its `sz` field. */
  testRunOptsSize: number;
  /** sizeof(struct bpf_object_open_opts) for its `sz` field. */
  openOptsSize: number;
  /** The library file that was loaded (libbpf.so.1, or SOCKSCOPE_LIBBPF). */
  libbpfPath: string;
  setPrint(fn: ((level: number, fmt: Ptr, args: Ptr) => number) | null): void;
  /** A print callback's message, whole however long (a verifier log comes as one message of
   * many KB): formatted into 4 KiB, and when that is short, the va_list is put back as it
   * was before (its bytes, saved: vsnprintf moves it) and formatted again into enough. */
  formatPrint(fmt: Ptr, args: Ptr): string;
  /** bpf_object__load on one of koffi's worker threads, so that the main thread goes on while
   * the kernel verifies the programs. libbpf's log is off meanwhile: a JS print callback
   * called off the main thread waits for the event loop, once per line (thousands at debug
   * level). Resolves to bpf_object__load's return value. */
  loadObjectOffThread(obj: Ptr): Promise<number>;
}

let bindings: Bindings | null = null;

/** Binds libbpf and libc on first use; throws LibraryMissingError when libbpf.so.1 is absent. */
export function libbpf(): Bindings {
  if (bindings) return bindings;
  let lib: LibraryHandle;
  const libPath = libbpfPath();
  try {
    lib = koffi.load(libPath);
  } catch (err) {
    const which = libPath === LIBBPF_SONAME ? LIBBPF_SONAME : `${libPath} (from SOCKSCOPE_LIBBPF)`;
    throw new LibraryMissingError(
      `cannot load ${which}: ${firstLine(err)}; install the Debian/Ubuntu package libbpf1 (Fedora: libbpf)`,
    );
  }
  let c: LibraryHandle;
  try {
    c = koffi.load(LIBC_SONAME);
  } catch (err) {
    throw new LibraryMissingError(`${LIBC_SONAME} not found (${firstLine(err)}): sockscope needs glibc`);
  }

  const TestRunOptsType = koffi.struct('bpf_test_run_opts', {
    sz: 'size_t',
    data_in: 'void *',
    data_out: 'void *',
    data_size_in: 'uint32_t',
    data_size_out: 'uint32_t',
    ctx_in: 'void *',
    ctx_out: 'void *',
    ctx_size_in: 'uint32_t',
    ctx_size_out: 'uint32_t',
    retval: 'uint32_t',
    repeat: 'int',
    duration: 'uint32_t',
    flags: 'uint32_t',
    cpu: 'uint32_t',
    batch_size: 'uint32_t',
  });
  const OpenOptsType = koffi.struct('bpf_object_open_opts', {
    sz: 'size_t',
    object_name: 'const char *',
    relaxed_maps: 'bool',
    pin_root_path: 'const char *',
    _unused: 'uint32_t', // __u32 :32, where attach_prog_fd used to be
    kconfig: 'const char *',
    btf_custom_path: 'const char *',
    kernel_log_buf: 'char *',
    kernel_log_size: 'size_t',
    kernel_log_level: 'uint32_t',
  });
  const SampleFn = koffi.proto('int ring_buffer_sample_fn(void *ctx, void *data, size_t size)');
  // va_list on x86_64/arm64 Linux decays to a pointer when passed to a function.
  const PrintFn = koffi.proto('int libbpf_print_fn_t(int level, void *fmt, void *args)');

  const f = (decl: string) => {
    try {
      return lib.func(decl);
    } catch (err) {
      throw new LibraryMissingError(
        `${LIBBPF_SONAME} lacks a function sockscope needs (${firstLine(err)}): install libbpf >= 1.1`,
      );
    }
  };
  const bpf = {
    libbpf_major_version: f('uint32_t libbpf_major_version(void)'),
    libbpf_minor_version: f('uint32_t libbpf_minor_version(void)'),
    libbpf_version_string: f('const char *libbpf_version_string(void)'),
    libbpf_num_possible_cpus: f('int libbpf_num_possible_cpus(void)'),
    libbpf_probe_bpf_map_type: f('int libbpf_probe_bpf_map_type(int map_type, const void *opts)'),
    libbpf_probe_bpf_prog_type: f('int libbpf_probe_bpf_prog_type(int prog_type, const void *opts)'),
    libbpf_strerror: f('int libbpf_strerror(int err, _Out_ uint8_t *buf, size_t size)'),
    bpf_object__open_file: lib.func('bpf_object__open_file', 'void *', ['const char *', koffi.pointer(OpenOptsType)]),
    bpf_object__load: f('int bpf_object__load(void *obj)'),
    bpf_object__close: f('void bpf_object__close(void *obj)'),
    bpf_object__name: f('const char *bpf_object__name(void *obj)'),
    bpf_object__btf: f('void *bpf_object__btf(void *obj)'),
    bpf_object__find_map_by_name: f('void *bpf_object__find_map_by_name(void *obj, const char *name)'),
    bpf_object__find_program_by_name: f('void *bpf_object__find_program_by_name(void *obj, const char *name)'),
    bpf_object__next_map: f('void *bpf_object__next_map(void *obj, void *prev)'),
    bpf_object__next_program: f('void *bpf_object__next_program(void *obj, void *prev)'),
    bpf_map__name: f('const char *bpf_map__name(void *map)'),
    bpf_map__fd: f('int bpf_map__fd(void *map)'),
    bpf_map__type: f('int bpf_map__type(void *map)'),
    bpf_map__key_size: f('uint32_t bpf_map__key_size(void *map)'),
    bpf_map__value_size: f('uint32_t bpf_map__value_size(void *map)'),
    bpf_map__max_entries: f('uint32_t bpf_map__max_entries(void *map)'),
    bpf_map__set_max_entries: f('int bpf_map__set_max_entries(void *map, uint32_t n)'),
    bpf_map__is_internal: f('bool bpf_map__is_internal(void *map)'),
    bpf_map__initial_value: f('void *bpf_map__initial_value(void *map, _Out_ size_t *psize)'),
    bpf_map__set_initial_value: f('int bpf_map__set_initial_value(void *map, const void *data, size_t size)'),
    bpf_program__name: f('const char *bpf_program__name(void *prog)'),
    bpf_program__section_name: f('const char *bpf_program__section_name(void *prog)'),
    bpf_program__fd: f('int bpf_program__fd(void *prog)'),
    bpf_program__set_autoload: f('int bpf_program__set_autoload(void *prog, bool autoload)'),
    bpf_program__attach: f('void *bpf_program__attach(void *prog)'),
    bpf_program__attach_cgroup: f('void *bpf_program__attach_cgroup(void *prog, int cgroup_fd)'),
    bpf_link__destroy: f('int bpf_link__destroy(void *link)'),
    bpf_program__attach_iter: f('void *bpf_program__attach_iter(void *prog, const void *opts)'),
    bpf_link__fd: f('int bpf_link__fd(void *link)'),
    bpf_iter_create: f('int bpf_iter_create(int link_fd)'),
    bpf_prog_test_run_opts: lib.func('bpf_prog_test_run_opts', 'int', ['int', koffi.inout(koffi.pointer(TestRunOptsType))]),
    bpf_map_lookup_elem: f('int bpf_map_lookup_elem(int fd, const void *key, _Out_ uint8_t *value)'),
    bpf_map_update_elem: f('int bpf_map_update_elem(int fd, const void *key, const void *value, uint64_t flags)'),
    bpf_map_delete_elem: f('int bpf_map_delete_elem(int fd, const void *key)'),
    bpf_map_get_next_key: f('int bpf_map_get_next_key(int fd, const void *key, _Out_ uint8_t *next_key)'),
    bpf_map_lookup_batch: f(
      'int bpf_map_lookup_batch(int fd, void *in_batch, _Out_ uint8_t *out_batch, _Out_ uint8_t *keys, _Out_ uint8_t *values, _Inout_ uint32_t *count, const void *opts)',
    ),
    ring_buffer__new: lib.func('ring_buffer__new', 'void *', ['int', 'void *', 'void *', 'void *']),
    ring_buffer__consume: f('int ring_buffer__consume(void *rb)'),
    ring_buffer__free: f('void ring_buffer__free(void *rb)'),
    btf__parse_elf: f('void *btf__parse_elf(const char *path, void *ext)'),
    btf__parse: f('void *btf__parse(const char *path, void *ext)'),
    btf__free: f('void btf__free(void *btf)'),
    btf__type_cnt: f('uint32_t btf__type_cnt(void *btf)'),
    btf__type_by_id: f('void *btf__type_by_id(void *btf, uint32_t id)'),
    btf__name_by_offset: f('const char *btf__name_by_offset(void *btf, uint32_t offset)'),
    btf__find_by_name_kind: f('int btf__find_by_name_kind(void *btf, const char *name, uint32_t kind)'),
    btf__resolve_size: f('int64_t btf__resolve_size(void *btf, uint32_t id)'),
  } as unknown as Libbpf;
  const setPrintRaw = lib.func('libbpf_set_print', 'void *', [koffi.pointer(PrintFn)]);

  const libc = {
    mount: c.func('int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const void *data)'),
    geteuid: c.func('uint32_t geteuid(void)'),
    vsnprintf: c.func('int vsnprintf(_Out_ uint8_t *buf, size_t size, void *fmt, void *args)'),
    mmap: c.func('void *mmap(void *addr, size_t length, int prot, int flags, int fd, int64_t offset)'),
    munmap: c.func('int munmap(void *addr, size_t length)'),
  } as unknown as Libc;
  const sysconf = c.func('long sysconf(int name)');
  const memcpy = c.func('void *memcpy(void *dst, void *src, size_t n)');
  let mallopt: ((param: number, value: number) => number) | null;
  let mallocTrim: ((pad: number) => number) | null;
  try {
    mallopt = c.func('int mallopt(int param, int value)');
    mallocTrim = c.func('int malloc_trim(size_t pad)');
  } catch {
    mallopt = null; // not glibc
    mallocTrim = null;
  }

  let printCb: Ptr | null = null;
  const printBuf = Buffer.alloc(4096);
  // sizeof(va_list) as a callee sees it (a pointer to it): x86-64's __va_list_tag, arm64's
  // __va_list. Elsewhere a long message stays cut at 4 KiB.
  const vaListBytes = process.arch === 'x64' ? 24 : process.arch === 'arm64' ? 32 : 0;
  const formatInto = (buf: Buffer, fmt: Ptr, args: Ptr): number => libc.vsnprintf(buf, buf.length, fmt, args);
  const text = (buf: Buffer, n: number): string => (n <= 0 ? '' : buf.toString('utf8', 0, Math.min(n, buf.length - 1)));
  bindings = {
    bpf,
    libc,
    errno: () => koffi.errno(),
    registerSampleCallback: (fn) => koffi.register(fn, koffi.pointer(SampleFn)),
    unregister: (cb) => koffi.unregister(cb),
    view: (ptr, size) => Buffer.from(koffi.view(ptr, size)),
    arrayView: (ptr, size) => koffi.view(ptr, size) as ArrayBuffer,
    mapShared: (fd, length, writable, offset) => {
      const p = libc.mmap(null, length, writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd, offset);
      return p === MAP_FAILED || p === null ? null : p;
    },
    unmap: (ptr, length) => libc.munmap(ptr, length),
    trimNativeHeap: () => {
      if (mallocTrim === null) return false;
      mallocTrim(0);
      return true;
    },
    limitNativeArenas: (max) => mallopt !== null && mallopt(M_ARENA_MAX, max) === 1,
    pageSize: Number(sysconf(SC_PAGESIZE)),
    readBytes: (ptr, size) => Buffer.from(Buffer.from(koffi.view(ptr, size))),
    copyInto: (dst, ptr, size) => {
      if (size > dst.length) throw new RangeError(`copyInto: ${size} bytes into a ${dst.length}-byte buffer`);
      memcpy(dst, ptr, size);
    },
    testRunOptsSize: koffi.sizeof(TestRunOptsType),
    openOptsSize: koffi.sizeof(OpenOptsType),
    libbpfPath: libPath,
    loadObjectOffThread: (obj) =>
      new Promise((resolve, reject) => {
        setPrintRaw(null);
        const load = bpf.bpf_object__load as unknown as { async(obj: Ptr, done: (err: unknown, res: number) => void): void };
        load.async(obj, (err, res) => {
          setPrintRaw(printCb);
          if (err) reject(err instanceof Error ? err : new Error(String(err)));
          else resolve(res);
        });
      }),
    formatPrint(fmt, args) {
      const saved = vaListBytes > 0 ? Buffer.from(Buffer.from(koffi.view(args, vaListBytes))) : null;
      const n = formatInto(printBuf, fmt, args);
      if (n < printBuf.length || saved === null) return text(printBuf, n);
      memcpy(args, saved, saved.length);
      const whole = Buffer.alloc(n + 1);
      return text(whole, formatInto(whole, fmt, args));
    },
    setPrint(fn) {
      // The callback stays registered for the life of the process: libbpf may log at any
      // time, and re-registering on every call would leak koffi's callback slots.
      if (printCb !== null) {
        setPrintRaw(null);
        koffi.unregister(printCb);
        printCb = null;
      }
      if (fn) {
        printCb = koffi.register(fn, koffi.pointer(PrintFn));
        setPrintRaw(printCb);
      } else {
        setPrintRaw(null);
      }
    },
  };
  return bindings;
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0];
}
