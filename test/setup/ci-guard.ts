// In CI the live BPF tests must run, never skip: CI runs as root on a kernel with BTF.
// Fail the whole run at once if that is not true, instead of letting them skip quietly.
import { existsSync } from 'node:fs';

export default function ciGuard(): void {
  // Ink 8 and the recording codec need Node >= 22.15: the tests must run on the Node 24
  // that `npm ci` installs (the `node` package), not a system Node found first on PATH.
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 22 || (major === 22 && minor < 15)) {
    throw new Error(`tests run on Node ${process.versions.node}; run them with 'npm test' after 'npm ci' (Node 24 from the node package)`);
  }
  if (!process.env.CI) return;
  const problems: string[] = [];
  if (process.getuid?.() !== 0) problems.push('not running as root');
  if (!existsSync('/sys/kernel/btf/vmlinux')) problems.push('no /sys/kernel/btf/vmlinux');
  if (problems.length > 0) throw new Error(`CI: live BPF tests would skip (${problems.join(', ')})`);
}
