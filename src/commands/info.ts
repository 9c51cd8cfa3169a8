// `sockscope info FILE [--format json]`: the recording's header and what is in it.
// A damaged file is summarized up to the damage, then exits 5 with one line.
import { parseArgs } from 'node:util';
import { UsageError } from '../errors';

export const INFO_HELP = `usage: sockscope info FILE [--format text|json]

Prints a recording's header (host, kernel, capture options) and a summary of its
content: duration, flows, events, processes, containers, lost and evicted events, and
any damage. Exits 5 if the file is damaged (after printing the summary of what is valid).`;

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { format: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}; try 'sockscope info --help'`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${INFO_HELP}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError("info takes one FILE; try 'sockscope info --help'");
  const format = values.format ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`--format takes text or json, not '${format}'`);

  const { openRecording } = await import('../record/reader');
  const { summarize } = await import('../record/summary');
  const source = await openRecording(positionals[0]);
  let result;
  try {
    result = await summarize(source);
  } finally {
    await source.close();
  }
  const { summary } = result;
  const h = source.header;
  if (format === 'json') {
    process.stdout.write(`${JSON.stringify({ file: source.path, size: source.size, formatVersion: source.formatVersion, header: h, summary })}\n`);
  } else {
    const s = summary;
    const rows: Array<[string, string]> = [
      ['file', `${source.path} (${source.size} bytes, format v${source.formatVersion})`],
      ['recorded by', `sockscope ${h.sockscopeVersion} on ${h.hostname}, kernel ${h.kernel}, ${h.cpus} CPUs`],
      ['boot time', new Date(h.bootTimeMs).toISOString()],
      ['cgroup v2 root', h.cgroupRoot ?? '(none)'],
      ['hooks', h.hooks.join(', ') || '(none)'],
      ['interval', `${h.intervalMs} ms`],
      ['capture options', JSON.stringify(h.capture)],
      ['time', s.start === null ? '(no events)' : `${s.start} .. ${s.end} (${((s.durationMs ?? 0) / 1000).toFixed(1)} s)`],
      ['chunks', `${s.chunks}${s.complete ? ', complete' : ''}`],
      ['events', `${s.events} (${s.ticks} ticks, ${s.counterEntries} counter entries, ${s.flowIntervals} flow-intervals)`],
      ['flows', `${s.flows} (${s.tcp} tcp, ${s.udp} udp), ${s.connectFailures} failed connects`],
      ['processes', String(s.processes)],
      ['users', String(s.users)],
      ['containers', String(s.containers)],
      ['lost / evicted', `${s.lost} / ${s.evicted}`],
      ['bytes per flow-interval', s.flowIntervals > 0 ? (source.size / s.flowIntervals).toFixed(1) : '-'],
      ['damage', s.damage ?? 'none'],
    ];
    process.stdout.write(rows.map(([k, v]) => `${`${k}:`.padEnd(25)}${v}`).join('\n') + '\n');
  }
  const damage = source.damage();
  if (damage) throw damage;
  return 0;
}
