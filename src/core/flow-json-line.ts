// A flow's JSON line, JSON.stringify(toJsonFlow(...)) exactly (a test checks it on the
// bundled recordings), with the owner's fields stringified once per owner: they are the
// same for every flow of a process and the longest part of a line (comm, exe, cmdline,
// cgroup path), and a server under connection churn owns thousands of flows a second.
import type { Owner } from '../events/types';
import { headJson, ownerJson, tailJson, type OwnerJson } from './flow-json';
import type { CoreState, Flow } from './state';

interface OwnerText {
  json: OwnerJson;
  /** JSON.stringify(json) without its braces. */
  text: string;
}

export class FlowJsonLines {
  /** Per shared owner object (the reducer shares one per process and identity). */
  private readonly owners = new WeakMap<Owner, OwnerText>();

  line(state: CoreState, flow: Flow, fallbackBootWallMs: number | null = null): string {
    const json = ownerJson(state, flow);
    let known = this.owners.get(flow.owner);
    // Facts can change (a late container name, an exec): the text is reused only for the
    // very same values.
    if (known === undefined || !sameOwnerJson(known.json, json)) {
      known = { json, text: JSON.stringify(json).slice(1, -1) };
      this.owners.set(flow.owner, known);
    }
    const head = JSON.stringify(headJson(flow));
    const tail = JSON.stringify(tailJson(state, flow, fallbackBootWallMs));
    return `${head.slice(0, -1)},${known.text},${tail.slice(1)}`;
  }
}

function sameOwnerJson(a: OwnerJson, b: OwnerJson): boolean {
  return a.pid === b.pid && a.tid === b.tid && a.ppid === b.ppid && a.comm === b.comm && a.exe === b.exe && a.cmdline === b.cmdline &&
    a.uid === b.uid && a.gid === b.gid && a.user === b.user && a.cgroup === b.cgroup && sameContainer(a.container, b.container);
}

function sameContainer(a: OwnerJson['container'], b: OwnerJson['container']): boolean {
  if (a === null || b === null) return a === b;
  return a.id === b.id && a.runtime === b.runtime && a.name === b.name && a.pod === b.pod && a.namespace === b.namespace;
}

