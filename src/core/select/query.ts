// The filter's small query language. Terms are separated by spaces; all must match (AND),
// except that terms on the same field are alternatives (OR), as are comma-separated values:
//
//   port:443 proc:nginx container:3f2a user:www-data udp tcp state:established pid:123
//   port:80,443  -proc:sshd  host:10.0.0.  "free text"
//
// A parse error does not throw: the bad term is reported and ignored, the rest applies.
import type { RowSource } from './flow-table';
import type { FlowRow } from './rows';

export interface QueryTerm {
  field: string; // 'text' for free text, 'flag' for bare words like tcp/udp
  negate: boolean;
  values: string[];
  test(row: FlowRow, value: string): boolean;
}

export interface Query {
  source: string;
  terms: QueryTerm[];
  errors: string[];
}

type Matcher = { parse?: (v: string) => string | null; test(row: FlowRow, value: string): boolean; hint: string };

const lc = (s: string | null | undefined) => (s ?? '').toLowerCase();
const portParse = (v: string) => (/^\d{1,5}$/.test(v) && Number(v) <= 65535 ? v : null);
const normState = (s: string) => s.toLowerCase().replace(/^tcp_/, '').replace(/[-_ ]/g, '');

const FIELDS: Record<string, Matcher> = {
  port: { parse: portParse, test: (r, v) => r.lport === Number(v) || r.rport === Number(v), hint: 'a port number' },
  lport: { parse: portParse, test: (r, v) => r.lport === Number(v), hint: 'a port number' },
  rport: { parse: portParse, test: (r, v) => r.rport === Number(v), hint: 'a port number' },
  pid: { parse: (v) => (/^\d+$/.test(v) ? v : null), test: (r, v) => r.pid === Number(v), hint: 'a number' },
  proc: {
    test: (r, v) => lc(r.comm).includes(v) || lc(r.exe).includes(v) || lc(r.process).includes(v),
    hint: 'a process name',
  },
  user: {
    test: (r, v) => (/^\d+$/.test(v) ? r.uid === Number(v) : lc(r.userName).includes(v)),
    hint: 'a user name or uid',
  },
  container: {
    test: (r, v) =>
      lc(r.containerId).startsWith(v) || lc(r.containerName).includes(v) || lc(r.pod).startsWith(v) ||
      (v === 'none' && r.containerId === null),
    hint: 'a container id prefix, name, pod uid, or none',
  },
  host: { test: (r, v) => lc(r.raddr).startsWith(v) || lc(r.remote).includes(v), hint: 'a remote address' },
  local: { test: (r, v) => lc(r.laddr).startsWith(v) || lc(r.local).includes(v), hint: 'a local address' },
  state: { parse: (v) => normState(v) || null, test: (r, v) => normState(r.state).startsWith(v), hint: 'a state name' },
  proto: { parse: (v) => (v === 'tcp' || v === 'udp' ? v : null), test: (r, v) => r.proto === v, hint: 'tcp or udp' },
  dir: {
    parse: (v) => (v.startsWith('in') ? 'inbound' : v.startsWith('out') ? 'outbound' : null),
    test: (r, v) => r.direction === v,
    hint: 'in or out',
  },
};

const ALIASES: Record<string, string> = {
  process: 'proc', comm: 'proc', exe: 'proc', uid: 'user', ctr: 'container', pod: 'container',
  addr: 'host', ip: 'host', remote: 'host', raddr: 'host', laddr: 'local', direction: 'dir',
};

/** Bare words that test a field rather than search text. Words on the same field are
 * alternatives, so `tcp udp` means either protocol. */
const FLAGS: Record<string, { field: string; test: (r: FlowRow) => boolean }> = {
  tcp: { field: 'proto', test: (r) => r.proto === 'tcp' },
  udp: { field: 'proto', test: (r) => r.proto === 'udp' },
  inbound: { field: 'dir', test: (r) => r.direction === 'inbound' },
  outbound: { field: 'dir', test: (r) => r.direction === 'outbound' },
  open: { field: 'life', test: (r) => !r.closed },
  closed: { field: 'life', test: (r) => r.closed },
  ipv4: { field: 'family', test: (r) => r.family === 4 },
  ipv6: { field: 'family', test: (r) => r.family === 6 },
};

export const QUERY_FIELDS = Object.keys(FIELDS);
export const QUERY_FLAGS = Object.keys(FLAGS);

export function parseQuery(source: string): Query {
  const terms: QueryTerm[] = [];
  const errors: string[] = [];
  for (const raw of tokenize(source, errors)) {
    let tok = raw;
    const negate = tok.startsWith('-') || tok.startsWith('!');
    if (negate) tok = tok.slice(1);
    if (!tok) continue;
    const colon = tok.indexOf(':');
    if (colon > 0) {
      const name = tok.slice(0, colon).toLowerCase();
      const field = ALIASES[name] ?? name;
      const m = FIELDS[field];
      if (!m) {
        errors.push(`unknown field '${name}' (fields: ${QUERY_FIELDS.join(', ')})`);
        continue;
      }
      const values: string[] = [];
      for (const part of tok.slice(colon + 1).split(',')) {
        const v = part.trim().toLowerCase();
        if (!v) continue;
        const parsed = m.parse ? m.parse(v) : v;
        if (parsed === null) errors.push(`${name}:${part} is not ${m.hint}`);
        else values.push(parsed);
      }
      if (values.length === 0) {
        if (!tok.slice(colon + 1).trim()) errors.push(`${name}: needs a value (${m.hint})`);
        continue;
      }
      terms.push({ field, negate, values, test: m.test });
      continue;
    }
    const word = tok.toLowerCase();
    const flag = FLAGS[word];
    if (flag) terms.push({ field: flag.field, negate, values: [word], test: (r) => flag.test(r) });
    else terms.push({ field: 'text', negate, values: [word], test: textTest });
  }
  return { source, terms, errors };
}

/** Terms on one field are alternatives; different fields must all hold. A negated term
 * excludes what it matches. Free-text terms each must match (they narrow). */
export function matchQuery(q: Query, row: FlowRow): boolean {
  if (q.terms.length === 0) return true;
  const byField = new Map<string, boolean>();
  for (const t of q.terms) {
    const hit = t.values.some((v) => t.test(row, v));
    if (t.negate) {
      if (hit) return false;
      continue;
    }
    if (t.field === 'text') {
      if (!hit) return false;
      continue;
    }
    byField.set(t.field, (byField.get(t.field) ?? false) || hit);
  }
  for (const ok of byField.values()) if (!ok) return false;
  return true;
}

export function filterRows(rows: readonly FlowRow[], q: Query): FlowRow[] {
  if (q.terms.length === 0) return rows as FlowRow[];
  return rows.filter((r) => matchQuery(q, r));
}

/** Positions of the rows that match, or null when the query has no terms (all match). */
export function filterPositions(rows: RowSource<FlowRow>, q: Query): Int32Array | null {
  if (q.terms.length === 0) return null;
  const hits: number[] = [];
  for (let i = 0; i < rows.length; i++) if (matchQuery(q, rows.peek(i))) hits.push(i);
  return Int32Array.from(hits);
}

function textTest(r: FlowRow, v: string): boolean {
  return (
    lc(r.process).includes(v) || lc(r.exe).includes(v) || lc(r.user).includes(v) ||
    lc(r.container).includes(v) || lc(r.containerId).startsWith(v) || r.local.includes(v) ||
    r.remote.includes(v) || lc(r.state).includes(v) || String(r.pid) === v
  );
}

/** Splits on spaces, keeping "double quoted" parts together (also after `field:`). */
function tokenize(s: string, errors: string[]): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of s) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && /\s/.test(ch)) {
      if (cur) out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (quoted) errors.push('unclosed quote');
  if (cur) out.push(cur);
  return out;
}
