// Container names from a Docker-compatible Engine API on a unix socket: Docker's own, or
// podman's `podman system service` (which serves the same /containers/{id}/json). The
// cgroup path gives the id; only the runtime knows the name. Lookups are asynchronous,
// time out quickly, are cached (found and not found), and are few at a time: the caller
// never waits for them, it gets the answers later.
import { statSync } from 'node:fs';
import type { Agent } from 'node:http';

/** node:http, loaded by the first client (most hosts have no container runtime socket: a
 * bare node with the TTY's modules was 1.4 MiB larger with node:http loaded), and as its
 * CommonJS exports, not through an ES import: that reads every export, and one of its lazy
 * ones loads undici and the web streams (745 KB of source to compile; a bare node that
 * imported node:http was 59.5 MiB resident, 47.2 with getBuiltinModule), which sockscope
 * never uses. */
function http(): typeof import('node:http') {
  return process.getBuiltinModule('node:http');
}

/** Where Docker and rootful podman listen by default. */
export const DEFAULT_SOCKETS = ['/var/run/docker.sock', '/run/docker.sock', '/run/podman/podman.sock'];

/** The first candidate that exists and is a socket, or null. */
export function detectRuntimeSocket(candidates: string[] = DEFAULT_SOCKETS): string | null {
  for (const path of candidates) {
    try {
      if (statSync(path).isSocket()) return path;
    } catch {
      // absent
    }
  }
  return null;
}

export interface RuntimeApiOptions {
  socketPath: string;
  /** Clock in ms for the cache lifetimes. */
  now: () => number;
  /** Called once per finished lookup with the name, or null when the runtime has no
   * container by that id or did not answer in time. */
  onAnswer: (id: string, name: string | null) => void;
  timeoutMs?: number;
  /** How long a found name is trusted (containers can be renamed). */
  positiveTtlMs?: number;
  /** How long "no such container" or "no answer" is trusted. */
  negativeTtlMs?: number;
  /** Requests in flight at once; further ids wait in a bounded queue. */
  maxInFlight?: number;
  maxQueued?: number;
}

/** Inspect answers of a busy container can be tens of KiB; refuse anything absurd. */
const MAX_BODY_BYTES = 1 << 20;

type Answer = { ok: true; name: string | null } | { ok: false };

/** GET /containers/{id}/json and pull `Name` ("/name" in Docker's answer). */
function inspect(agent: Agent, socketPath: string, id: string, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve) => {
    const req = http().request(
      { socketPath, agent, method: 'GET', path: `/containers/${encodeURIComponent(id)}/json`, headers: { host: 'localhost' } },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) req.destroy(new Error('answer too large'));
          else chunks.push(chunk);
        });
        res.on('end', () => {
          if (res.statusCode === 404) return resolve({ ok: true, name: null });
          if (res.statusCode !== 200) return resolve({ ok: false });
          try {
            const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { Name?: unknown };
            const name = typeof body.Name === 'string' && body.Name !== '' ? body.Name.replace(/^\//, '') : null;
            resolve({ ok: true, name });
          } catch {
            resolve({ ok: false });
          }
        });
        res.on('error', () => resolve({ ok: false }));
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ ok: false }));
    req.end();
  });
}

interface CacheEntry {
  name: string | null;
  expiresMs: number;
}

export class RuntimeApiClient {
  readonly socketPath: string;
  private readonly onAnswer: RuntimeApiOptions['onAnswer'];
  private readonly now: () => number;
  private readonly timeoutMs: number;
  private readonly positiveTtlMs: number;
  private readonly negativeTtlMs: number;
  private readonly maxInFlight: number;
  private readonly maxQueued: number;
  private readonly agent: Agent;
  private readonly cache = new Map<string, CacheEntry>();
  private readonly inFlight = new Set<string>();
  private readonly queue = new Set<string>();
  private readonly running = new Set<Promise<void>>();
  private closed = false;
  /** Requests sent, for tests and diagnostics. */
  requests = 0;

  constructor(opts: RuntimeApiOptions) {
    this.socketPath = opts.socketPath;
    this.onAnswer = opts.onAnswer;
    this.now = opts.now;
    this.timeoutMs = opts.timeoutMs ?? 300;
    this.positiveTtlMs = opts.positiveTtlMs ?? 60_000;
    this.negativeTtlMs = opts.negativeTtlMs ?? 10_000;
    this.maxInFlight = opts.maxInFlight ?? 4;
    this.maxQueued = opts.maxQueued ?? 1024;
    // Keep-alive: lookups come in bursts when capture starts; a few connections serve them.
    this.agent = new (http().Agent)({ keepAlive: true, maxSockets: this.maxInFlight });
  }

  /** The cached answer: a name, null for "known to have none", undefined for "not known". */
  cached(id: string): string | null | undefined {
    const hit = this.cache.get(id);
    if (!hit || hit.expiresMs <= this.now()) return undefined;
    return hit.name;
  }

  /** Asks for the name of `id` unless it is cached or already asked for. Never waits:
   * the answer arrives through `onAnswer`. When the queue is full the id is dropped; a
   * later want() asks again. */
  want(id: string): void {
    if (this.closed || this.inFlight.has(id) || this.queue.has(id)) return;
    if (this.cached(id) !== undefined) return;
    if (this.queue.size >= this.maxQueued) return;
    this.queue.add(id);
    this.pump();
  }

  /** Resolves when no lookup is queued or running (tests, orderly shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  close(): void {
    this.closed = true;
    this.queue.clear();
    this.agent.destroy();
  }

  private pump(): void {
    while (!this.closed && this.inFlight.size < this.maxInFlight && this.queue.size > 0) {
      const id = this.queue.values().next().value as string;
      this.queue.delete(id);
      this.inFlight.add(id);
      this.requests++;
      const job = inspect(this.agent, this.socketPath, id, this.timeoutMs).then((answer) => {
        this.inFlight.delete(id);
        this.running.delete(job);
        const name = answer.ok ? answer.name : null;
        this.cache.set(id, { name, expiresMs: this.now() + (name !== null ? this.positiveTtlMs : this.negativeTtlMs) });
        if (this.cache.size > 4096) this.cache.delete(this.cache.keys().next().value as string);
        if (!this.closed) this.onAnswer(id, name);
        this.pump();
      });
      this.running.add(job);
    }
  }
}
