// Table-driven: real cgroup v2 path layouts of each runtime -> the container they name.
import { describe, expect, test } from 'vitest';
import { containerFromCgroupPath } from '../../src/enrich/containers';

const ID = '9ec39b91f3d70e1beff50a308f77067065ea6be0d91a3378375056cd4422cf3d';
const ID2 = '4f797c539e6c745de61a93ca3ff892358ecbcaccd8414d5db545c38428142970';
const UID = '05b3ee07-a2bd-47e7-9599-7961201f20dd';
const UID_ = UID.replaceAll('-', '_');
const STATIC_UID = '6c3b1e3f0c4a2fe1a0e7d1b2b3c4d5e6'; // static pods: a hash, not a UUID

type Row = [source: string, path: string, want: Record<string, unknown> | null];

const rows: Row[] = [
  // Docker, systemd cgroup driver (native.cgroupdriver=systemd; runc's systemd driver
  // names the scope "<prefix>-<id>.scope" with prefix "docker").
  ['docker systemd', `/system.slice/docker-${ID}.scope`, { id: ID, runtime: 'docker', pod: null, qos: null }],
  // Docker, cgroupfs driver (dockerd's default cgroup parent "/docker").
  ['docker cgroupfs', `/docker/${ID}`, { id: ID, runtime: 'docker' }],
  // Docker in Docker: the inner container is the one the process runs in.
  ['docker in docker', `/docker/${ID}/docker/${ID2}`, { id: ID2, runtime: 'docker' }],
  // containerd CRI with SystemdCgroup=true: kubelet's systemd driver escapes '-' in the pod
  // uid to '_' (ConvertCgroupNameToSystemd) and containerd names the scope cri-containerd-<id>.
  [
    'k8s containerd burstable',
    `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_}.slice/cri-containerd-${ID}.scope`,
    { id: ID, runtime: 'containerd', pod: UID, qos: 'burstable', namespace: null },
  ],
  [
    'k8s containerd besteffort',
    `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${UID_}.slice/cri-containerd-${ID}.scope`,
    { id: ID, runtime: 'containerd', pod: UID, qos: 'besteffort' },
  ],
  // Guaranteed pods sit directly under kubepods (Kubernetes pod-resource-management design).
  [
    'k8s containerd guaranteed',
    `/kubepods.slice/kubepods-pod${UID_}.slice/cri-containerd-${ID}.scope`,
    { id: ID, runtime: 'containerd', pod: UID, qos: 'guaranteed' },
  ],
  // kind nodes run kubelet under kubelet.slice, which prefixes every slice name.
  [
    'kind (kubelet.slice)',
    `/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod${UID_}.slice/cri-containerd-${ID}.scope`,
    { id: ID, runtime: 'containerd', pod: UID, qos: 'besteffort' },
  ],
  // kubelet cgroupfs driver: /kubepods/<qos>/pod<uid>/<container id>.
  ['k8s cgroupfs burstable', `/kubepods/burstable/pod${UID}/${ID}`, { id: ID, runtime: 'containerd', pod: UID, qos: 'burstable' }],
  ['k8s cgroupfs besteffort', `/kubepods/besteffort/pod${UID}/${ID}`, { id: ID, runtime: 'containerd', pod: UID, qos: 'besteffort' }],
  ['k8s cgroupfs guaranteed', `/kubepods/pod${UID}/${ID}`, { id: ID, runtime: 'containerd', pod: UID, qos: 'guaranteed' }],
  ['k8s static pod', `/kubepods/burstable/pod${STATIC_UID}/${ID}`, { id: ID, pod: STATIC_UID, qos: 'burstable' }],
  // Kubernetes with dockershim (before 1.24) and Docker's systemd driver.
  [
    'k8s dockershim',
    `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${UID_}.slice/docker-${ID}.scope`,
    { id: ID, runtime: 'docker', pod: UID, qos: 'besteffort' },
  ],
  // CRI-O, systemd cgroup manager: crio-<id>.scope; with conmon_cgroup=pod its monitor
  // lives in crio-conmon-<id>.scope (CRI-O's cgmgr), which is a host process, not the container.
  [
    'cri-o',
    `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_}.slice/crio-${ID}.scope`,
    { id: ID, runtime: 'cri-o', pod: UID, qos: 'burstable' },
  ],
  // Since CRI-O 1.28 (and with systemd-in-container) processes sit in a "container" child.
  [
    'cri-o container sub-cgroup',
    `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_}.slice/crio-${ID}.scope/container`,
    { id: ID, runtime: 'cri-o', pod: UID },
  ],
  ['cri-o conmon is not the container', `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_}.slice/crio-conmon-${ID}.scope`, null],
  ['cri-o cgroupfs', `/kubepods/besteffort/pod${UID}/crio-${ID}`, { id: ID, runtime: 'cri-o', pod: UID, qos: 'besteffort' }],
  // podman, cgroupfs manager (libpod's CgroupfsDefaultCgroupParent "/libpod_parent"):
  // this is what `cat /proc/self/cgroup` prints in a container on this machine.
  ['podman cgroupfs (this machine)', `/libpod_parent/libpod-${ID}`, { id: ID, runtime: 'podman', pod: null, qos: null }],
  // podman, systemd manager, rootful (SystemdDefaultCgroupParent "machine.slice").
  ['podman systemd rootful', `/machine.slice/libpod-${ID}.scope`, { id: ID, runtime: 'podman' }],
  ['podman systemd container child', `/machine.slice/libpod-${ID}.scope/container`, { id: ID, runtime: 'podman' }],
  ['podman conmon is not the container', `/machine.slice/libpod-conmon-${ID}.scope`, null],
  // podman rootless: the user's systemd instance.
  ['podman rootless', `/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-${ID}.scope`, { id: ID, runtime: 'podman' }],
  // podman pods: the pod's slice above the container's scope.
  ['podman pod', `/machine.slice/machine-libpod_pod_${ID2}.slice/libpod-${ID}.scope`, { id: ID, runtime: 'podman', pod: ID2 }],
  // nerdctl (containerd without Kubernetes), systemd driver.
  ['nerdctl', `/system.slice/nerdctl-${ID}.scope`, { id: ID, runtime: 'containerd' }],
  // LXC 4+: lxc.payload.<name> (the container's own cgroup; lxc.monitor.<name> is the monitor).
  ['lxc', '/lxc.payload.web1', { id: 'web1', runtime: 'lxc', name: 'web1' }],
  ['lxc nested init', '/lxc.payload.web1/init.scope', { id: 'web1', runtime: 'lxc' }],
  ['lxc monitor is not the container', '/lxc.monitor.web1', null],
  ['lxc legacy', '/lxc/web1', { id: 'web1', runtime: 'lxc', name: 'web1' }],
  // systemd-nspawn@.service under machine.slice; machine names are \x-escaped.
  ['nspawn', '/machine.slice/systemd-nspawn@my\\x2dbox.service/payload', { id: 'my-box', runtime: 'systemd-nspawn', name: 'my-box' }],
  // Host processes.
  ['host root', '/', null],
  ['host service', '/system.slice/ssh.service', null],
  ['host user session', '/user.slice/user-1000.slice/session-3.scope', null],
  ['docker daemon itself', '/system.slice/docker.service', null],
  ['kubepods slice without container', `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_}.slice`, null],
  ['a 64-hex dir under an unknown parent', `/something/${ID}`, null],
  ['short hex', '/docker/9ec39b91f3d7', null],
  ['uppercase hex', `/docker/${ID.toUpperCase()}`, null],
];

describe('containerFromCgroupPath', () => {
  test.each(rows)('%s', (_source, path, want) => {
    const got = containerFromCgroupPath(path);
    if (want === null) expect(got).toBeNull();
    else expect(got).toMatchObject(want);
  });

  test('names are left to the runtime API unless the path carries them', () => {
    expect(containerFromCgroupPath(`/system.slice/docker-${ID}.scope`)?.name).toBeNull();
  });
});
