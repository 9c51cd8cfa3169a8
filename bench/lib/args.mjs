// node:util's parseArgs for the bench scripts, with what a command line tool owes its user:
// `--help` lists the options, and an unknown or malformed option is one line on stderr and
// exit code 2 (CONTRACT.md's bad usage), not a stack trace.
import { parseArgs as utilParseArgs } from 'node:util';
import { basename } from 'node:path';

/** The options as `[--name VALUE] [--flag]`, defaults shown. */
function usage(config) {
  const opts = Object.entries(config.options ?? {}).map(([name, o]) => {
    const value = o.type === 'string' ? ` ${name.toUpperCase().replace(/-/g, '_')}` : '';
    const dflt = o.default === undefined || o.type === 'boolean' ? '' : ` (default ${[o.default].flat().join(',')})`;
    return `  --${name}${value}${o.multiple ? ' (repeatable)' : ''}${dflt}`;
  });
  const args = config.allowPositionals ? ' [ARG...]' : '';
  return [`usage: node ${process.argv[1] ? basename(process.argv[1]) : 'script'} [options]${args}`, ...opts].join('\n');
}

/** util.parseArgs(config); `--help` prints the usage and exits unless the script has its own. */
export function parseArgs(config) {
  const ownHelp = 'help' in (config.options ?? {});
  const withHelp = ownHelp ? config : { ...config, options: { ...config.options, help: { type: 'boolean', short: 'h' } } };
  let parsed;
  try {
    parsed = utilParseArgs(withHelp);
  } catch (err) {
    if (!String(err?.code).startsWith('ERR_PARSE_ARGS')) throw err;
    process.stderr.write(`${basename(process.argv[1] ?? 'script')}: ${err.message.split('\n')[0]} (--help lists the options)\n`);
    process.exit(2);
  }
  if (ownHelp) return parsed;
  if (parsed.values.help) {
    process.stdout.write(`${usage(config)}\n`);
    process.exit(0);
  }
  delete parsed.values.help;
  return parsed;
}
