// A flow's JSON line, JSON.stringify(toJsonFlow(...)) exactly (a test checks it on the
// bundled recordings), with the owner's fields stringified once per owner: they are the
// same for every flow of a process and the longest part of a line (comm, exe, cmdline,
// cgroup path), and a server under connection churn owns thousands of flows a second. The
// fields before and after the owner's are written as text directly (headText, tailText),
// in toJsonFlow's order, without an object per line to stringify.
import type { Container, Owner } from '../events/types';
import { flowTimeIso, ownerJson, type OwnerJson } from './flow-json';
import { flowCgroup, flowContainer, flowProcess, flowUser } from './reducer';
import { jsonNumber, jsonString, jsonStringOrNull } from './json-text';
import type { CoreState, Flow } from './state';

interface OwnerText {
  json: OwnerJson;
  /** JSON.stringify(json). */
  text: string;
}

export class FlowJsonLines {
  /** Per shared owner object (the reducer shares one per process and identity). */
  private readonly owners = new WeakMap<Owner, OwnerText>();
  private readonly parts: [string, string, string] = ['', '', ''];

  /** The line as three JSON objects whose members, in this order, are the line's (see
   * mergeObjects): merged by the writer as it encodes them, with no string built for the
   * whole line. Valid until the next call. */
  objects(state: CoreState, flow: Flow, fallbackBootWallMs: number | null = null): readonly [string, string, string] {
    let known = this.owners.get(flow.owner);
    // Facts can change (a late container name, an exec): the text is reused only for the
    // very same values, compared without an object per line.
    if (known === undefined || !ownerJsonIs(known.json, state, flow)) {
      const json = ownerJson(state, flow);
      known = { json, text: JSON.stringify(json) };
      this.owners.set(flow.owner, known);
    }
    const parts = this.parts;
    parts[0] = headText(flow);
    parts[1] = known.text;
    parts[2] = tailText(state, flow, fallbackBootWallMs);
    return parts;
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

