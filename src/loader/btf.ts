// Reading BTF type records through libbpf's btf__type_by_id: a `struct btf_type` header
// (name_off, info, size/type) followed by kind-specific entries. Used for the .rodata
// datasec (setRodata) and for struct layouts (the layout-drift test).
import { libbpf, type Ptr } from './libbpf';

export const BTF_KIND = {
  INT: 1, PTR: 2, ARRAY: 3, STRUCT: 4, UNION: 5, ENUM: 6, FWD: 7, TYPEDEF: 8, VOLATILE: 9,
  CONST: 10, RESTRICT: 11, FUNC: 12, FUNC_PROTO: 13, VAR: 14, DATASEC: 15, FLOAT: 16,
  DECL_TAG: 17, TYPE_TAG: 18, ENUM64: 19,
} as const;

const HEADER = 12;
const ENTRY = 12; // btf_member, btf_var_secinfo and btf_array are all 3 x u32

export interface BtfTypeHeader {
  id: number;
  name: string;
  kind: number;
  vlen: number;
  kflag: boolean;
  /** size for INT/ENUM/STRUCT/UNION/DATASEC, referenced type id for the others */
  sizeOrType: number;
}

export function btfType(btf: Ptr, id: number): BtfTypeHeader | null {
  const { bpf, readBytes } = libbpf();
  const p = bpf.btf__type_by_id(btf, id);
  if (p === null) return null;
  const h = readBytes(p, HEADER);
  const info = h.readUInt32LE(4);
  return {
    id,
    name: bpf.btf__name_by_offset(btf, h.readUInt32LE(0)) ?? '',
    kind: (info >>> 24) & 0x1f,
    vlen: info & 0xffff,
    kflag: info >>> 31 === 1,
    sizeOrType: h.readUInt32LE(8),
  };
}

/** The `vlen` 12-byte entries after the header, as triples of u32. */
export function btfEntries(btf: Ptr, t: BtfTypeHeader): Array<[number, number, number]> {
  const { bpf, readBytes } = libbpf();
  const p = bpf.btf__type_by_id(btf, t.id);
  if (p === null || t.vlen === 0) return [];
  const b = readBytes(p, HEADER + t.vlen * ENTRY);
  const out: Array<[number, number, number]> = [];
  for (let i = 0; i < t.vlen; i++) {
    const o = HEADER + i * ENTRY;
    out.push([b.readUInt32LE(o), b.readUInt32LE(o + 4), b.readUInt32LE(o + 8)]);
  }
  return out;
}

export interface DatasecVar {
  name: string;
  offset: number;
  size: number;
}

/** Variables of a DATASEC (e.g. ".rodata") by name; null when the section is not in the BTF. */
export function datasecVars(btf: Ptr, section: string): Map<string, DatasecVar> | null {
  const { bpf } = libbpf();
  const id = bpf.btf__find_by_name_kind(btf, section, BTF_KIND.DATASEC);
  if (id <= 0) return null;
  const sec = btfType(btf, id);
  if (!sec) return null;
  const vars = new Map<string, DatasecVar>();
  for (const [typeId, offset, size] of btfEntries(btf, sec)) {
    const v = btfType(btf, typeId);
    if (v && v.kind === BTF_KIND.VAR) vars.set(v.name, { name: v.name, offset, size });
  }
  return vars;
}

export interface StructLayout {
  size: number;
  members: Record<string, { offset: number; size: number }>;
}

/** Layout of the struct (or union) called `name`; null when the BTF has no such type. */
export function structLayout(btf: Ptr, name: string): StructLayout | null {
  const { bpf } = libbpf();
  let id = bpf.btf__find_by_name_kind(btf, name, BTF_KIND.STRUCT);
  if (id <= 0) id = bpf.btf__find_by_name_kind(btf, name, BTF_KIND.UNION);
  if (id <= 0) return null;
  const t = btfType(btf, id);
  return t ? layoutOf(btf, t) : null;
}

function layoutOf(btf: Ptr, t: BtfTypeHeader): StructLayout {
  const { bpf } = libbpf();
  const members: StructLayout['members'] = {};
  for (const [nameOff, typeId, offsetField] of btfEntries(btf, t)) {
    const memberName = bpf.btf__name_by_offset(btf, nameOff) ?? '';
    // kind_flag set: low 24 bits are the bit offset, high 8 the bitfield size.
    const bitOffset = t.kflag ? offsetField & 0xffffff : offsetField;
    const bitfieldSize = t.kflag ? offsetField >>> 24 : 0;
    if (memberName === '') {
      // An anonymous struct/union: its fields are accessed as if they were ours.
      const inner = skipModifiers(btf, typeId);
      if (inner && (inner.kind === BTF_KIND.STRUCT || inner.kind === BTF_KIND.UNION)) {
        for (const [n, m] of Object.entries(layoutOf(btf, inner).members)) {
          members[n] = { offset: m.offset + bitOffset / 8, size: m.size };
        }
      }
      continue;
    }
    const size = bitfieldSize > 0 ? bitfieldSize / 8 : Number(bpf.btf__resolve_size(btf, typeId));
    members[memberName] = { offset: bitOffset / 8, size };
  }
  return { size: t.sizeOrType, members };
}

const MODIFIERS = new Set<number>([BTF_KIND.TYPEDEF, BTF_KIND.VOLATILE, BTF_KIND.CONST, BTF_KIND.RESTRICT, BTF_KIND.TYPE_TAG]);

function skipModifiers(btf: Ptr, id: number): BtfTypeHeader | null {
  let t = btfType(btf, id);
  for (let hops = 0; t && MODIFIERS.has(t.kind) && hops < 32; hops++) t = btfType(btf, t.sizeOrType);
  return t;
}
