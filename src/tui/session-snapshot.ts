// Recording from the screen starts in the middle of a session: the file must still replay
// on its own. These events restate what the reducer already knows (names, cgroups,
// processes, and the flows open right now, as flows seen at start, their counters from
// zero, as the contract says of flows that predate a capture) before the live batches
// that follow.
import type { CoreState } from '../core/state';
import type { AppEvent } from '../events/types';

export function snapshotEvents(state: CoreState): AppEvent[] {
  const ts = state.now;
  const out: AppEvent[] = [];
  for (const [uid, name] of state.users) out.push({ type: 'user', uid, name });
  for (const [gid, name] of state.groups) out.push({ type: 'group', gid, name });
  for (const cg of state.cgroups.values()) out.push({ type: 'cgroup', cgroupId: cg.cgroupId, path: cg.path, container: cg.container });
  for (const [id, name] of state.containerNames) out.push({ type: 'container-name', id, name });
  for (const p of state.processes.values()) {
    if (p.exitedTs !== null) continue;
    out.push({ type: 'process', ts, pid: p.pid, ppid: p.ppid, exe: p.exe, cmdline: p.cmdline });
  }
  // Through the store's transient view: a view kept per flow is what the TUI's table no
  // longer makes (flow-table.ts), and recording from the screen should not make one either.
  const store = state.flows.store;
  for (const slot of state.flows.slots.values()) {
    const f = store.transientView(slot);
    if (f.endTs !== null) continue;
    out.push({
      type: 'flow-open', ts, flowId: f.flowId, cookie: f.cookie, proto: f.proto, family: f.family,
      laddr: f.laddr, lport: f.lport, raddr: f.raddr, rport: f.rport, direction: f.direction, owner: f.owner,
      state: f.state, connectLatencyUs: f.connectLatencyUs, seenAtStart: true,
    });
  }
  return out;
}

/** `sockscope-20261125-184455.ssrec`: local time, sortable, no characters a shell minds. */
export function defaultRecordingName(now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const d = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}`;
  const t = `${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  return `sockscope-${d}-${t}.ssrec`;
}
