#!/usr/bin/env node
// Installs the Debian packages that building the BPF object, the tests and the benchmarks
// need, when they are missing. Runs on the system Node (before `npm ci`), so it uses
// nothing but Node itself. Not root or no apt: prints the exact command instead.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';

const PACKAGES = {
  libbpf1: 'libbpf.so.1, the only thing sockscope itself needs',
  clang: 'compiles bpf/sockscope.bpf.c',
  'libbpf-dev': 'bpf/bpf_helpers.h and friends',
  bpftool: 'generates vmlinux.h from the kernel BTF',
  tmux: 'the TUI end-to-end test',
  iproute2: 'network namespaces and veth pairs in live tests',
  'util-linux': 'setpriv, to run test processes as another user',
  python3: 'small traffic generators in live tests',
  podman: 'a real container in live tests',
  runc: 'the OCI runtime podman uses here (crun fails in hybrid cgroup mode)',
  'busybox-static': 'the root file system of the test container',
  nginx: 'benchmark server',
  wrk: 'benchmark load generator',
  bpftrace: 'benchmark anchor',
  nethogs: 'benchmark anchor',
};

function installed(pkg) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('install ok installed');
}

// --runtime: only what running sockscope needs (npm start); otherwise everything the
// tests and benchmarks need (npm test, CI).
const wanted = process.argv.includes('--runtime') ? ['libbpf1'] : Object.keys(PACKAGES);
const missing = wanted.filter((p) => !installed(p));
if (missing.length > 0) {
  const cmd = `apt-get update && apt-get install -y ${missing.join(' ')}`;
  if (process.getuid() !== 0 || !existsSync('/usr/bin/apt-get')) {
    console.error(`sockscope setup: missing Debian packages: ${missing.join(', ')}. As root run: ${cmd}`);
    // A developer without root can still run what needs no BPF; CI must have everything.
    process.exit(process.env.CI ? 1 : 0);
  }
  console.log(`sockscope setup: installing ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', ...missing], { stdio: 'inherit', env });
}

// podman raises RLIMIT_NOFILE by default, which fails here; this line turns that off.
const conf = '/etc/containers/containers.conf';
if (process.getuid() === 0 && !(existsSync(conf) && /default_ulimits/.test(readFileSync(conf, 'utf8')))) {
  mkdirSync('/etc/containers', { recursive: true });
  const old = existsSync(conf) ? readFileSync(conf, 'utf8') : '';
  writeFileSync(conf, old.includes('[containers]') ? old.replace('[containers]', '[containers]\ndefault_ulimits = []') : `${old}\n[containers]\ndefault_ulimits = []\n`);
}
