// Preload (node --require) that starts V8's CPU profiler a few seconds after start and
// writes a .cpuprofile when the process exits. Why not `node --cpu-prof`: its SIGPROF
// sampling interrupts the BPF verifier, which then fails the load with EAGAIN.
//   SOCKSCOPE_PROFILE_OUT=/tmp/x.cpuprofile SOCKSCOPE_PROFILE_DELAY_MS=3000 \
//     node --require bench/profile/late-cpu-profile.cjs dist/sockscope.mjs record -o x.ssrec
const inspector = require('node:inspector');
const fs = require('node:fs');
const out = process.env.SOCKSCOPE_PROFILE_OUT || `/tmp/sockscope-${process.pid}.cpuprofile`;
const session = new inspector.Session();
session.connect();
let started = false;
setTimeout(() => {
  session.post('Profiler.enable', () => session.post('Profiler.start', () => { started = true; }));
}, Number(process.env.SOCKSCOPE_PROFILE_DELAY_MS || 3000)).unref();
process.on('exit', () => {
  if (!started) return;
  // Inspector calls on a connected in-process session complete synchronously.
  session.post('Profiler.stop', (err, res) => { if (!err) fs.writeFileSync(out, JSON.stringify(res.profile)); });
});
