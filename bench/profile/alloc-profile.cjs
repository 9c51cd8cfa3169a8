// Preload (node --require) that records V8's sampling heap profile of everything allocated,
// including objects the young- and old-generation GCs already collected: what churns the
// young generation while the process looks idle. Starts SOCKSCOPE_ALLOC_DELAY_MS after start
// (default 30000: after a start-up burst), stops SOCKSCOPE_ALLOC_MS later (default 20000) and
// writes PREFIX-PID.heapprofile (DevTools format; summarize with bench/profile/alloc-summary.mjs).
//   SOCKSCOPE_ALLOC_OUT=/tmp/x node --require bench/profile/alloc-profile.cjs dist/sockscope.mjs live
const inspector = require('node:inspector');
const fs = require('node:fs');
// The pid in the name: NODE_OPTIONS also reaches the benchmark script that starts sockscope.
const out = `${process.env.SOCKSCOPE_ALLOC_OUT || '/tmp/sockscope'}-${process.pid}.heapprofile`;
const session = new inspector.Session();
session.connect();
setTimeout(() => {
  session.post('HeapProfiler.enable', () => session.post('HeapProfiler.startSampling', {
    samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true,
  }, () => {
    setTimeout(() => session.post('HeapProfiler.stopSampling', (err, res) => {
      if (!err) fs.writeFileSync(out, JSON.stringify(res.profile));
    }), Number(process.env.SOCKSCOPE_ALLOC_MS || 20000)).unref();
  }));
}, Number(process.env.SOCKSCOPE_ALLOC_DELAY_MS || 30000)).unref();
