// The loader's public surface: everything outside src/loader/ imports from here.
export { BpfObject, VMLINUX_BTF, type RodataValue } from './bpf-object';
export { BpfMap, BPF_MAP_TYPE, BPF_ANY, BPF_NOEXIST, BPF_EXIST } from './bpf-map';
export { RingReader, type RecordAtHandler, type RecordHandler, type RingReaderOptions } from './ring-reader';
export { readStructLayouts, type StructLayout } from './btf-layout';
export { onShutdown, closeAll, type ShutdownHook } from './shutdown';
export { TRACEPOINTS, type TracepointUse } from './hooks';
export { describeHook, type HookDescription } from './sections';
