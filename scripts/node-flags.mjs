// The V8 flags sockscope runs with, however it is started: the bundle's shebang (the npm
// bin, `npm start`), the single binary's execArgv, and the benchmarks (which run it the way
// users do). One place, so that what is measured is what ships.
//
// --max-semi-space-size=8 (MiB): by default V8 grows the young generation to 32-64 MiB of
// resident memory once a burst (100,000 connections listed at start) has gone through it,
// and keeps it. Measured 2026-11-26 with 100,000 held flows: record 174 -> 127-153 MiB,
// live --format jsonl 269 -> 225 MiB, no CPU difference under connection churn. 2 MiB saves
// a little more but doubled the TUI's CPU at 10,000 flows (3.9% -> 7.4% of a core: more
// scavenges of its per-interval rows); 8 kept it at 3.6-5.0%. The TUI caps its young
// generation lower once running (src/tui/young-generation.ts).
export const NODE_FLAGS = ['--max-semi-space-size=8'];
