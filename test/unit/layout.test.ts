// The decoder's offsets (src/events/layout.ts) against the compiled object's own BTF
// (bpf/dist/sockscope.bpf.o, built from bpf/sockscope.h): any drift in a size or an
// offset fails here. Reading BTF from a file needs libbpf but no privileges.
import { describe, expect, it } from 'vitest';
import { readStructLayouts } from '../../src/loader/btf-layout';
import { LAYOUTS } from '../../src/events/layout';

const OBJECT = new URL('../../bpf/dist/sockscope.bpf.o', import.meta.url).pathname;

describe('event layout matches the BPF object', () => {
  const names = Object.keys(LAYOUTS);
  const btf = readStructLayouts(OBJECT, names);

  it.each(names)('%s has the same size and member offsets', (name) => {
    const kernel = btf[name];
    expect(kernel, `${name} missing from the object's BTF`).toBeDefined();
    expect({ size: kernel!.size, members: kernel!.members }).toEqual(LAYOUTS[name]);
  });

  it('every struct is covered (no member left out on the TS side)', () => {
    for (const name of names) expect(Object.keys(btf[name]!.members).sort()).toEqual(Object.keys(LAYOUTS[name]!.members).sort());
  });
});
