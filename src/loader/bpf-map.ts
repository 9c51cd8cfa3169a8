// Reading and writing one loaded BPF map through its fd. Keys and values are Buffers of
// exactly the map's sizes; decoding them is src/events/'s job (layout from bpf/sockscope.h).
import { RuntimeError } from '../errors';
import { libbpf } from './libbpf';
import { runtimeFailure } from './failures';
import { constants } from 'node:os';

const E = constants.errno;

export const BPF_MAP_TYPE = {
  HASH: 1,
  ARRAY: 2,
  PERCPU_HASH: 5,
  PERCPU_ARRAY: 6,
  LRU_HASH: 9,
  LRU_PERCPU_HASH: 10,
  RINGBUF: 27,
} as const;

const PER_CPU_TYPES = new Set<number>([BPF_MAP_TYPE.PERCPU_HASH, BPF_MAP_TYPE.PERCPU_ARRAY, BPF_MAP_TYPE.LRU_PERCPU_HASH]);

/** bpf_map_update_elem flags */
export const BPF_ANY = 0n;
export const BPF_NOEXIST = 1n;
export const BPF_EXIST = 2n;

export interface BpfMapInfo {
  name: string;
  fd: number;
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
}

export class BpfMap {
  readonly name: string;
  readonly fd: number;
  readonly type: number;
  readonly keySize: number;
  /** Size of one value as the BPF program sees it (one CPU's slot for per-CPU maps). */
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly isPerCpu: boolean;
  /** Bytes user space reads per key: valueSize, or per-CPU maps: round_up(valueSize, 8) * possible CPUs. */
  readonly userValueSize: number;
  private readonly cpuSlot: number;
  private readonly cpus: number;
  private batchUnsupported = false;

  /** @param alive tells whether the owning object is still open (its fds valid). */
  constructor(info: BpfMapInfo, private readonly alive: () => boolean) {
    this.name = info.name;
    this.fd = info.fd;
    this.type = info.type;
    this.keySize = info.keySize;
    this.valueSize = info.valueSize;
    this.maxEntries = info.maxEntries;
    this.isPerCpu = PER_CPU_TYPES.has(info.type);
    this.cpus = this.isPerCpu ? libbpf().bpf.libbpf_num_possible_cpus() : 1;
    if (this.cpus <= 0) throw new RuntimeError(`cannot count the possible CPUs: ${this.cpus}`);
    this.cpuSlot = this.isPerCpu ? Math.ceil(info.valueSize / 8) * 8 : info.valueSize;
    this.userValueSize = this.cpuSlot * this.cpus;
  }

  /** The value for `key`, or null when absent. Per-CPU maps: all CPUs' slots concatenated. */
  lookup(key: Buffer): Buffer | null {
    this.check(key);
    const value = Buffer.alloc(this.userValueSize);
    const err = libbpf().bpf.bpf_map_lookup_elem(this.fd, key, value);
    if (err === -E.ENOENT) return null;
    if (err < 0) throw runtimeFailure(`reading map '${this.name}'`, err);
    return value;
  }

  /** lookup() into `value` (userValueSize bytes, reused by the caller): false when absent. */
  lookupInto(key: Buffer, value: Buffer): boolean {
    this.check(key);
    if (value.length < this.userValueSize) throw new RangeError(`map '${this.name}': value buffer is ${value.length} bytes, expected ${this.userValueSize}`);
    const err = libbpf().bpf.bpf_map_lookup_elem(this.fd, key, value);
    if (err === -E.ENOENT) return false;
    if (err < 0) throw runtimeFailure(`reading map '${this.name}'`, err);
    return true;
  }

  /** Per-CPU maps: one Buffer of valueSize bytes per possible CPU; null when absent. */
  lookupPerCpu(key: Buffer): Buffer[] | null {
    if (!this.isPerCpu) throw new RuntimeError(`map '${this.name}' is not a per-CPU map`);
    const all = this.lookup(key);
    return all ? this.splitPerCpu(all) : null;
  }

  /** Splits a per-CPU value (from lookup or entries) into one Buffer per CPU. */
  splitPerCpu(value: Buffer): Buffer[] {
    const out: Buffer[] = [];
    for (let cpu = 0; cpu < this.cpus; cpu++) out.push(value.subarray(cpu * this.cpuSlot, cpu * this.cpuSlot + this.valueSize));
    return out;
  }

  update(key: Buffer, value: Buffer, flags: bigint = BPF_ANY): void {
    this.check(key);
    if (value.length !== this.userValueSize) {
      throw new RangeError(`map '${this.name}': value is ${value.length} bytes, expected ${this.userValueSize}`);
    }
    const err = libbpf().bpf.bpf_map_update_elem(this.fd, key, value, flags);
    if (err < 0) throw runtimeFailure(`updating map '${this.name}'`, err);
  }

  /** Deletes `key`; false when it was not there. */
  delete(key: Buffer): boolean {
    this.check(key);
    const err = libbpf().bpf.bpf_map_delete_elem(this.fd, key);
    if (err === -E.ENOENT) return false;
    if (err < 0) throw runtimeFailure(`deleting from map '${this.name}'`, err);
    return true;
  }

  keys(): Buffer[] {
    this.check(null);
    const { bpf } = libbpf();
    const out: Buffer[] = [];
    let prev: Buffer | null = null;
    for (;;) {
      const next = Buffer.alloc(this.keySize);
      const err = bpf.bpf_map_get_next_key(this.fd, prev, next);
      if (err === -E.ENOENT) return out;
      if (err < 0) throw runtimeFailure(`iterating map '${this.name}'`, err);
      out.push(next);
      prev = next;
      // A hash map being updated concurrently can restart iteration; never loop forever.
      if (out.length > this.maxEntries * 2 + 16) return out;
    }
  }

  /**
   * Every [key, value] pair: one BPF_MAP_LOOKUP_BATCH syscall per chunk where the kernel
   * supports it for this map type, else get_next_key + lookup per key. Entries added or
   * removed by the kernel meanwhile may or may not appear (the kernel gives no snapshot).
   */
  entries(): Array<[Buffer, Buffer]> {
    const out: Array<[Buffer, Buffer]> = [];
    this.forEachEntry((k, v) => out.push([Buffer.from(k), Buffer.from(v)]));
    return out;
  }

  /**
   * entries() without a copy per entry: `fn` gets views of a buffer this map reuses from
   * one call to the next, valid only during the call (copy what must outlive it). Not
   * re-entrant: `fn` must not read this same map with entries() or forEachEntry().
   */
  forEachEntry(fn: (key: Buffer, value: Buffer) => void): void {
    const ks = this.keySize;
    const vs = this.userValueSize;
    this.forEachEntryAt((keys, ko, values, vo) => fn(keys.subarray(ko, ko + ks), values.subarray(vo, vo + vs)));
  }

  /**
   * forEachEntry() without even a view per entry: `fn` gets the scratch buffers and the
   * offsets of one key and its value in them. What a 100,000-flow interval reads then
   * allocates nothing per entry; the caller decodes at the offsets.
   */
  forEachEntryAt(fn: (keys: Buffer, keyOffset: number, values: Buffer, valueOffset: number) => void): void {
    this.check(null);
    if (this.iterating) throw new RuntimeError(`map '${this.name}' read again from inside its own forEachEntry()`);
    this.iterating = true;
    try {
      if (!this.batchUnsupported) {
        if (this.forEachBatched(fn)) return;
        this.batchUnsupported = true;
      }
      for (const key of this.keys()) {
        const value = this.lookup(key);
        if (value) fn(key, 0, value, 0);
      }
    } finally {
      this.iterating = false;
    }
  }

  private iterating = false;

  /** Scratch for batch reads, kept between calls (grown on ENOSPC). */
  private batch: { chunk: number; keys: Buffer; values: Buffer; tokens: [Buffer, Buffer] } | null = null;

  private batchScratch(chunk: number) {
    if (this.batch === null || this.batch.chunk < chunk) {
      // A hash batch token is a bucket index; give it room for a key either way.
      const tokenSize = Math.max(this.keySize, 8);
      this.batch = {
        chunk,
        keys: Buffer.alloc(chunk * this.keySize),
        values: Buffer.alloc(chunk * this.userValueSize),
        tokens: [Buffer.alloc(tokenSize), Buffer.alloc(tokenSize)],
      };
    }
    return this.batch;
  }

  /** False when this kernel cannot batch-read this map type (nothing was handed out). */
  private forEachBatched(fn: (keys: Buffer, keyOffset: number, values: Buffer, valueOffset: number) => void): boolean {
    const { bpf } = libbpf();
    let inBatch: Buffer | null = null;
    let chunk = this.batch?.chunk ?? Math.max(1, Math.min(this.maxEntries, 1024));
    let handed = 0;
    for (;;) {
      const { keys, values, tokens } = this.batchScratch(chunk);
      // The token read back in is the one the previous call wrote: alternate the two.
      const outBatch: Buffer = inBatch === tokens[0] ? tokens[1] : tokens[0];
      const count: [number] = [chunk];
      const err = bpf.bpf_map_lookup_batch(this.fd, inBatch, outBatch, keys, values, count, null);
      if (err < 0 && err !== -E.ENOENT) {
        // ENOSPC: one hash bucket holds more entries than `chunk`: retry the same position bigger.
        if (err === -E.ENOSPC && chunk < this.maxEntries * 2) {
          chunk *= 2;
          if (inBatch !== null) {
            // The new scratch has new tokens: carry the position over.
            const pos = Buffer.from(inBatch);
            pos.copy(this.batchScratch(chunk).tokens[0]);
            inBatch = this.batch!.tokens[0];
          }
          continue;
        }
        if (err === -E.EINVAL || err === -E.ENOTSUP || err === -524 || err === -E.EOPNOTSUPP) {
          if (handed === 0 && inBatch === null) return false;
        }
        throw runtimeFailure(`reading map '${this.name}' in batches`, err);
      }
      const ks = this.keySize;
      const vs = this.userValueSize;
      for (let i = 0; i < count[0]; i++) {
        fn(keys, i * ks, values, i * vs);
        handed++;
      }
      if (err === -E.ENOENT) return true;
      inBatch = outBatch;
    }
  }

  private check(key: Buffer | null): void {
    if (!this.alive()) throw new RuntimeError(`map '${this.name}' used after its BPF object was closed`);
    if (key && key.length !== this.keySize) {
      throw new RangeError(`map '${this.name}': key is ${key.length} bytes, expected ${this.keySize}`);
    }
  }
}
