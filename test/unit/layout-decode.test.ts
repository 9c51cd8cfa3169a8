// Records built byte by byte through the layout table (src/events/layout.ts, checked
// against the object's BTF by layout.test.ts) decode into the events the live source
// uses: the exec record's argv, the short fork/exit records, the cgroup creation record.
import { describe, expect, it } from 'vitest';
import { argvToCmdline, decodeRecord } from '../../src/events/decode';
import { CGROUP_RECORD, PROC_RECORD, REC, type Field } from '../../src/events/layout';

function put(b: Buffer, fld: Field, v: number | bigint | string | Buffer): void {
  if (typeof v === 'string' || Buffer.isBuffer(v)) Buffer.from(v).copy(b, fld.offset, 0, fld.size);
  else if (fld.size === 8) b.writeBigUInt64LE(BigInt(v), fld.offset);
  else b.writeUInt32LE(Number(v), fld.offset);
}

function procRecord(type: number, argv: Buffer | null, size: number = PROC_RECORD.size): Buffer {
  const b = Buffer.alloc(PROC_RECORD.size);
  const m = PROC_RECORD.members;
  put(b, m.type, type);
  put(b, m.pid, 4242);
  put(b, m.ts, 5_000_000_000n);
  put(b, m.ppid, 1);
  put(b, m.uid, 1000);
  put(b, m.comm, 'curl');
  put(b, m.filename, '/usr/bin/curl');
  if (argv) {
    put(b, m.cmdline, argv);
    put(b, m.cmdline_len, Math.min(argv.length, m.cmdline.size));
  }
  return b.subarray(0, size);
}

describe('decodeRecord: process and cgroup records', () => {
  it('an exec record carries its argv, NULs as spaces', () => {
    const argv = Buffer.from('curl\0-s\0http://x\0');
    expect(decodeRecord(procRecord(REC.PROC_EXEC, argv))).toEqual({
      type: 'proc-exec', ts: 5e9, pid: 4242, ppid: 1, uid: 1000, comm: 'curl', filename: '/usr/bin/curl', cmdline: 'curl -s http://x',
    });
  });

  it('argv cut by the kernel bound keeps what fits; none read is null', () => {
    const long = Buffer.from(`sh\0-c\0${'x'.repeat(600)}\0`);
    const ev = decodeRecord(procRecord(REC.PROC_EXEC, long));
    expect(ev).toMatchObject({ type: 'proc-exec', cmdline: `sh -c ${'x'.repeat(PROC_RECORD.members.cmdline.size - 6)}` });
    expect(decodeRecord(procRecord(REC.PROC_EXEC, null))).toMatchObject({ type: 'proc-exec', cmdline: null });
    expect(argvToCmdline(Buffer.from('\0\0'))).toBeNull();
  });

  it('fork and exit records end before the exec-only fields; a short exec record is refused', () => {
    const short = PROC_RECORD.members.filename.offset;
    expect(decodeRecord(procRecord(REC.PROC_FORK, null, short))).toEqual({ type: 'proc-fork', ts: 5e9, pid: 4242, ppid: 1, comm: 'curl' });
    expect(decodeRecord(procRecord(REC.PROC_EXIT, null, short))).toEqual({ type: 'proc-exit', ts: 5e9, pid: 4242 });
    expect(decodeRecord(procRecord(REC.PROC_EXIT, null, short - 1))).toBeNull();
    expect(decodeRecord(procRecord(REC.PROC_EXEC, null, short))).toBeNull();
  });

  it('a cgroup creation record: id and path', () => {
    const b = Buffer.alloc(CGROUP_RECORD.size);
    const m = CGROUP_RECORD.members;
    put(b, m.type, REC.CGROUP_MKDIR);
    put(b, m.ts, 7n);
    put(b, m.cgroup_id, 123456n);
    put(b, m.path, '/system.slice/docker-abc.scope');
    expect(decodeRecord(b)).toEqual({ type: 'cgroup-mkdir', ts: 7, cgroupId: 123456, path: '/system.slice/docker-abc.scope' });
    expect(decodeRecord(b.subarray(0, CGROUP_RECORD.size - 1))).toBeNull();
  });
});
