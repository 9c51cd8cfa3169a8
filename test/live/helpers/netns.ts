// A network namespace joined to the host by a veth pair, for traffic that leaves the
// host's loopback without leaving the machine: host side 10.x.y.1/30, namespace side
// 10.x.y.2/30. Names carry the test's pid so parallel runs do not collide; remove()
// deletes the namespace, which takes the veth pair with it.
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

export interface Netns {
  name: string;
  hostAddr: string;
  nsAddr: string;
  /** `ip netns exec NAME`: run a command inside, in place (same pid). */
  exec: string[];
  /** Network namespace inode, as the kernel reports it for a socket. */
  inode: number;
  /** Drops every `every`-th TCP data packet arriving in the namespace for `port` (nftables;
   * this kernel has no netem), so that the sender has to retransmit. */
  dropEvery(port: number, every: number): void;
  remove(): void;
}

export function createNetns(): Netns {
  const tag = `ss${process.pid % 100000}`;
  const name = `sockscope-test-${process.pid}`;
  const host = `${tag}h`;
  const peer = `${tag}n`;
  const a = 16 + (process.pid % 200);
  const b = (process.pid >> 8) % 64 * 4;
  const hostAddr = `10.${a}.${b}.1`;
  const nsAddr = `10.${a}.${b}.2`;
  const remove = () => {
    try {
      ip('netns', 'del', name);
    } catch {
      // not there
    }
    try {
      ip('link', 'del', host);
    } catch {
      // went with the namespace
    }
  };
  remove();
  try {
    ip('netns', 'add', name);
    ip('link', 'add', host, 'type', 'veth', 'peer', 'name', peer);
    ip('link', 'set', peer, 'netns', name);
    ip('addr', 'add', `${hostAddr}/30`, 'dev', host);
    ip('link', 'set', host, 'up');
    ip('-n', name, 'addr', 'add', `${nsAddr}/30`, 'dev', peer);
    ip('-n', name, 'link', 'set', peer, 'up');
    ip('-n', name, 'link', 'set', 'lo', 'up');
  } catch (err) {
    remove();
    throw err;
  }
  const dropEvery = (port: number, every: number) => {
    const rules = `table ip sockscope_test {
  chain in {
    type filter hook input priority 0;
    tcp dport ${port} ip length > 100 numgen inc mod ${every} == 0 drop
  }
}
`;
    execFileSync('ip', ['netns', 'exec', name, 'nft', '-f', '-'], { input: rules, stdio: ['pipe', 'ignore', 'pipe'] });
  };
  return { name, hostAddr, nsAddr, exec: ['ip', 'netns', 'exec', name], inode: statSync(`/run/netns/${name}`).ino, dropEvery, remove };
}
