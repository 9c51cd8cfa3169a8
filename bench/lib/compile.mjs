// The load generators are small C programs compiled at bench time (gcc is on every machine
// here), so they cost the host as little as possible and behave the same on every rerun.
import path from 'node:path';
import { run } from './proc.mjs';

export async function compileTools(srcDir, outDir) {
  const tools = {};
  for (const name of ['udp_rr', 'tcp_churn', 'hold_conns']) {
    const out = path.join(outDir, name);
    const r = await run('gcc', ['-O2', '-Wall', '-o', out, path.join(srcDir, `${name}.c`)], { timeoutMs: 60000 });
    if (r.code !== 0) throw new Error(`gcc failed for ${name}.c: ${r.stderr.trim()}`);
    tools[name] = out;
  }
  return tools;
}
