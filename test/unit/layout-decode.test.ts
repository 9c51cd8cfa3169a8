// Records built byte by byte through the layout table (src/events/layout.ts, checked
// against the object's BTF by layout.test.ts) decode into the events the live source
// uses: the exec record's argv, the short fork/exit records, the cgroup creation record,
// the one record of a short-lived TCP flow (its open and its close).
import { describe, expect, it } from 'vitest';
import { argvToCmdline, decodeFlowRecordWith, decodeRecord, flowRecordScratch, formatAddr, tcpSockAt } from '../../src/events/decode';
import { BRIEF_RECORD, CGROUP_RECORD, COUNTERS, FLOW_RECORD, OWNER, PROC_RECORD, REC, TCP_SOCK, TUPLE, type Field } from '../../src/events/layout';

function put(b: Buffer, fld: Field, v: number | bigint | string | Buffer): void {
  if (typeof v === 'string' || Buffer.isBuffer(v)) Buffer.from(v).copy(b, fld.offset, 0, fld.size);
  else if (fld.size === 8) b.writeBigUInt64LE(BigInt(v), fld.offset);
  else if (fld.size === 4) b.writeUInt32LE(Number(v), fld.offset);
  else if (fld.size === 2) b.writeUInt16LE(Number(v), fld.offset);
  else b.writeUInt8(Number(v), fld.offset);
}

/** A flow record of `type` (its size) with only its flow id and `reason` flags set. */
function flaggedRecord(type: number, flowId: number, reason: number): Buffer {
  const b = Buffer.alloc(type === REC.FLOW_BRIEF ? BRIEF_RECORD.size : FLOW_RECORD.size);
  put(b, FLOW_RECORD.members.type, type);
  put(b, FLOW_RECORD.members.flow_id, flowId);
  put(b, FLOW_RECORD.members.reason, reason);
  return b;
}

/** A field of a struct nested at `base`. */
const at = (base: Field, fld: Field): Field => ({ offset: base.offset + fld.offset, size: fld.size });

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

  it('a FLOW_BRIEF record: the flow-open at the open time, then the flow-close with the final counters', () => {
    const b = Buffer.alloc(BRIEF_RECORD.size);
    const m = FLOW_RECORD.members;
    const t = TUPLE.members;
    const o = OWNER.members;
    const c = COUNTERS.members;
    put(b, m.type, REC.FLOW_BRIEF);
    put(b, m.flow_id, 77);
    put(b, m.ts, 1_000n);
    put(b, m.cookie, 9n);
    put(b, m.direction, 1);
    put(b, m.state, 1);
    put(b, m.latency_us, 42);
    put(b, at(m.tuple, t.laddr), Buffer.from([127, 0, 0, 1]));
    put(b, at(m.tuple, t.raddr), Buffer.from([127, 0, 0, 2]));
    put(b, at(m.tuple, t.lport), 5000);
    put(b, at(m.tuple, t.rport), 80);
    put(b, at(m.tuple, t.family), 2);
    put(b, at(m.tuple, t.proto), 6);
    put(b, at(m.owner, o.tgid), 4242);
    put(b, at(m.owner, o.comm), 'curl');
    put(b, at(m.counters, c.bytes_sent), 12n);
    put(b, at(m.counters, c.bytes_received), 34n);
    put(b, at(m.counters, c.srtt_us), 5);
    put(b, BRIEF_RECORD.members.close_ts, 2_000n);
    const rec = decodeRecord(b);
    expect(rec).toMatchObject({
      type: 'flow-brief',
      open: {
        type: 'flow-open', ts: 1000, flowId: 77, cookie: 9, proto: 'tcp', family: 4, laddr: '127.0.0.1', lport: 5000,
        raddr: '127.0.0.2', rport: 80, direction: 'outbound', state: 'ESTABLISHED', connectLatencyUs: 42, seenAtStart: false,
        owner: { pid: 4242, comm: 'curl' },
      },
      close: { type: 'flow-close', ts: 2000, flowId: 77, counters: { bytesSent: 12, bytesReceived: 34, retransmits: 0, srttUs: 5 } },
    });
    expect(decodeRecord(b.subarray(0, BRIEF_RECORD.size - 1))).toBeNull();
    expect((rec as { close: object }).close).not.toHaveProperty('closeUnseen');
  });

  it('a FLOW_BRIEF or FLOW_CLOSE with reason SS_CLOSE_UNSEEN: a flow-close marked closeUnseen', () => {
    const brief = flaggedRecord(REC.FLOW_BRIEF, 78, 1);
    put(brief, BRIEF_RECORD.members.close_ts, 3_000n);
    expect(decodeRecord(brief)).toMatchObject({ type: 'flow-brief', close: { type: 'flow-close', ts: 3000, flowId: 78, closeUnseen: true } });
    const close = flaggedRecord(REC.FLOW_CLOSE, 79, 1);
    expect(decodeRecord(close)).toMatchObject({ type: 'flow-close', flowId: 79, closeUnseen: true });
    put(close, FLOW_RECORD.members.reason, 0);
    expect(decodeRecord(close)).not.toHaveProperty('closeUnseen');
    // The scratch decoder live applies runs with: the mark, then off again for the next.
    const scratch = flowRecordScratch();
    const marks: unknown[] = [];
    const take = (e: { type: string; closeUnseen?: true }) => { if (e.type === 'flow-close') marks.push(e.closeUnseen); };
    decodeFlowRecordWith(brief, 0, brief.length, scratch, take);
    decodeFlowRecordWith(brief, 0, brief.length, scratch, () => {}, (_open, c) => marks.push(c.closeUnseen));
    decodeFlowRecordWith(close, 0, close.length, scratch, take);
    expect(marks).toEqual([true, true, undefined]);
  });

  it('the scratch decoder gives decodeRecord\'s values, 64-bit ones whole, for records at any offset of any buffer', () => {
    // Fields read through a DataView of the record's buffer (kept per buffer): records
    // placed at odd offsets in two pools whose memory starts inside a larger ArrayBuffer.
    const brief = (flowId: number, big: bigint): Buffer => {
      const b = Buffer.alloc(BRIEF_RECORD.size);
      const m = FLOW_RECORD.members;
      put(b, m.type, REC.FLOW_BRIEF);
      put(b, m.flow_id, flowId);
      put(b, m.ts, big + 1n);
      put(b, m.cookie, big + 2n);
      put(b, m.direction, 1);
      put(b, m.state, 1);
      put(b, m.latency_us, 0xfffffff0);
      put(b, at(m.tuple, TUPLE.members.laddr), Buffer.from([10, 1, 2, 3]));
      put(b, at(m.tuple, TUPLE.members.raddr), Buffer.from([192, 168, 200, 254]));
      put(b, at(m.tuple, TUPLE.members.lport), 65535);
      put(b, at(m.tuple, TUPLE.members.rport), 443);
      put(b, at(m.tuple, TUPLE.members.family), 2);
      put(b, at(m.tuple, TUPLE.members.proto), 6);
      put(b, at(m.owner, OWNER.members.tgid), 77);
      const c = COUNTERS.members;
      put(b, at(m.counters, c.bytes_sent), big + 3n);
      put(b, at(m.counters, c.bytes_received), (1n << 40n) + 5n);
      put(b, at(m.counters, c.packets_sent), 0xffffffffn);
      put(b, at(m.counters, c.packets_received), 1n << 32n);
      put(b, at(m.counters, c.retransmits), 0x80000001);
      put(b, at(m.counters, c.srtt_us), 12);
      put(b, BRIEF_RECORD.members.close_ts, big + 4n);
      return b;
    };
    const records = [brief(1, (1n << 52n) + 123n), brief(0xfffffffe, 5_000_000_000n), brief(3, 0n)];
    for (const shift of [0, 1, 3, 6]) {
      const pool = Buffer.from(new ArrayBuffer(4096)).subarray(8 + shift, 8 + shift + 3 * BRIEF_RECORD.size);
      records.forEach((r, i) => r.copy(pool, i * BRIEF_RECORD.size));
      const scratch = flowRecordScratch();
      records.forEach((r, i) => {
        const expected = decodeRecord(r) as { open: object; close: object };
        let seen: unknown = null;
        decodeFlowRecordWith(pool, i * BRIEF_RECORD.size, BRIEF_RECORD.size, scratch, () => {}, (o, c) => {
          seen = { open: { ...o }, close: { ...c, counters: { ...c.counters } } };
        });
        expect(seen).toEqual({ open: expected.open, close: expected.close });
        // Another buffer between two records of this one: the view follows the buffer.
        decodeFlowRecordWith(r, 0, r.length, scratch, () => {}, () => {});
      });
    }
  });

  it('a FLOW_BRIEF or FLOW_OPEN with the SS_OPEN_UNSEEN flag: a flow-open marked openUnseen, beside SS_CLOSE_UNSEEN', () => {
    const brief = flaggedRecord(REC.FLOW_BRIEF, 80, 2);
    const onlyOpen = decodeRecord(brief) as { open: object; close: object };
    expect(onlyOpen.open).toMatchObject({ type: 'flow-open', flowId: 80, openUnseen: true });
    expect(onlyOpen.close).not.toHaveProperty('closeUnseen');
    put(brief, FLOW_RECORD.members.reason, 3);
    expect(decodeRecord(brief)).toMatchObject({ open: { openUnseen: true }, close: { closeUnseen: true } });
    const open = flaggedRecord(REC.FLOW_OPEN, 81, 2);
    expect(decodeRecord(open)).toMatchObject({ type: 'flow-open', flowId: 81, openUnseen: true });
    put(open, FLOW_RECORD.members.reason, 0);
    expect(decodeRecord(open)).not.toHaveProperty('openUnseen');
    // The scratch decoder: the mark, then off again for the next record.
    const scratch = flowRecordScratch();
    const marks: unknown[] = [];
    const take = (e: { type: string; openUnseen?: true }) => { if (e.type === 'flow-open') marks.push(e.openUnseen); };
    decodeFlowRecordWith(brief, 0, brief.length, scratch, () => {}, (o) => marks.push(o.openUnseen));
    decodeFlowRecordWith(open, 0, open.length, scratch, take);
    put(open, FLOW_RECORD.members.reason, 2);
    decodeFlowRecordWith(open, 0, open.length, scratch, take);
    expect(marks).toEqual([true, undefined, true]);
  });

  it('a FLOW_OWNER record: the flow id, the time it was named and its owner', () => {
    const b = Buffer.alloc(FLOW_RECORD.size);
    const m = FLOW_RECORD.members;
    const o = OWNER.members;
    put(b, m.type, REC.FLOW_OWNER);
    put(b, m.flow_id, 78);
    put(b, m.ts, 3_000n);
    put(b, at(m.owner, o.tgid), 4243);
    put(b, at(m.owner, o.tid), 4244);
    put(b, at(m.owner, o.uid), 33);
    put(b, at(m.owner, o.netns), 4026531840);
    put(b, at(m.owner, o.comm), 'nginx');
    expect(decodeRecord(b)).toEqual({
      type: 'flow-owner', ts: 3000, flowId: 78,
      owner: { pid: 4243, tid: 4244, ppid: 0, uid: 33, gid: 0, comm: 'nginx', cgroupId: 0, netns: 4026531840 },
    });
    expect(decodeRecord(b.subarray(0, FLOW_RECORD.size - 1))).toBeNull();
  });

  it.each([0, 1])('owners that alternate come back as the same objects; one differing in any field reads as itself (record at byte %i of its memory)', (shift) => {
    const m = FLOW_RECORD.members;
    const o = OWNER.members;
    const base = { pid: 4243, tid: 4244, ppid: 7, uid: 33, gid: 34, comm: 'nginx-worker-12', cgroupId: 2 ** 40 + 5, netns: 4026531840 };
    const record = (w: typeof base) => {
      const b = Buffer.alloc(FLOW_RECORD.size);
      put(b, m.type, REC.FLOW_OWNER);
      put(b, at(m.owner, o.tgid), w.pid);
      put(b, at(m.owner, o.tid), w.tid);
      put(b, at(m.owner, o.ppid), w.ppid);
      put(b, at(m.owner, o.uid), w.uid);
      put(b, at(m.owner, o.gid), w.gid);
      put(b, at(m.owner, o.netns), w.netns);
      put(b, at(m.owner, o.cgroup_id), BigInt(w.cgroupId));
      put(b, at(m.owner, o.comm), w.comm);
      // Read as words when 4-aligned in its memory, byte by byte when not.
      const shifted = Buffer.alloc(b.length + shift);
      b.copy(shifted, shift);
      return shifted.subarray(shift);
    };
    const ownerOf = (b: Buffer) => (decodeRecord(b) as { owner: object }).owner;
    const a = record(base);
    const other = record({ ...base, pid: 99, tid: 99, comm: 'tcp_churn' });
    const first = ownerOf(a);
    const variants = [
      { pid: 4245 }, { tid: 4245 }, { ppid: 8 }, { uid: 35 }, { gid: 35 }, { netns: 4026531841 },
      { cgroupId: 2 ** 41 + 5 }, { cgroupId: 2 ** 40 + 6 }, { comm: 'nginx-worker-13' },
    ];
    for (const v of variants) {
      expect(ownerOf(other)).toEqual({ ...base, pid: 99, tid: 99, comm: 'tcp_churn' });
      expect(ownerOf(a)).toBe(first);
      expect(ownerOf(record({ ...base, ...v }))).toEqual({ ...base, ...v });
      expect(ownerOf(a)).toBe(first);
    }
  });

  it('addresses: IPv4, IPv4-mapped IPv6 as IPv4, IPv6 compressed as RFC 5952 says', () => {
    const v6 = (hex: string) => Buffer.from(hex, 'hex');
    expect(formatAddr(Buffer.from([10, 0, 0, 255, 9, 9]), 2)).toEqual({ family: 4, addr: '10.0.0.255' });
    // dotted() keys its cache by the signed word: both halves of the range, twice (cached).
    for (let r = 0; r < 2; r++) {
      for (const a of [[127, 255, 255, 255], [128, 0, 0, 0], [200, 1, 2, 3], [255, 255, 255, 255], [0, 0, 0, 0]]) {
        expect(formatAddr(Buffer.from(a), 2)).toEqual({ family: 4, addr: a.join('.') });
      }
    }
    expect(formatAddr(v6('00000000000000000000ffffc0a80001'), 10)).toEqual({ family: 4, addr: '192.168.0.1' });
    expect(formatAddr(v6('00000000000000000000000000000001'), 10)).toEqual({ family: 6, addr: '::1' });
    expect(formatAddr(v6('20010db8000000000001000000000001'), 10)).toEqual({ family: 6, addr: '2001:db8::1:0:0:1' });
    expect(formatAddr(v6('0000000000000000000000ffc0a80001'), 10)).toEqual({ family: 6, addr: '::ff:c0a8:1' });
  });

  it('IPv6 addresses formatted again (from the cache of recent ones) read as the first time, colliding slots included', () => {
    // For each of the four words: 4,096 addresses that differ only in it, so that many
    // share a cache slot with an address equal to them in the other three words.
    const addrs: Buffer[] = [];
    for (let k = 0; k < 4; k++) {
      for (let v = 0; v < 4096; v++) {
        const b = Buffer.from('fd000000000000000000000000000001', 'hex');
        b.writeUInt32BE(k === 0 ? 0xfd000000 + v : v * 0x10001, 4 * k);
        addrs.push(b);
      }
    }
    // The WHATWG URL serializer compresses as RFC 5952 does (no IPv4 forms here).
    const expected = (b: Buffer) => new URL(`http://[${b.toString('hex').replace(/(.{4})(?!$)/g, '$1:')}]`).hostname.slice(1, -1);
    for (const pass of [addrs, [...addrs].reverse()]) {
      for (const b of pass) expect(formatAddr(b, 10).addr).toBe(expected(b));
    }
  });

  it('64-bit fields above 2^53 round as Number(BigInt) does', () => {
    const b = Buffer.alloc(CGROUP_RECORD.size);
    const m = CGROUP_RECORD.members;
    put(b, m.type, REC.CGROUP_MKDIR);
    put(b, m.ts, 0xfedcba9876543210n);
    put(b, m.cgroup_id, (1n << 53n) + 1n);
    put(b, m.path, '/x');
    expect(decodeRecord(b)).toMatchObject({ ts: Number(0xfedcba9876543210n), cgroupId: Number((1n << 53n) + 1n) });
  });

  it('a tcp_socks entry is snapped when any byte of its snapshot time is set', () => {
    const b = Buffer.alloc(8 + TCP_SOCK.size);
    expect(tcpSockAt.snapped(b, 8)).toBe(false);
    for (const ts of [1n, 1n << 40n, 1n << 63n, 1_234_567_890_123n]) {
      b.fill(0);
      b.writeBigUInt64LE(ts, 8 + TCP_SOCK.members.snap_ts.offset);
      expect(tcpSockAt.snapped(b, 8)).toBe(true);
      expect(tcpSockAt.snapTs(b, 8)).toBe(Number(ts));
    }
  });
});
