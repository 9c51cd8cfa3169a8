// The live EventSource: the kernel capture (./kernel) read into AppEvent batches.
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
import type { AppEvent, CountersEvent, EventSource, FlowCounters, Proto, SourceInfo } from '../events/types';
import { containerFromCgroupPath } from '../enrich/containers';
import { decodeRecord, decodeTcpSock, decodeUdpFlow, decodeUdpKey } from '../events/decode';
import { closeOnExit } from '../loader/shutdown';
import { probe } from '../loader/probe';
import { liveCaptureBlocker } from '../loader/readiness';
import { ensureTracefs } from '../loader/tracefs';
import type { BpfMap, RingReader } from '../loader';
import { VERSION } from '../version';
import { openKernelCapture, type CaptureSizes, type KernelCapture } from './kernel';
import { monotonicNs } from './clock';

export interface LiveSourceOptions {
  intervalMs: number;
  /** Inserts facts into each batch (the enricher); identity when absent. */
  enrich?: (batch: AppEvent[]) => AppEvent[];
  objectPath?: string;
  sizes?: CaptureSizes;
  /** How often the ring buffer is drained between intervals. Default 50 ms. */
  drainMs?: number;
}

const STAT_LOST = 0;
const STAT_EVICTED = 1;

function sameCounters(a: FlowCounters, b: FlowCounters): boolean {
  return a.bytesSent === b.bytesSent && a.bytesReceived === b.bytesReceived && a.packetsSent === b.packetsSent
    && a.packetsReceived === b.packetsReceived && a.retransmits === b.retransmits && a.srttUs === b.srttUs;
}

/** A flow this source reported open and has not closed yet. */
interface Known {
  proto: Proto;
  /** TCP state last reported (open or flow-state event). */
  state: string;
  /** Counters last reported, so only changes are emitted. */
  counters: FlowCounters;
}

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

function bootTimeMs(): number {
  return Date.now() - monotonicNs() / 1e6;
}

/** Throws the loader's typed error (permission, not supported, libbpf missing) before
 * touching the kernel, so the message says what is missing rather than an errno. */
function checkReady(): void {
  ensureTracefs();
  const blocker = liveCaptureBlocker(probe(true));
  if (blocker) throw blocker;
}

export async function openLiveSource(opts: LiveSourceOptions): Promise<EventSource> {
  checkReady();
  const capture = openKernelCapture(opts.objectPath, opts.sizes);
  const source = new LiveSource(capture, opts);
  return source;
}

class LiveSource implements EventSource {
  readonly info: SourceInfo;
  private readonly ring: RingReader;
  private readonly tcpSocks: BpfMap;
  private readonly udpFlows: BpfMap;
  private readonly udpSocks: BpfMap;
  private readonly stats: BpfMap;
  private readonly statKeys = [STAT_LOST, STAT_EVICTED].map((i) => { const k = Buffer.alloc(4); k.writeUInt32LE(i); return k; });
  private readonly enrich: (batch: AppEvent[]) => AppEvent[];
  /** Events decoded since the last batch. */
  private pending: AppEvent[] = [];
  /** Open flows this source reported, with the counters last reported. */
  private readonly known = new Map<number, Known>();
  /** The lost count last seen, and how many intervals still sweep because it grew. */
  private lostSeen = 0;
  private sweepsLeft = 0;
  /** UDP sockets released since the last interval: their flows close at the next read. */
  private releasedUdp = new Set<number>();
  private readonly ready: AppEvent[][] = [];
  private waiter: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private failure: unknown = null;
  private readonly unregister: () => void;

  constructor(private readonly capture: KernelCapture, opts: LiveSourceOptions) {
    const { obj } = capture;
    this.enrich = opts.enrich ?? ((b) => b);
    this.tcpSocks = obj.map('tcp_socks');
    this.udpFlows = obj.map('udp_flows');
    this.udpSocks = obj.map('udp_socks');
    this.stats = obj.map('stats');
    this.info = {
      mode: 'live',
      hostname: os.hostname(),
      kernel: os.release(),
      cpus: os.cpus().length,
      bootTimeMs: bootTimeMs(),
      cgroupRoot: capture.cgroupRoot,
      hooks: capture.hooks,
      intervalMs: opts.intervalMs,
      sockscopeVersion: VERSION,
    };
    for (const w of capture.warnings) process.stderr.write(`sockscope: ${w}\n`);
    this.ring = obj.ringBuffer('events', (data) => this.onRecord(data));
    this.unregister = closeOnExit(() => this.capture.obj.close());
    // Connections that exist already: the iterator adds them to tcp_socks (seen_at_start;
    // the first interval's snapshot sends their opens), and marks open UDP sockets.
    if (capture.hooks.includes('list_sockets')) obj.runIterator('list_sockets');
    this.ring.start(opts.drainMs ?? 50, (err) => this.fail(err));
    this.timer = setInterval(() => this.interval(), opts.intervalMs);
    // The first batch comes right away (the connections found at start), so that the
    // screen has data within a fraction of a second.
    setImmediate(() => this.interval());
  }

  private onRecord(data: Buffer): void {
    const rec = decodeRecord(data);
    if (rec === null) return;
    switch (rec.type) {
      case 'udp-release':
        this.releasedUdp.add(rec.cookie);
        return;
      case 'cgroup-mkdir':
        // The path as the kernel named it at creation: the enricher learns it, so that a
        // cgroup gone before any walk of the tree (a short-lived container) resolves.
        this.pending.push({ type: 'cgroup', cgroupId: rec.cgroupId, path: rec.path, container: containerFromCgroupPath(rec.path) });
        return;
      case 'flow-close':
        this.known.delete(rec.flowId);
        break;
      case 'flow-open':
        this.known.set(rec.flowId, { proto: rec.proto, state: rec.state, counters: ZERO });
        break;
      case 'flow-brief':
        // Opened and closed since the last snapshot: never known as open.
        this.pending.push(rec.open, rec.close);
        return;
    }
    this.pending.push(rec);
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
      const knownBefore = sweeping ? new Set(this.known.keys()) : null;
      const inMaps = sweeping ? new Set<number>() : null;
      const changed: CountersEvent['flows'] = [];
      const states: AppEvent[] = [];
      for (const [, v] of this.tcpSocks.entries()) {
        const s = decodeTcpSock(v);
        inMaps?.add(s.flowId);
        if (!s.tracked || s.snapTs === 0) continue;
        // Intermediate states are sampled here, once per interval (open and close are exact).
        const k = this.known.get(s.flowId);
        if (k !== undefined && k.state !== s.state) {
          k.state = s.state;
          states.push({ type: 'flow-state', ts: s.snapTs, flowId: s.flowId, state: s.state });
        }
        this.report(s.flowId, s.counters, changed);
      }
      // Sockets with UDP flows, read before udp_flows: an entry of udp_flows whose socket
      // is missing here was released (its open record came after its udp_socks entry).
      const udpSockets = sweeping ? new Set([...this.udpSocks.keys()].map((k) => Number(k.readBigUInt64LE(0)))) : null;
      const closes: AppEvent[] = [];
      const orphans: Orphan[] = [];
      const released = this.releasedUdp;
      this.releasedUdp = new Set();
      for (const [k, v] of this.udpFlows.entries()) {
        const { flowId, counters } = decodeUdpFlow(v);
        const { cookie } = decodeUdpKey(k);
        inMaps?.add(flowId);
        if (released.has(cookie)) {
          this.udpFlows.delete(k);
          this.known.delete(flowId);
          closes.push({ type: 'flow-close', ts, flowId, counters });
        } else if (udpSockets !== null && knownBefore!.has(flowId) && !udpSockets.has(cookie)) {
          orphans.push({ key: k, flowId, cookie, counters });
        } else {
          this.report(flowId, counters, changed);
        }
      }
      if (sweeping) closes.push(...this.sweep(ts, knownBefore!, inMaps!, orphans));
      const batch = this.pending;
      this.pending = [];
      batch.push(...states);
      if (changed.length > 0) batch.push({ type: 'counters', ts, flows: changed });
      batch.push(...closes);
      batch.push({ type: 'tick', ts, wallMs: Date.now(), lost: this.stat(STAT_LOST), evicted: this.stat(STAT_EVICTED) });
      this.ready.push(this.enrich(batch));
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
      const k = this.known.get(flowId);
      if (k === undefined || inMaps.has(flowId)) continue; // closed by a record, or still open
      this.known.delete(flowId);
      closes.push({ type: 'flow-close', ts, flowId, counters: k.counters });
    }
    return closes;
  }

  private report(flowId: number, counters: FlowCounters, out: CountersEvent['flows']): void {
    const k = this.known.get(flowId);
    // A map entry whose open record has not been read yet: wait for the open.
    if (k === undefined || sameCounters(k.counters, counters)) return;
    k.counters = counters;
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

  async *batches(): AsyncIterable<AppEvent[]> {
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
    this.capture.obj.close();
    this.unregister();
    this.wake();
  }
}

const ZERO: FlowCounters = { bytesSent: 0, bytesReceived: 0, packetsSent: 0, packetsReceived: 0, retransmits: 0, srttUs: 0 };
