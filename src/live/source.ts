// The live source: the kernel capture (./kernel) read into batches of events, the flow
// records among them as kernel-records runs.
// Lifecycle records come from the ring buffer, drained on a short timer so that it never
// fills between intervals; counters never cross as events: once per interval the
// `snapshot` program refreshes tcp_socks in the kernel and this module reads the maps,
// emitting only the flows whose counters changed. A TCP flow's open is sent by that
// snapshot (or, for a flow that ended before it, together with its close in one record),
// and its TCP state is read from the map: a flow-state event when it differs from the one
// last reported. One batch per interval, ending with a tick that carries the cumulative
// lost/evicted counts. After ring-buffer losses, flows whose close record may be among the
// lost are closed from what the maps show (sweep()).
import os from 'node:os';
import { readFileSync } from 'node:fs';
import type { AppEvent, CountersEvent, FlowCounters, Proto, SourceInfo } from '../events/types';
import { containerFromCgroupPath } from '../enrich/containers';
import { decodeCounters, decodeRecord, le32, tcpSockAt, tcpStateName, udpFlowAt } from '../events/decode';
import { KernelRecordRun, isFlowRecordType, isWholeFlowRecord, openRecordAt, type RecordedEvent } from '../events/kernel-records';
import { REC, TCP_SOCK } from '../events/layout';
import { closeOnExit } from '../loader/shutdown';
import { SPILL } from '../loader/hooks';
import { KnownFlows } from './known-flows';
import { MemoryReturner } from './native-memory';
import { probe } from '../loader/probe';
import { liveCaptureBlocker } from '../loader/readiness';
import { ensureTracefs } from '../loader/tracefs';
import type { BpfMap, RingReader } from '../loader';
import { SlotIndexedMap } from '../loader/slot-index';
import { VERSION } from '../version';
import { favourDrainThread } from './drain-priority';
import { openKernelCaptureOffThread, type CaptureSizes, type KernelCapture } from './kernel';
import { monotonicNs } from './clock';

export interface LiveSourceOptions<E = AppEvent> {
  intervalMs: number;
  /** Inserts facts into each batch (the enricher); identity when absent. */
  enrich?: (batch: E[]) => E[];
  objectPath?: string;
  sizes?: CaptureSizes;
  /** How often the ring buffer is drained between intervals. Default RECORDING_DRAIN_MS. */
  drainMs?: number;
  /** Give freed native memory back in every quiet interval (native-memory.ts; the TUI). */
  trimWhenQuiet?: boolean;
}

const STAT_LOST = 0;
const STAT_EVICTED = 1;

/** A UDP flow whose socket is gone from udp_socks but whose release record never came. */
interface Orphan {
  key: Buffer;
  flowId: number;
  cookie: number;
  counters: FlowCounters;
}

/** Intervals that sweep after the lost count grew: two, because the kernel counts a lost
 * close before it deletes the socket's map entry, so a read between the two still
 * shows the entry; the next interval no longer does. */
const SWEEPS_AFTER_LOSS = 2;

/** Most snapshot runs per interval (each announces up to half the ring of flows). */
const SNAPSHOT_ROUNDS = 8;

/** The ring's drain period for `live`, as for `record` (below): 50 ms until 2026-11-29;
 * at 200 ms `live --format jsonl` spent 0.914 of the CPU per connection under churn
 * (0.772-0.962, lower in 6 of 6, live-steady --together), with no event lost in the
 * capacity runs at the machine's maximum rate (8 MiB `events` holds about 3 drains there). */
const DRAIN_MS = 200;
/** The drain period for `record`: every drain is a timer wake-up of the main thread and a
 * context switch on a busy host, and record keeps nothing per record between drains but the
 * bytes. Under churn its CPU per connection fell by about 9% at 100 rather than 50 ms, and by
 * 10% more at 200 (bench/live-steady.mjs --together, docs/performance.md); the 16 MiB ring
 * holds about 1.7 s of records at the machine's maximum connection rate, and no event was
 * lost there at 200 ms (bench/loss-at-max-rate.mjs). */
const RECORDING_DRAIN_MS = 200;

/** The rings' sizes per command: a larger overflow ring than the object's 16 + 16 MiB in
 * both, a smaller `events` in `live`. All of `events` is resident in the process from the
 * start (its mapping gets every page at mmap), the spill's data pages only while it holds
 * records, and the kernel allocates both whole when the maps are created. `live`'s 8 + 32
 * MiB takes 8 MiB off its resident memory (the TUI at 100,000 held flows: the BPF-map
 * mappings 16,436 -> 8,244 KiB) and covers a longer stalled drain than 16 + 16 (40 MiB of
 * records, about 4.6 s at 25,000 loopback connections/s, instead of 3.6); `events` alone
 * still holds about 0.9 s at that rate, 4 of its 200 ms drains. `record`, whose file is
 * the point, keeps its 16 MiB `events` for 48 MiB of cover: stopped for 2.5 s under a
 * churn at the machine's full rate with no other monitor attached, it lost records in
 * every run with 16 + 16 and with 8 + 32, with 16 + 32 in none (bpf/README.md, sizes). */
const RING_SIZES: Record<'live' | 'record', CaptureSizes> = {
  live: { ringBytes: 8 << 20, spillBytes: 32 << 20 },
  record: { ringBytes: 16 << 20, spillBytes: 32 << 20 },
};

/** An interval with fewer ring records than this is quiet (a burst is over). */
const QUIET_RECORDS = 1000;

function bootTimeMs(): number {
  return Date.now() - monotonicNs() / 1e6;
}

/** What a live source says about itself; before its capture is open (PendingSource), no
 * hooks and no cgroup root yet. */
export function liveSourceInfo(intervalMs: number, capture?: KernelCapture): SourceInfo {
  return {
    mode: 'live',
    hostname: os.hostname(),
    kernel: os.release(),
    cpus: os.cpus().length,
    bootTimeMs: bootTimeMs(),
    cgroupRoot: capture?.cgroupRoot ?? null,
    hooks: capture?.hooks ?? [],
    intervalMs,
    sockscopeVersion: VERSION,
  };
}

/** Throws the loader's typed error (permission, not supported, libbpf missing) before
 * touching the kernel, so the message says what is missing rather than an errno. */
function checkReady(): void {
  ensureTracefs();
  const blocker = liveCaptureBlocker(probe(true));
  if (blocker) throw blocker;
}

/** The live source for `sockscope live`: flow records pass through as kernel-records runs,
 * as for a recording, drained every DRAIN_MS; the consumer folds them
 * with applyRecordedBatch (src/core/apply-runs.ts), without an event object per record. */
export async function openLiveRunsSource(opts: LiveSourceOptions<RecordedEvent>): Promise<RecordedEventSource> {
  checkReady();
  return new LiveSource(await capture({ ...opts, sizes: { ...RING_SIZES.live, ...opts.sizes } }), { drainMs: DRAIN_MS, ...opts });
}

/** The live source for a recording: flow records pass through as kernel-records runs. */
export async function openRecordingLiveSource(opts: LiveSourceOptions<RecordedEvent>): Promise<RecordedEventSource> {
  checkReady();
  return new LiveSource(await capture({ ...opts, sizes: { ...RING_SIZES.record, ...opts.sizes } }), opts);
}

/** The kernel's verifier runs on a worker thread: the caller may import or set up meanwhile. */
function capture(opts: { objectPath?: string; sizes?: CaptureSizes }): Promise<KernelCapture> {
  return openKernelCaptureOffThread(opts.objectPath, opts.sizes);
}

/** An EventSource whose batches may hold kernel-records runs (recordings only). */
export interface RecordedEventSource {
  readonly info: SourceInfo;
  batches(): AsyncIterable<RecordedEvent[]>;
  close(): Promise<void>;
}

class LiveSource implements RecordedEventSource {
  readonly info: SourceInfo;
  private readonly ring: RingReader;
  private readonly tcpSocks: SlotIndexedMap;
  private readonly udpFlows: BpfMap;
  private readonly udpSocks: BpfMap;
  private readonly stats: BpfMap;
  private readonly statKeys = [STAT_LOST, STAT_EVICTED].map((i) => { const k = Buffer.alloc(4); k.writeUInt32LE(i); return k; });
  private readonly enrich: (batch: RecordedEvent[]) => RecordedEvent[];
  /** Events decoded since the last batch. */
  private pending: RecordedEvent[] = [];
  /** The flow records not yet in `pending`, in ring order. */
  private readonly run = new KernelRecordRun();
  /** Open flows this source reported, with the state and counters last reported. */
  private readonly known = new KnownFlows();
  /** The lost count last seen, and how many intervals still sweep because it grew. */
  private lostSeen = 0;
  private sweepsLeft = 0;
  private readonly memory: MemoryReturner;
  /** Ring records read as of the last interval. */
  private recordsSeen = 0;
  /** UDP sockets released since the last interval: their flows close at the next read. */
  private releasedUdp = new Set<number>();
  private readonly ready: RecordedEvent[][] = [];
  private waiter: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private failure: unknown = null;
  private readonly unregister: () => void;

  constructor(private readonly capture: KernelCapture, opts: LiveSourceOptions<RecordedEvent>) {
    const { obj } = capture;
    this.enrich = opts.enrich ?? ((b) => b);
    this.memory = new MemoryReturner({ trimWhenQuiet: opts.trimWhenQuiet });
    const changedSlots = obj.mapNames().includes('changed_slots') ? obj.map('changed_slots') : null;
    this.tcpSocks = new SlotIndexedMap(obj.map('tcp_socks'), obj.map('live_slots'), obj.map('slot_keys'), TCP_SOCK.members.slot.offset, changedSlots);
    this.udpFlows = obj.map('udp_flows');
    this.udpSocks = obj.map('udp_socks');
    this.stats = obj.map('stats');
    this.info = liveSourceInfo(opts.intervalMs, capture);
    for (const w of capture.warnings) process.stderr.write(`sockscope: ${w}\n`);
    // The overflow ring, when the object has one (every object built from this tree).
    const spill = obj.mapNames().includes(SPILL.ring) ? SPILL : undefined;
    this.ring = obj.ringBufferAt('events', (buf, offset, length) => this.onRecord(buf, offset, length), { spill });
    favourDrainThread();
    this.unregister = closeOnExit(() => this.capture.obj.close());
    // Connections that exist already: the iterator adds them to tcp_socks (seen_at_start;
    // the first interval's snapshot sends their opens), and marks open UDP sockets.
    if (capture.hooks.includes('list_sockets')) obj.runIterator('list_sockets');
    this.ring.start(opts.drainMs ?? RECORDING_DRAIN_MS, (err) => this.fail(err));
    this.timer = setInterval(() => this.interval(), opts.intervalMs);
    // The first batch comes right away (the connections found at start), so that the
    // screen has data within a fraction of a second.
    setImmediate(() => this.interval());
  }

  /** One ring record: `length` bytes at `offset` in `buf`, valid during the call only. */
  private onRecord(buf: Buffer, offset: number, length: number): void {
    // le32, not readUInt32LE: its argument checks keep it from being inlined (per record).
    const type = length >= 4 ? le32(buf, offset) : -1;
    if (isFlowRecordType(type)) {
      // A record cut short is dropped, as decodeRecord drops it.
      if (isWholeFlowRecord(type, length)) this.passRecord(buf, offset, length, type);
      return;
    }
    const rec = decodeRecord(buf.subarray(offset, offset + length));
    if (rec === null) return;
    // An event is about to be queued: the run of records before it goes first.
    if (rec.type !== 'udp-release') this.takeRun();
    switch (rec.type) {
      case 'udp-release':
        this.releasedUdp.add(rec.cookie);
        return;
      case 'cgroup-mkdir':
        // The path as the kernel named it at creation: the enricher learns it, so that a
        // cgroup gone before any walk of the tree (a short-lived container) resolves.
        this.pending.push({ type: 'cgroup', cgroupId: rec.cgroupId, path: rec.path, container: containerFromCgroupPath(rec.path) });
        return;
      case 'flow-brief': // flow records go into runs above (passRecord); never here
        return;
    }
    this.pending.push(rec);
  }

  /** Books a flow record as decodeRecord's events would (the open flows this source
   * knows), and adds its bytes to the run. */
  private passRecord(buf: Buffer, offset: number, length: number, type: number): void {
    if (type === REC.FLOW_OPEN) {
      const udp = openRecordAt.isUdp(buf, offset);
      const state = udp ? 'open' : tcpStateName(openRecordAt.state(buf, offset));
      this.known.open(openRecordAt.flowId(buf, offset), udp ? 'udp' : 'tcp', state);
    } else if (type === REC.FLOW_CLOSE) {
      this.known.delete(openRecordAt.flowId(buf, offset));
    }
    if (this.run.appendAt(buf, offset, length, type)) this.takeRun();
  }

  private takeRun(): void {
    const ev = this.run.take();
    if (ev) this.pending.push(ev);
  }

  /** One interval: drain, snapshot TCP, read TCP and UDP counters, close released UDP
   * flows (and, after losses, flows whose close was lost), then a tick. */
  private interval(): void {
    if (this.capture.obj.isClosed) return;
    try {
      // Read before the maps: a loss counted after this point is seen next interval.
      const lost = this.stat(STAT_LOST);
      if (lost > this.lostSeen) {
        this.lostSeen = lost;
        this.sweepsLeft = SWEEPS_AFTER_LOSS;
      }
      const sweeping = this.sweepsLeft > 0;
      if (sweeping) this.sweepsLeft--;
      this.ring.drain();
      // Each run is followed by a drain: the opens it sent are read, so that their
      // counters and states are reported in this same interval. A run that stopped
      // announcing (half the ring was waiting) runs again once the ring is read: the first
      // interval on a host with 100,000 connections announces them all.
      for (let round = 0; round < SNAPSHOT_ROUNDS; round++) {
        const more = this.capture.obj.runProgram('snapshot');
        this.ring.drain();
        if (more === 0) break;
      }
      const ts = monotonicNs();
      // Flows open as of the records read so far: only these can be swept (a flow whose
      // open record comes later may not be in the maps read below yet).
      const knownBefore = sweeping ? new Set(this.known.flowIds()) : null;
      const inMaps = sweeping ? new Set<number>() : null;
      const changed: CountersEvent['flows'] = [];
      const states: AppEvent[] = [];
      // Only the entries the snapshot found changed (or not reported yet), unless sweeping
      // (that needs every flow still in the map); read in place.
      this.tcpSocks.forEachEntryAt((_k, _ko, v, o) => {
        const flowId = tcpSockAt.flowId(v, o);
        inMaps?.add(flowId);
        if (!tcpSockAt.tracked(v, o)) return;
        if (!tcpSockAt.snapped(v, o)) return;
        // A map entry whose open record has not been read yet waits for the open.
        const k = this.known.slot(flowId);
        if (k === -1) return;
        // Intermediate states are sampled here, once per interval (open and close are exact).
        const state = tcpSockAt.state(v, o);
        if (this.known.state(k) !== state) {
          this.known.setState(k, state);
          states.push({ type: 'flow-state', ts: tcpSockAt.snapTs(v, o), flowId, state });
        }
        this.report(flowId, k, v, tcpSockAt.counters(o), 'tcp', changed);
      }, !sweeping);
      // Sockets with UDP flows, read before udp_flows: an entry of udp_flows whose socket
      // is missing here was released (its open record came after its udp_socks entry).
      const udpSockets = sweeping ? new Set([...this.udpSocks.keys()].map((k) => Number(k.readBigUInt64LE(0)))) : null;
      const closes: AppEvent[] = [];
      const orphans: Orphan[] = [];
      const released = this.releasedUdp;
      this.releasedUdp = new Set();
      const toDelete: Buffer[] = [];
      // With no UDP flow open as far as this source knows and none released, an entry of
      // udp_flows is one whose open record is still to come, which the walk would skip: the
      // walk (a batch read of every one of the map's buckets, about 0.4 ms of kernel time
      // however few hold an entry) is skipped too, which is most intervals of a TCP-only
      // host, idle or churning.
      if (this.known.udpCount > 0 || released.size > 0) this.udpFlows.forEachEntryAt((kb, ko, v, vo) => {
        const flowId = udpFlowAt.flowId(v, vo);
        const cookie = udpFlowAt.cookie(kb, ko);
        inMaps?.add(flowId);
        if (released.has(cookie)) {
          toDelete.push(Buffer.from(kb.subarray(ko, ko + this.udpFlows.keySize)));
          this.known.delete(flowId);
          closes.push({ type: 'flow-close', ts, flowId, counters: decodeCounters(v, udpFlowAt.counters(vo), 'udp') });
        } else if (udpSockets !== null && knownBefore!.has(flowId) && !udpSockets.has(cookie)) {
          const key = Buffer.from(kb.subarray(ko, ko + this.udpFlows.keySize));
          orphans.push({ key, flowId, cookie, counters: decodeCounters(v, udpFlowAt.counters(vo), 'udp') });
        } else {
          const k = this.known.slot(flowId);
          if (k !== -1) this.report(flowId, k, v, udpFlowAt.counters(vo), 'udp', changed);
        }
      });
      // Deleted after the walk: a batch read must not see its map change under it.
      for (const key of toDelete) this.udpFlows.delete(key);
      if (sweeping) closes.push(...this.sweep(ts, knownBefore!, inMaps!, orphans));
      this.takeRun();
      this.run.settle();
      const batch = this.pending;
      this.pending = [];
      batch.push(...states);
      if (changed.length > 0) batch.push({ type: 'counters', ts, flows: changed });
      batch.push(...closes);
      batch.push({ type: 'tick', ts, wallMs: Date.now(), lost: this.stat(STAT_LOST), evicted: this.stat(STAT_EVICTED) });
      this.ready.push(this.enrich(batch));
      // Memory a burst left behind goes back to the kernel (native-memory.ts).
      const records = this.ring.records;
      this.memory.maybeReclaim(records - this.recordsSeen < QUIET_RECORDS);
      this.recordsSeen = records;
    } catch (err) {
      this.fail(err);
    }
    this.wake();
  }

  /** Closes what lost records left open: a TCP flow gone from tcp_socks (the kernel
   * deletes the entry at close) closes with the counters last reported; a UDP flow whose
   * socket is gone from udp_socks closes with its map counters and its entry is deleted,
   * as a release record would have done. The ring is drained once more first: a close
   * or release record written between the first drain and the map reads is there, and
   * its flow closes from the record instead (a record still being written on another CPU
   * can slip through: the reducer then keeps the first close). */
  private sweep(ts: number, knownBefore: Set<number>, inMaps: Set<number>, orphans: Orphan[]): AppEvent[] {
    this.ring.drain();
    const closes: AppEvent[] = [];
    for (const o of orphans) {
      if (this.releasedUdp.has(o.cookie)) continue; // released just now: the next interval closes it
      this.udpFlows.delete(o.key);
      if (this.known.delete(o.flowId)) closes.push({ type: 'flow-close', ts, flowId: o.flowId, counters: o.counters });
    }
    for (const flowId of knownBefore) {
      const k = this.known.slot(flowId);
      if (k === -1 || inMaps.has(flowId)) continue; // closed by a record, or still open
      const counters = this.known.countersOf(k);
      this.known.delete(flowId);
      closes.push({ type: 'flow-close', ts, flowId, counters });
    }
    return closes;
  }

  /** Adds the flow's counters at `base` to `out` when they differ from those last reported. */
  private report(flowId: number, slot: number, b: Buffer, base: number, proto: Proto, out: CountersEvent['flows']): void {
    if (this.known.sameAt(slot, b, base)) return;
    const counters = decodeCounters(b, base, proto);
    this.known.setCounters(slot, counters);
    out.push({ flowId, ...counters });
  }

  private stat(i: number): number {
    const all = this.stats.lookupPerCpu(this.statKeys[i]);
    if (!all) return 0;
    let n = 0;
    for (const b of all) n += Number(b.readBigUInt64LE(0));
    return n;
  }

  private fail(err: unknown): void {
    if (this.failure === null) this.failure = err;
    this.stopTimers();
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  private stopTimers(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.ring.stop();
  }

  async *batches(): AsyncIterable<RecordedEvent[]> {
    for (;;) {
      while (this.ready.length > 0) yield this.ready.shift()!;
      if (this.failure !== null) {
        const err = this.failure;
        this.failure = null;
        throw err;
      }
      if (this.closed) return;
      await new Promise<void>((r) => (this.waiter = r));
    }
  }

  /** Stops capture after one last interval (final counters), then frees everything. The
   * iterator yields that last batch and ends. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.stopTimers();
    if (!this.capture.obj.isClosed) this.interval();
    this.closed = true;
    this.ring.close();
    this.tcpSocks.close();
    this.capture.obj.close();
    this.unregister();
    this.wake();
  }
}
