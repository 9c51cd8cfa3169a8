// The Engine API client against a real HTTP server on a real unix socket, answering the
// way Docker and podman do (GET /containers/{id}/json -> {"Id": ..., "Name": "/name"}).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { detectRuntimeSocket, RuntimeApiClient } from '../../src/enrich/runtime-api';

const KNOWN = 'a'.repeat(64);
const SLOW = 'b'.repeat(64);
const MISSING = 'c'.repeat(64);

describe('RuntimeApiClient', () => {
  let dir: string;
  let socketPath: string;
  let server: Server;
  let hits: string[];
  let now = 0;
  let client: RuntimeApiClient | null = null;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sockscope-enrich-api-'));
    socketPath = join(dir, 'api.sock');
    hits = [];
    now = 0;
    server = createServer((req, res) => {
      hits.push(req.url ?? '');
      if (req.url === `/containers/${KNOWN}/json`) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ Id: KNOWN, Name: '/web-1', Config: { Labels: {} } }));
      } else if (req.url === `/containers/${SLOW}/json`) {
        // Never answers: the client must give up on its own.
      } else {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: 'no such container' }));
      }
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  });

  afterEach(async () => {
    client?.close();
    client = null;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  function makeClient(answers: Array<[string, string | null]>, extra = {}) {
    client = new RuntimeApiClient({ socketPath, now: () => now, onAnswer: (id, name) => answers.push([id, name]), ...extra });
    return client;
  }

  test('a name, then served from the cache', async () => {
    const answers: Array<[string, string | null]> = [];
    const c = makeClient(answers);
    c.want(KNOWN);
    c.want(KNOWN); // already asked
    await c.idle();
    expect(answers).toEqual([[KNOWN, 'web-1']]);
    expect(c.cached(KNOWN)).toBe('web-1');
    c.want(KNOWN);
    await c.idle();
    expect(hits).toEqual([`/containers/${KNOWN}/json`]);
  });

  test('404 is cached as "no name" for the negative lifetime only', async () => {
    const answers: Array<[string, string | null]> = [];
    const c = makeClient(answers, { negativeTtlMs: 10_000 });
    c.want(MISSING);
    await c.idle();
    expect(answers).toEqual([[MISSING, null]]);
    expect(c.cached(MISSING)).toBeNull();
    c.want(MISSING);
    await c.idle();
    expect(hits.length).toBe(1);
    now = 10_001;
    expect(c.cached(MISSING)).toBeUndefined();
    c.want(MISSING);
    await c.idle();
    expect(hits.length).toBe(2);
  });

  test('a daemon that does not answer costs one timeout, and want() never waits', async () => {
    const answers: Array<[string, string | null]> = [];
    const c = makeClient(answers, { timeoutMs: 200 });
    const t0 = performance.now();
    c.want(SLOW);
    expect(performance.now() - t0).toBeLessThan(50);
    await c.idle();
    const waited = performance.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(190);
    expect(waited).toBeLessThan(1500);
    expect(answers).toEqual([[SLOW, null]]);
  });

  test('no daemon behind the socket path', async () => {
    const answers: Array<[string, string | null]> = [];
    client = new RuntimeApiClient({ socketPath: join(dir, 'nobody.sock'), now: () => now, onAnswer: (id, name) => answers.push([id, name]) });
    client.want(KNOWN);
    await client.idle();
    expect(answers).toEqual([[KNOWN, null]]);
  });

  test('at most maxInFlight requests at once; the rest queue', async () => {
    const answers: Array<[string, string | null]> = [];
    const c = makeClient(answers, { maxInFlight: 2 });
    const ids = ['1', '2', '3', '4', '5'].map((d) => d.repeat(64));
    for (const id of ids) c.want(id);
    expect(c.requests).toBe(2);
    await c.idle();
    expect(c.requests).toBe(5);
    expect(answers.map(([id]) => id).sort()).toEqual(ids);
  });
});

describe('detectRuntimeSocket', () => {
  test('takes the first candidate that is a socket, skipping plain files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sockscope-enrich-detect-'));
    const file = join(dir, 'docker.sock');
    writeFileSync(file, '');
    const sock = join(dir, 'podman.sock');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(sock, resolve));
    try {
      expect(detectRuntimeSocket([join(dir, 'absent.sock'), file, sock])).toBe(sock);
      expect(detectRuntimeSocket([file])).toBeNull();
    } finally {
      await new Promise((resolve) => server.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
