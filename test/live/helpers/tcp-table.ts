// The kernel's own list of this namespace's IPv4 TCP sockets (/proc/net/tcp), for tests
// that must tell "the kernel has not closed that socket yet" from "its record was lost".
import { readFileSync } from 'node:fs';

/** /proc/net/tcp's `st` column (include/net/tcp_states.h). */
const STATES = ['', 'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT', 'CLOSE', 'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'CLOSING', 'NEW_SYN_RECV'];

/** The sockets with `port` at either end that are not closed yet ("lport->rport STATE"):
 * every state but TIME_WAIT, which is what is left of a socket after its close. */
export function openSocketsOfPort(port: number): string[] {
  const out: string[] = [];
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4) continue;
    const lport = parseInt(f[1].split(':')[1], 16);
    const rport = parseInt(f[2].split(':')[1], 16);
    const state = STATES[parseInt(f[3], 16)] ?? f[3];
    if ((lport === port || rport === port) && state !== 'TIME_WAIT') out.push(`${lport}->${rport} ${state}`);
  }
  return out;
}

/** Polls every 20 ms until the kernel has closed every socket with one of `ports` at either
 * end, for up to `timeoutMs`; returns the ones still open then (none: all closed). Reads
 * the kernel's table only, so that a test can wait for the closes without draining. */
export async function waitUntilClosed(ports: number[], timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = ports.flatMap(openSocketsOfPort);
    if (open.length === 0 || Date.now() >= deadline) return open;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
