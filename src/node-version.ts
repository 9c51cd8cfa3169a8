// package.json's engines.node, checked before any command runs: on an older Node a
// command would otherwise get far and then fail with a stack trace from an API that
// Node lacks (ArrayBuffer.prototype.transfer, zstd in node:zlib).
import { NotSupportedError } from './errors';

export const MIN_NODE: readonly [major: number, minor: number] = [22, 15];

/** Whether a Node version string ("20.20.2") is older than MIN_NODE. */
export function isNodeTooOld(version: string): boolean {
  const [major, minor] = version.split('.').map(Number);
  return major < MIN_NODE[0] || (major === MIN_NODE[0] && minor < MIN_NODE[1]);
}

/** Throws the one-line exit-4 error when this Node is too old. */
export function requireNodeVersion(version = process.versions.node): void {
  if (isNodeTooOld(version)) {
    throw new NotSupportedError(`Node.js ${version} is too old: sockscope needs Node.js ${MIN_NODE.join('.')} or later (or the self-contained binary)`);
  }
}
