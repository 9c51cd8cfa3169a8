// sockscope refuses a Node older than package.json's engines with one line and exit 4,
// instead of failing later on an API that Node lacks.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import pkg from '../../package.json' with { type: 'json' };
import { MIN_NODE, isNodeTooOld } from '../../src/node-version';
import { CLI, ensureBuilt } from '../helpers/cli';

beforeAll(() => ensureBuilt());

describe('Node.js version check', () => {
  it('MIN_NODE is what package.json engines says', () => {
    expect(pkg.engines.node).toBe(`>=${MIN_NODE.join('.')}`);
  });

  it.each([
    ['20.20.2', true], ['22.14.0', true], ['21.99.0', true],
    ['22.15.0', false], ['22.16.1', false], ['23.0.0', false], ['24.21.0', false],
  ])('%s too old: %s', (version, tooOld) => {
    expect(isNodeTooOld(version)).toBe(tooOld);
  });

  // Debian's own nodejs (20 on bookworm) sits on PATH next to the Node 24 sockscope uses.
  const debianNode = '/usr/bin/node';
  const oldNode = existsSync(debianNode) && isNodeTooOld(spawnSync(debianNode, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim());
  it.runIf(oldNode)('the CLI under an older Node exits 4 with one line', () => {
    const r = spawnSync(debianNode, [CLI, 'info', 'recordings/none.ssrec'], { encoding: 'utf8' });
    expect(r.status).toBe(4);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^sockscope: Node\.js 20\.\d+\.\d+ is too old: sockscope needs Node\.js 22\.15 or later/);
  });
});
