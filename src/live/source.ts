// The live EventSource: the kernel capture (./kernel) read into AppEvent batches.
// Lifecycle records come from the ring buffer, drained on a short timer so that it never
// fills between intervals; counters never cross as events: once per interval the
// `snapshot` program refreshes tcp_socks in the kernel and this module reads the maps,
// emitting only the flows whose counters changed. One batch per interval, ending with a
// tick that carries the cumulative lost/evicted counts.
import os from 'node:os';
import { readFileSync } from 'node:fs';
import type { AppEvent, CountersEvent, EventSource, FlowCounters, SourceInfo } from '../events/types';
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
  private readonly stats: BpfMap;
  private readonly statKeys = [STAT_LOST, STAT_EVICTED].map((i) => { const k = Buffer.alloc(4); k.writeUInt32LE(i); return k; });
  private readonly enrich: (batch: AppEvent[]) => AppEvent[];
  /** Events decoded since the last batch. */
  private pending: AppEvent[] = [];
  /** Counters last reported per open flow, so only changes are emitted. */
  private readonly lastCounters = new Map<number, FlowCounters>();
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
    // Connections that exist already: the iterator adds them to tcp_socks and emits their
    // FLOW_OPEN records (seen_at_start), and marks open UDP sockets.
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
    if (rec.type === 'udp-release') {
      this.releasedUdp.add(rec.cookie);
      return;
    }
    if (rec.type === 'flow-close') this.lastCounters.delete(rec.flowId);
    else if (rec.type === 'flow-open') this.lastCounters.set(rec.flowId, ZERO);
    this.pending.push(rec);
  }

  /** One interval: drain, snapshot TCP, read TCP and UDP counters, close released UDP
   * flows, then a tick. */
  private interval(): void {
    if (this.capture.obj.isClosed) return;
    try {
      this.ring.drain();
      this.capture.obj.runProgram('snapshot');
      const ts = monotonicNs();
      const changed: CountersEvent['flows'] = [];
      for (const [, v] of this.tcpSocks.entries()) {
        const s = decodeTcpSock(v);
        if (!s.tracked || s.snapTs === 0) continue;
        this.report(s.flowId, s.counters, changed);
      }
      const closes: AppEvent[] = [];
      const released = this.releasedUdp;
      this.releasedUdp = new Set();
      for (const [k, v] of this.udpFlows.entries()) {
        const { flowId, counters } = decodeUdpFlow(v);
        if (released.has(decodeUdpKey(k).cookie)) {
          this.udpFlows.delete(k);
          this.lastCounters.delete(flowId);
          closes.push({ type: 'flow-close', ts, flowId, counters });
        } else {
          this.report(flowId, counters, changed);
        }
      }
      const batch = this.pending;
      this.pending = [];
      if (changed.length > 0) batch.push({ type: 'counters', ts, flows: changed });
      batch.push(...closes);
      batch.push({ type: 'tick', ts, wallMs: Date.now(), lost: this.stat(STAT_LOST), evicted: this.stat(STAT_EVICTED) });
      this.ready.push(this.enrich(batch));
    } catch (err) {
      this.fail(err);
    }
    this.wake();
  }

  private report(flowId: number, counters: FlowCounters, out: CountersEvent['flows']): void {
    const last = this.lastCounters.get(flowId);
    // A map entry whose open record has not been read yet: wait for the open.
    if (last === undefined || sameCounters(last, counters)) return;
    this.lastCounters.set(flowId, counters);
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
