// The single binary works on a machine with no Node: copied alone into an empty folder
// and run with a PATH that has no node on it.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli';

const dir = mkdtempSync(join(tmpdir(), 'sockscope-bin-'));
const bin = join(dir, 'sockscope');
// Only system folders: no node_modules/.bin, no node anywhere.
const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: dir, LANG: 'C.UTF-8' };
const isRoot = process.getuid?.() === 0;

function run(args: string[]) {
  const r = spawnSync(bin, args, { cwd: dir, env, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-binary.mjs')], { cwd: ROOT, stdio: 'pipe' });
  copyFileSync(join(ROOT, 'dist', 'sockscope'), bin);
  execFileSync('chmod', ['755', bin]);
}, 300_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('dist/sockscope, alone in an empty folder, with no node on PATH', () => {
  it('has no node to lean on', () => {
    expect(spawnSync('sh', ['-c', 'command -v node'], { env }).status).not.toBe(0);
    expect(readdirSync(dir)).toEqual(['sockscope']);
  });

  it('--version', async () => {
    const { version } = (await import('../../package.json', { with: { type: 'json' } })).default;
    const r = run(['--version']);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(version);
    expect(r.code).toBe(0);
  });

  it('doctor', () => {
    const r = run(['doctor']);
    expect(r.stdout).toMatch(/BTF/);
    expect(r.stdout).toMatch(/libbpf/);
    expect(r.code).toBe(isRoot ? 0 : 3);
  });

  it('replays the bundled demo recording as JSON lines', () => {
    const demo = readdirSync(join(ROOT, 'recordings')).find((f) => f.endsWith('.ssrec'));
    expect(demo, 'a recording in recordings/').toBeDefined();
    const r = run(['replay', join(ROOT, 'recordings', demo!), '--format', 'jsonl']);
    expect(r.code).toBe(0);
    const flows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(flows.length).toBeGreaterThan(0);
    expect(flows[0]).toHaveProperty('proto');
    expect(flows[0]).toHaveProperty('pid');
  });

  it.runIf(isRoot)('captures live for 3 s as root', () => {
    const r = run(['live', '--format', 'jsonl', '--duration', '3s']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const line of r.stdout.trim().split('\n').filter(Boolean)) expect(JSON.parse(line)).toHaveProperty('pid');
  });
});
