// Runs the bundled CLI (dist/sockscope.mjs) the way a user does, with Node 24.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');
export const CLI = join(ROOT, 'dist', 'sockscope.mjs');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** Builds dist/sockscope.mjs when it is missing or older than src/. */
export function ensureBuilt(): void {
  if (existsSync(CLI) && statSync(CLI).mtimeMs >= newestMtime(join(ROOT, 'src'))) return;
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build failed: ${r.stderr}`);
}

/** stdout/stderr kept per run: replaying a busy host's recording as jsonl is many MB
 * (spawnSync's default of 1 MB would cut it off and kill the child). */
const MAX_OUTPUT_BYTES = 256 * 1024 * 1024;

export function runCli(args: string[], opts: SpawnSyncOptions = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000, maxBuffer: MAX_OUTPUT_BYTES, ...opts });
  return { code: r.status, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''), signal: r.signal };
}
