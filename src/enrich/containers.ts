// cgroup v2 path -> container. Every runtime names the cgroup of a container after the
// container, but each in its own way (see the table in test/unit/enrich-containers.test.ts
// for the real layouts and where each comes from). The path is split into components and
// each component matched on its own; the DEEPEST container-looking component wins, so
// nesting (docker-in-docker, a `container` sub-cgroup under a podman or CRI-O scope) names
// the innermost container, and Kubernetes pod and QoS come from the components above it.
import type { Container } from '../events/types';

const HEX64 = '[0-9a-f]{64}';

/** `<prefix>-<64 hex>[.scope]`: the systemd cgroup driver of each runtime. The hex must
 * follow the prefix directly, so monitor cgroups (`crio-conmon-<id>`,
 * `libpod-conmon-<id>`) do not match: conmon is a host process watching the container,
 * not the container, and its cgroup must not be mistaken for it. */
const PREFIXED = new RegExp(`^(docker|cri-containerd|crio|libpod|nerdctl)-(${HEX64})(?:\\.scope)?$`);
const PREFIX_RUNTIME: Record<string, string> = {
  docker: 'docker',
  'cri-containerd': 'containerd',
  crio: 'cri-o',
  libpod: 'podman',
  nerdctl: 'containerd',
};
const BARE_ID = new RegExp(`^${HEX64}$`);
/** Kubernetes pod cgroup: `kubepods[-qos]-pod<uid>.slice` (systemd driver, uid with '_'
 * for '-') or `pod<uid>` (cgroupfs driver). Static pods have a 32-hex uid, others a UUID. */
const POD_SLICE = /^(?:[a-z]+-)*kubepods(?:-(burstable|besteffort))?-pod([0-9a-f_]+)\.slice$/;
const POD_DIR = /^pod([0-9a-f-]{32,36})$/;
const QOS_SLICE = /^(?:[a-z]+-)*kubepods-(burstable|besteffort)\.slice$/;
const QOS_DIR = /^(burstable|besteffort)$/;
/** Podman pods: `machine-libpod_pod_<id>.slice` (systemd) or `/libpod_parent/<id>/`. */
const PODMAN_POD_SLICE = new RegExp(`^machine-libpod_pod_(${HEX64})\\.slice$`);
const LXC = /^lxc\.payload\.(.+)$/;
const NSPAWN = /^systemd-nspawn@(.+)\.service$/;

/** systemd escapes unit-name bytes as \xNN (e.g. '-' in a machine name is \x2d). */
function unescapeSystemd(s: string): string {
  return s.replace(/\\x([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

type Match = Pick<Container, 'id' | 'runtime' | 'name'>;

/** The container named by one component, given its parent component. */
function matchComponent(part: string, parent: string | undefined, underKubepods: boolean): Match | null {
  let m = PREFIXED.exec(part);
  if (m) return { id: m[2], runtime: PREFIX_RUNTIME[m[1]], name: null };
  if (BARE_ID.test(part)) {
    if (parent === 'docker') return { id: part, runtime: 'docker', name: null };
    // kubelet's cgroupfs driver: /kubepods[/qos]/pod<uid>/<id>. CRI-O prefixes `crio-`
    // even there, so a bare id is containerd's (or dockershim's, removed in 1.24).
    if (underKubepods && parent !== undefined && POD_DIR.test(parent)) return { id: part, runtime: 'containerd', name: null };
    return null;
  }
  m = LXC.exec(part) ?? (parent === 'lxc' ? /^(.+)$/.exec(part) : null);
  if (m) return { id: m[1], runtime: 'lxc', name: m[1] };
  m = NSPAWN.exec(part);
  if (m) {
    const name = unescapeSystemd(m[1]);
    return { id: name, runtime: 'systemd-nspawn', name };
  }
  return null;
}

/** Parses a cgroup v2 path (as in /proc/PID/cgroup, "/"-rooted) into the container that
 * owns it, or null for host cgroups. `name` is only set where the path carries it (LXC,
 * nspawn); the runtime API fills in the others. */
export function containerFromCgroupPath(path: string): Container | null {
  const parts = path.split('/').filter((p) => p !== '');
  const underKubepods = parts.some((p) => p === 'kubepods' || p.includes('kubepods'));
  let found: Match | null = null;
  let foundAt = -1;
  for (let i = 0; i < parts.length; i++) {
    const match = matchComponent(parts[i], parts[i - 1], underKubepods);
    if (match) {
      found = match;
      foundAt = i;
    }
  }
  if (!found) return null;

  let pod: string | null = null;
  let qos: string | null = null;
  for (let i = 0; i < foundAt; i++) {
    const part = parts[i];
    let m = POD_SLICE.exec(part);
    if (m) {
      pod = m[2].replaceAll('_', '-');
      qos = m[1] ?? qos;
      continue;
    }
    if (underKubepods && (m = POD_DIR.exec(part))) {
      pod = m[1];
      continue;
    }
    if ((m = QOS_SLICE.exec(part))) qos = m[1];
    else if (underKubepods && parts[i - 1] === 'kubepods' && (m = QOS_DIR.exec(part))) qos = m[1];
    else if ((m = PODMAN_POD_SLICE.exec(part))) pod = m[1];
    else if (parts[i - 1] === 'libpod_parent' && BARE_ID.test(part)) pod = part;
  }
  // Kubernetes puts guaranteed pods directly under kubepods, with no QoS level.
  if (underKubepods && pod !== null && qos === null) qos = 'guaranteed';

  return { id: found.id, runtime: found.runtime, name: found.name, pod, namespace: null, qos: underKubepods ? qos : null };
}
