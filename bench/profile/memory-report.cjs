// Preload (node --require) that prints process.memoryUsage() and V8 heap spaces on SIGUSR2:
// tells JS heap from native (Buffers, koffi, libbpf, malloc) in sockscope's RSS. To stderr,
// or appended to SOCKSCOPE_MEMORY_REPORT_OUT (the TUI's stderr is its screen). Also glibc's
// malloc totals (mallinfo2, through koffi: what the native heap holds in use and free)
// and /proc/self/smaps_rollup's anonymous and file pages; with SOCKSCOPE_HEAP_SNAPSHOT_DIR
// set, a V8 heap snapshot there (after the numbers: taking it runs a full GC).
const fs = require('node:fs');
const path = require('node:path');
const v8 = require('node:v8');

let mallinfo;
function mallocLine() {
  try {
    if (mallinfo === undefined) {
      const koffi = require(require.resolve('koffi', { paths: [path.join(__dirname, '../..'), process.cwd()] }));
      const fields = ['arena', 'ordblks', 'smblks', 'hblks', 'hblkhd', 'usmblks', 'fsmblks', 'uordblks', 'fordblks', 'keepcost'];
      const Info = koffi.struct('sockscope_mallinfo2', Object.fromEntries(fields.map((f) => [f, 'size_t'])));
      mallinfo = koffi.load('libc.so.6').func('mallinfo2', Info, []);
    }
    const m = mallinfo();
    const mb = (x) => Math.round(Number(x) / 2 ** 20);
    // arena: sbrk'd and arena heaps; hblkhd: mmap'd chunks; uordblks in use; fordblks free.
    return ` malloc(arena=${mb(m.arena)} mmapped=${mb(m.hblkhd)} inUse=${mb(m.uordblks)} free=${mb(m.fordblks)})`;
  } catch (err) {
    mallinfo = null;
    return ` malloc(n/a: ${err.message})`;
  }
}

function rollupLine() {
  try {
    const text = fs.readFileSync('/proc/self/smaps_rollup', 'utf8');
    const kb = (k) => Math.round(Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0) / 1024);
    return ` smaps(rss=${kb('Rss')} anon=${kb('Anonymous')} file=${kb('Rss') - kb('Anonymous')})`;
  } catch {
    return '';
  }
}

/** The largest resident mappings, "rssKiB name" (anonymous ones by address). */
function mappingsLine(top = 8) {
  try {
    const maps = [];
    let cur = null;
    for (const line of fs.readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
      const head = /^([0-9a-f]+)-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
      if (head) maps.push((cur = { name: head[2].trim() || `anon@${head[1]}`, rss: 0 }));
      else if (cur && line.startsWith('Rss:')) cur.rss = Number(/\d+/.exec(line)[0]);
    }
    return ` top(${maps.sort((a, b) => b.rss - a.rss).slice(0, top).map((m) => `${m.rss} ${path.basename(m.name)}`).join(', ')})`;
  } catch {
    return '';
  }
}

function report(tag) {
  const mb = (x) => Math.round(x / 2 ** 20);
  const m = process.memoryUsage();
  const spaces = v8.getHeapSpaceStatistics().map((s) => `${s.space_name}=${mb(s.space_size)}/${mb(s.space_used_size)}`).join(' ');
  const line = `memory${tag}: rss=${mb(m.rss)} heapTotal=${mb(m.heapTotal)} heapUsed=${mb(m.heapUsed)} external=${mb(m.external)} arrayBuffers=${mb(m.arrayBuffers)} MiB; spaces(size/used) ${spaces};${mallocLine()}${rollupLine()}${mappingsLine()}\n`;
  if (process.env.SOCKSCOPE_MEMORY_REPORT_OUT) fs.appendFileSync(process.env.SOCKSCOPE_MEMORY_REPORT_OUT, line);
  else process.stderr.write(line);
}

process.on('SIGUSR2', () => {
  report('');
  // SOCKSCOPE_MEMORY_REPORT_RECLAIM=1: what a memory-reducing full GC and malloc_trim give
  // back at this point (a second line).
  if (process.env.SOCKSCOPE_MEMORY_REPORT_RECLAIM) {
    v8.setFlagsFromString('--expose-gc');
    require('node:vm').runInNewContext('gc')({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    try {
      const koffi = require(require.resolve('koffi', { paths: [path.join(__dirname, '../..'), process.cwd()] }));
      koffi.load('libc.so.6').func('int malloc_trim(size_t)')(0);
    } catch { /* no koffi */ }
    report('-after-reclaim');
  }
  const dir = process.env.SOCKSCOPE_HEAP_SNAPSHOT_DIR;
  if (dir) v8.writeHeapSnapshot(path.join(dir, `sockscope-${process.pid}-${Date.now()}.heapsnapshot`));
});

// SOCKSCOPE_MEMORY_TRACE=1: one line a second (time since start, RSS, heap total, new
// space, array buffers), to see when memory grows and whether it is given back.
if (process.env.SOCKSCOPE_MEMORY_TRACE) {
  const t0 = Date.now();
  setInterval(() => {
    const mb = (x) => (x / 2 ** 20).toFixed(1);
    const m = process.memoryUsage();
    const ns = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
    const line = `trace t=${((Date.now() - t0) / 1000).toFixed(1)} rss=${mb(m.rss)} heapTotal=${mb(m.heapTotal)} new=${mb(ns.space_size)} old+lo=${mb(m.heapTotal - ns.space_size)} ab=${mb(m.arrayBuffers)}\n`;
    if (process.env.SOCKSCOPE_MEMORY_REPORT_OUT) fs.appendFileSync(process.env.SOCKSCOPE_MEMORY_REPORT_OUT, line);
    else process.stderr.write(line);
  }, 1000).unref();
}
