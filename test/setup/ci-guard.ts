// In CI the live BPF tests must run, never skip: CI runs as root on a kernel with BTF.
// Fail the whole run at once if that is not true, instead of letting them skip quietly.
import { existsSync } from 'node:fs';

export default function ciGuard(): void {
  if (!process.env.CI) return;
  const problems: string[] = [];
  if (process.getuid?.() !== 0) problems.push('not running as root');
  if (!existsSync('/sys/kernel/btf/vmlinux')) problems.push('no /sys/kernel/btf/vmlinux');
  if (problems.length > 0) throw new Error(`CI: live BPF tests would skip (${problems.join(', ')})`);
}
