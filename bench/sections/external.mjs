// Sections 4 and 5: replay and TUI figures come from scripts the core and TUI engineers own
// (scripts/bench-replay.mjs, scripts/bench-tui.mjs); each prints one JSON object. We run
// them with the same Node and keep whatever they measured.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { run } from '../lib/proc.mjs';
import { firstLine } from '../lib/sockscope.mjs';

export async function runExternal(ctx, which) {
  const script = path.join(ctx.repoDir, 'scripts', `bench-${which}.mjs`);
  const rel = path.relative(ctx.repoDir, script);
  if (!existsSync(script)) return { present: false, command: `node ${rel}`, reason: `${rel} does not exist yet` };
  // Each script has its own options: replay takes --runs N, the TUI script --seconds S.
  // Replay is judged warm (a throughput): each file is replayed for 2 s before its timed
  // passes (demo.ssrec, 1,511 events, needs about 2,000 passes before the JIT has settled:
  // 0.48M events/s after 20 passes, 1.06M after 400, 1.42M after 2,000); the script also
  // reports one pass of each file in a fresh process (what a one-off `sockscope replay` gets).
  const extra = which === 'replay' ? ['--runs', ctx.opts.quick ? '1' : '5', ...(ctx.opts.quick ? [] : ['--warmup-ms', '2000'])] : ctx.opts.quick ? ['--seconds', '4'] : [];
  const command = ['node', rel, ...extra].join(' ');
  ctx.log(`${which}: ${command}`);
  const r = await run(process.execPath, [script, ...extra], { timeoutMs: (ctx.opts.quick ? 120 : 900) * 1000, cwd: ctx.repoDir });
  if (r.code !== 0) return { present: true, command, reason: `exited ${r.code ?? r.signal}${r.timedOut ? ' (timed out)' : ''}: ${firstLine(r.stderr)}` };
  const json = parseLastJson(r.stdout);
  if (!json) return { present: true, command, reason: `printed no JSON: ${firstLine(r.stdout)}` };
  return { present: true, command, json };
}

// The whole output as JSON, or else the last line that parses.
function parseLastJson(text) {
  try { return JSON.parse(text); } catch { /* try lines */ }
  const lines = text.trim().split('\n').reverse();
  for (const l of lines) { try { return JSON.parse(l); } catch { /* next */ } }
  return null;
}

// Find a numeric field by a name pattern anywhere in the (nested) JSON, for the target table.
export function findNumber(obj, pattern, prefix = '') {
  if (!obj || typeof obj !== 'object') return null;
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'number' && pattern.test(key)) return { key, value: v };
  }
  for (const [k, v] of Object.entries(obj)) {
    const hit = findNumber(v, pattern, prefix ? `${prefix}.${k}` : k);
    if (hit) return hit;
  }
  return null;
}
