// CLOCK_MONOTONIC in ns, the clock of bpf_ktime_get_ns (libuv's hrtime reads the same
// clock on Linux), so user-space timestamps line up with the kernel's.
export function monotonicNs(): number {
  return Number(process.hrtime.bigint());
}
