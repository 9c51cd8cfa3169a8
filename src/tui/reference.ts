// The keys and columns reference of docs/tui.md, generated from the same tables that
// drive the screen (keymap.ts, columns.ts, query.ts), so the document cannot drift:
// test/tui/docs.test.ts checks it and rewrites it with UPDATE_DOCS=1.
import { COLUMNS, headerText, type ColumnId } from '../core/select/columns';
import { QUERY_FIELDS, QUERY_FLAGS } from '../core/select/query';
import { BINDINGS, keyLabel, SECTION_TITLE, type Section } from './keymap';

const COLUMN_MEANING: Record<ColumnId, string> = {
  flows: 'number of flows in the group (grouped views only)',
  pid: 'process id (thread group) that owns the socket; `-` on a group whose flows differ',
  process: 'kernel task name (comm) of the owner at the time',
  user: 'user name of the owner (uid when unknown)',
  container: 'container name, or its short id; `-` on the host',
  proto: '`tcp` or `udp`, `tcp6`/`udp6` for IPv6',
  local: 'local address and port',
  remote: 'remote address and port',
  state: 'TCP state (`ESTAB` is ESTABLISHED), `OPEN` for UDP, `CLOSED` while a closed flow lingers',
  txRate: 'bytes sent per second over the last interval (KiB = 1024 bytes)',
  rxRate: 'bytes received per second over the last interval',
  tx: 'bytes sent since the flow was first seen',
  rx: 'bytes received since the flow was first seen',
  retr: 'TCP segments retransmitted',
  rtt: 'smoothed round-trip time (TCP); a group shows the mean',
  connect: 'SYN to ESTABLISHED (outbound TCP); a group shows the mean',
};

const esc = (s: string) => s.replace(/\|/g, '\\|');
const code = (s: string) => (s === '`' ? '`` ` ``' : `\`${s}\``);

export function keysMarkdown(): string {
  const out: string[] = [];
  const sections = [...new Set(BINDINGS.map((b) => b.section))] as Section[];
  for (const section of sections) {
    out.push(`### ${SECTION_TITLE[section]}`, '', '| key | does | where |', '| --- | --- | --- |');
    for (const b of BINDINGS.filter((x) => x.section === section)) {
      out.push(`| ${b.keys.map((k) => code(keyLabel(k))).join(' ')} | ${esc(b.help)} | ${b.mode ?? 'live and replay'} |`);
    }
    out.push('');
  }
  return out.join('\n').trimEnd();
}

export function columnsMarkdown(): string {
  const out = ['| column | header | sort key | meaning |', '| --- | --- | --- | --- |'];
  for (const c of COLUMNS) out.push(`| ${c.title} | \`${headerText(c)}\` | \`${c.sortKey}\` | ${esc(COLUMN_MEANING[c.id])} |`);
  return out.join('\n');
}

export function queryMarkdown(): string {
  return [
    `Fields (\`field:value\`, values comma-separated): ${QUERY_FIELDS.map((f) => `\`${f}\``).join(', ')}.`,
    `Words: ${QUERY_FLAGS.map((f) => `\`${f}\``).join(', ')}; any other word is free text.`,
  ].join('\n');
}
