// Struct layouts as the compiled BPF object's own BTF describes them: the kernel side of
// the layout-drift test (src/events/ decodes with offsets that must match these).
import { RuntimeError } from '../errors';
import { libbpf } from './libbpf';
import { captureLibbpfLog } from './libbpf-log';
import { structLayout, type StructLayout } from './btf';
import { errnoName } from './failures';

export type { StructLayout };

/**
 * `{ [struct]: { size, members: { [field]: { offset, size } } } }` for each name that the
 * object's BTF defines (a name it lacks is simply absent from the result). Byte units;
 * a bitfield has a fractional offset/size.
 */
export function readStructLayouts(objectPath: string, structNames: string[]): Record<string, StructLayout> {
  const b = libbpf();
  captureLibbpfLog();
  const btf = b.bpf.btf__parse_elf(objectPath, null);
  if (btf === null) {
    throw new RuntimeError(`cannot read BTF from ${objectPath}: ${errnoName(b.errno())} (build it with clang -g)`);
  }
  try {
    const out: Record<string, StructLayout> = {};
    for (const name of structNames) {
      const layout = structLayout(btf, name);
      if (layout) out[name] = layout;
    }
    return out;
  } finally {
    b.bpf.btf__free(btf);
  }
}
