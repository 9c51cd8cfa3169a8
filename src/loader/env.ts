// Environment overrides the loader honours, in one place (README "Environment" lists them):
//   SOCKSCOPE_LIBBPF=PATH        the libbpf shared library to load instead of libbpf.so.1
//                                (a libbpf built elsewhere; tests point it at a missing file)
//   SOCKSCOPE_BTF=PATH           kernel BTF to read instead of /sys/kernel/btf/vmlinux: doctor's
//                                checks and libbpf's CO-RE relocations (btf_custom_path) use it;
//                                BTF tracepoints still need the running kernel's own BTF
//   SOCKSCOPE_LIBBPF_DEBUG=1     print libbpf's debug log to stderr (libbpf-log.ts)

export const LIBBPF_SONAME = 'libbpf.so.1';
export const VMLINUX_BTF = '/sys/kernel/btf/vmlinux';

/** The libbpf to load: SOCKSCOPE_LIBBPF, else the soname the dynamic linker resolves. */
export function libbpfPath(): string {
  return process.env.SOCKSCOPE_LIBBPF || LIBBPF_SONAME;
}

/** The kernel BTF sockscope relies on: SOCKSCOPE_BTF, else the kernel's own. */
export function kernelBtfPath(): string {
  return process.env.SOCKSCOPE_BTF || VMLINUX_BTF;
}

/** True when SOCKSCOPE_BTF names another file than the kernel's own BTF. */
export function kernelBtfOverridden(): boolean {
  return kernelBtfPath() !== VMLINUX_BTF;
}
