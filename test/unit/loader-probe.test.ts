// probe() without parsing the kernel's BTF when it need not: the BTF check reads the file's
// magic, tracepoints listed by tracefs are found there, and a BTF file that is not BTF
// still makes every BTF tracepoint missing. Real files (SOCKSCOPE_BTF), no mocks.
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { probe } from '../../src/loader/probe';
import { tracefsEventsDir } from '../../src/loader/tracefs';

const dir = mkdtempSync(join(tmpdir(), 'sockscope-probe-'));
afterEach(() => {
  delete process.env.SOCKSCOPE_BTF;
});

describe('probe() and the kernel BTF', () => {
  it('a file that is not BTF: BTF not readable, no tp_btf tracepoint usable', () => {
    const fake = join(dir, 'not-btf');
    writeFileSync(fake, 'this is not BTF at all');
    process.env.SOCKSCOPE_BTF = fake;
    const r = probe(true);
    expect(r.btf).toMatchObject({ ok: false, detail: `${fake} (from SOCKSCOPE_BTF) is not readable BTF` });
    for (const t of r.tracepoints.filter((x) => x.via === 'tp_btf')) expect(t).toMatchObject({ ok: false, detail: 'cannot read kernel BTF' });
  });

  it('a missing file: BTF missing, tp_btf tracepoints need it', () => {
    process.env.SOCKSCOPE_BTF = join(dir, 'absent');
    const r = probe(true);
    expect(r.btf.ok).toBe(false);
    expect(r.tracepoints.find((t) => t.name === 'sock:inet_sock_set_state')).toMatchObject({ ok: false, detail: 'needs kernel BTF' });
  });

  it.skipIf(tracefsEventsDir() === null)('real BTF: every tracepoint sockscope uses is found, and is in tracefs', () => {
    const copy = join(dir, 'vmlinux');
    copyFileSync('/sys/kernel/btf/vmlinux', copy);
    process.env.SOCKSCOPE_BTF = copy;
    const r = probe(true);
    expect(r.btf.ok).toBe(true);
    for (const t of r.tracepoints) expect(t.ok).toBe(true);
    rmSync(dir, { recursive: true, force: true });
  });
});
