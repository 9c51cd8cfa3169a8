// A flow's JSON line, JSON.stringify(toJsonFlow(...)) exactly (a test checks it on the
// bundled recordings), with the owner's fields stringified once per owner: they are the
// same for every flow of a process and the longest part of a line (comm, exe, cmdline,
// cgroup path), and a server under connection churn owns thousands of flows a second. The
// fields before and after the owner's are written as text directly (headText, tailText),
// in toJsonFlow's order, without an object per line to stringify.
import type { Container, Owner } from '../events/types';
import { flowTimeIso, ownerJson, type OwnerJson } from './flow-json';
import { isoTimeAt } from './iso-time';
import { flowCgroup, flowContainer, flowProcess, flowUser } from './reducer';
import { jsonNumber, jsonString, jsonStringOrNull } from './json-text';
import type { CoreState, Flow } from './state';

interface OwnerText {
  json: OwnerJson;
  /** JSON.stringify(json). */
  text: string;
  /** The UTF-8 bytes of its members (the text without its braces), for writeLine. */
  members: Buffer;
}

export class FlowJsonLines {
  /** Per shared owner object (the reducer shares one per process and identity). */
  private readonly owners = new WeakMap<Owner, OwnerText>();
  private readonly parts: [string, string, string] = ['', '', ''];

  /** The line as three JSON objects whose members, in this order, are the line's (see
   * mergeObjects): merged by the writer as it encodes them, with no string built for the
   * whole line. Valid until the next call. */
  objects(state: CoreState, flow: Flow, fallbackBootWallMs: number | null = null): readonly [string, string, string] {
    const parts = this.parts;
    parts[0] = headText(flow);
    parts[1] = this.owner(state, flow).text;
    parts[2] = tailText(state, flow, fallbackBootWallMs);
    return parts;
  }

  /** The owner's text for this flow. Facts can change (a late container name, an exec):
   * the text is reused only for the very same values, compared without an object per line. */
  private owner(state: CoreState, flow: Flow): OwnerText {
    let known = this.owners.get(flow.owner);
    if (known === undefined || !ownerJsonIs(known.json, state, flow)) {
      const json = ownerJson(state, flow);
      const text = JSON.stringify(json);
      known = { json, text, members: Buffer.from(text.slice(1, -1), 'utf8') };
      this.owners.set(flow.owner, known);
    }
    return known;
  }

  /** The most bytes writeLine may write for the flow, its newline included. */
  maxLineBytes(state: CoreState, flow: Flow): number {
    // JSON.stringify writes at most 6 bytes per UTF-16 unit (\u00XX); the names, numbers
    // and times of the line take less than LINE_FIXED_BYTES.
    const texts = flow.proto.length + flow.laddr.length + flow.raddr.length + flow.direction.length + flow.state.length;
    return LINE_FIXED_BYTES + 6 * texts + this.owner(state, flow).members.length;
  }

  /** The line and a newline written as UTF-8 into `b` at `at` (room for maxLineBytes
   * there), byte for byte what line() encodes to, with no string made for the line or its
   * parts: the owner's members are copied as bytes, names and numbers written as ASCII
   * (building the line as strings, then encoding them, was a third of
   * `live --format jsonl`'s CPU under connection churn). Returns where it ends. */
  writeLine(b: Buffer, at: number, state: CoreState, flow: Flow, fallbackBootWallMs: number | null = null): number {
    const owner = this.owner(state, flow).members;
    at = ascii(b, at, '{"proto":');
    at = jsonStringAt(b, at, flow.proto);
    at = ascii(b, at, ',"family":');
    at = numberAt(b, at, flow.family);
    at = ascii(b, at, ',"laddr":');
    at = jsonStringAt(b, at, flow.laddr);
    at = ascii(b, at, ',"lport":');
    at = numberAt(b, at, flow.lport);
    at = ascii(b, at, ',"raddr":');
    at = jsonStringAt(b, at, flow.raddr);
    at = ascii(b, at, ',"rport":');
    at = numberAt(b, at, flow.rport);
    at = ascii(b, at, ',"direction":');
    at = jsonStringAt(b, at, flow.direction);
    b[at++] = 0x2c;
    b.set(owner, at);
    at += owner.length;
    at = ascii(b, at, ',"bytes_sent":');
    at = numberAt(b, at, flow.bytesSent);
    at = ascii(b, at, ',"bytes_received":');
    at = numberAt(b, at, flow.bytesReceived);
    at = ascii(b, at, ',"packets_sent":');
    at = numberAt(b, at, flow.packetsSent);
    at = ascii(b, at, ',"packets_received":');
    at = numberAt(b, at, flow.packetsReceived);
    at = ascii(b, at, ',"retransmits":');
    at = numberAt(b, at, flow.retransmits);
    at = ascii(b, at, ',"srtt_us":');
    at = numberAt(b, at, flow.srttUs);
    at = ascii(b, at, ',"connect_latency_us":');
    at = numberAt(b, at, flow.connectLatencyUs);
    at = ascii(b, at, ',"state":');
    at = jsonStringAt(b, at, flow.state);
    at = ascii(b, at, ',"start":');
    at = flowTimeAt(b, at, state, flow.startTs, fallbackBootWallMs);
    at = ascii(b, at, ',"end":');
    const end = flow.endTs;
    at = end === null ? ascii(b, at, 'null') : flowTimeAt(b, at, state, end, fallbackBootWallMs);
    at = ascii(b, at, flow.seenAtStart ? ',"seen_at_start":true}\n' : ',"seen_at_start":false}\n');
    return at;
  }

  /** The line as one string. */
  line(state: CoreState, flow: Flow, fallbackBootWallMs: number | null = null): string {
    return mergeObjects(this.objects(state, flow, fallbackBootWallMs));
  }
}

/** JSON.stringify(headJson(flow)) (flow-json.ts). */
export function headText(flow: Flow): string {
  return `{"proto":${jsonString(flow.proto)},"family":${jsonNumber(flow.family)},"laddr":${jsonString(flow.laddr)},` +
    `"lport":${jsonNumber(flow.lport)},"raddr":${jsonString(flow.raddr)},"rport":${jsonNumber(flow.rport)},` +
    `"direction":${jsonString(flow.direction)}}`;
}

/** JSON.stringify(tailJson(state, flow, fallbackBootWallMs)) (flow-json.ts). */
export function tailText(state: CoreState, flow: Flow, fallbackBootWallMs: number | null): string {
  const end = flow.endTs === null ? null : flowTimeIso(state, flow.endTs, fallbackBootWallMs);
  return `{"bytes_sent":${jsonNumber(flow.bytesSent)},"bytes_received":${jsonNumber(flow.bytesReceived)},` +
    `"packets_sent":${jsonNumber(flow.packetsSent)},"packets_received":${jsonNumber(flow.packetsReceived)},` +
    `"retransmits":${jsonNumber(flow.retransmits)},"srtt_us":${jsonNumber(flow.srttUs)},` +
    `"connect_latency_us":${jsonNumber(flow.connectLatencyUs)},"state":${jsonString(flow.state)},` +
    `"start":${jsonStringOrNull(flowTimeIso(state, flow.startTs, fallbackBootWallMs))},"end":${jsonStringOrNull(end)},` +
    `"seen_at_start":${flow.seenAtStart}}`;
}

/** JSON objects (non-empty) merged into one: each "}{" between two becomes ",". */
export function mergeObjects(objects: readonly string[]): string {
  return objects.map((o, i) => o.slice(i === 0 ? 0 : 1, i === objects.length - 1 ? o.length : -1)).join(',');
}

/** Whether ownerJson(state, flow) would have the values of `a`. */
function ownerJsonIs(a: OwnerJson, state: CoreState, flow: Flow): boolean {
  const o = flow.owner;
  if (a.pid !== o.pid || a.tid !== o.tid || a.ppid !== o.ppid || a.comm !== o.comm || a.uid !== o.uid || a.gid !== o.gid) return false;
  const proc = flowProcess(state, flow);
  if (a.exe !== (proc?.exe ?? null) || a.cmdline !== (proc?.cmdline ?? null) || a.user !== flowUser(state, flow)) return false;
  return a.cgroup === (flowCgroup(state, flow)?.path ?? null) && sameContainer(a.container, flowContainer(state, flow));
}

function sameContainer(a: OwnerJson['container'], b: Container | null): boolean {
  if (a === null || b === null) return a === b;
  return a.id === b.id && a.runtime === b.runtime && a.name === b.name && a.pod === b.pod && a.namespace === b.namespace;
}


/** Room for the parts of a line writeLine writes other than its texts and the owner's:
 * member names (~260 bytes), 10 numbers of at most 24 characters, two times of 24. */
const LINE_FIXED_BYTES = 600;

/** `s` (ASCII) written at `at`; returns where it ends. */
function ascii(b: Buffer, at: number, s: string): number {
  for (let i = 0; i < s.length; i++) b[at++] = s.charCodeAt(i);
  return at;
}

/** jsonString(s) as UTF-8 at `at`: printable ASCII without `"` and `\\` (addresses, state
 * names) written as it is, anything else as JSON.stringify writes it. */
function jsonStringAt(b: Buffer, at: number, s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return at + b.write(JSON.stringify(s), at, 'utf8');
  }
  b[at++] = 0x22;
  for (let i = 0; i < s.length; i++) b[at++] = s.charCodeAt(i);
  b[at++] = 0x22;
  return at;
}

/** jsonNumber(n) at `at`: a whole number below 2^53 as its digits, written here. */
function numberAt(b: Buffer, at: number, n: number | null): number {
  if (n === null || !Number.isFinite(n)) return ascii(b, at, 'null');
  if (!(n >= 0 && n <= Number.MAX_SAFE_INTEGER && Math.floor(n) === n) || Object.is(n, -0)) return ascii(b, at, `${n}`);
  if (n < 10) {
    b[at] = 0x30 + n;
    return at + 1;
  }
  let digits = 1;
  for (let p = 10; p <= n && digits < 16; p *= 10) digits++;
  let v = n;
  for (let i = at + digits - 1; i >= at; i--) {
    const q = Math.floor(v / 10);
    b[i] = 0x30 + (v - q * 10);
    v = q;
  }
  return at + digits;
}

/** jsonStringOrNull(flowTimeIso(state, ts, fallbackBootWallMs)) (flow-json.ts) at `at`,
 * the time written as bytes (isoTimeAt); ms as wallMsAt (reducer.ts) gives it, without a
 * number-or-null in between. */
function flowTimeAt(b: Buffer, at: number, state: CoreState, ts: number, fallbackBootWallMs: number | null): number {
  const ms = state.bootWallMs !== null ? state.bootWallMs + ts / 1e6 : fallbackBootWallMs === null ? null : fallbackBootWallMs + ts / 1e6;
  if (ms === null || !Number.isFinite(ms)) return ascii(b, at, 'null');
  b[at++] = 0x22;
  at = isoTimeAt(b, at, Math.round(ms));
  b[at++] = 0x22;
  return at;
}
