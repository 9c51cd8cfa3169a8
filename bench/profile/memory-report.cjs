// Preload (node --require) that prints process.memoryUsage() and V8 heap spaces on SIGUSR2:
// tells JS heap from native (Buffers, koffi, libbpf, malloc) in sockscope's RSS. To stderr,
// or appended to SOCKSCOPE_MEMORY_REPORT_OUT (the TUI's stderr is its screen).
const fs = require('node:fs');
const v8 = require('node:v8');
process.on('SIGUSR2', () => {
  const mb = (x) => Math.round(x / 2 ** 20);
  const m = process.memoryUsage();
  const spaces = v8.getHeapSpaceStatistics().map((s) => `${s.space_name}=${mb(s.space_size)}/${mb(s.space_used_size)}`).join(' ');
  const line = `memory: rss=${mb(m.rss)} heapTotal=${mb(m.heapTotal)} heapUsed=${mb(m.heapUsed)} external=${mb(m.external)} arrayBuffers=${mb(m.arrayBuffers)} MiB; spaces(size/used) ${spaces}\n`;
  if (process.env.SOCKSCOPE_MEMORY_REPORT_OUT) fs.appendFileSync(process.env.SOCKSCOPE_MEMORY_REPORT_OUT, line);
  else process.stderr.write(line);
});
