// LineWriter: every line reaches the stream once, in order, with its newline, whether the
// stream writes the bytes through at once (as process.stdout does to a file or a pipe with
// room) or holds them (a slow reader).
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LineWriter } from '../../src/commands/line-writer';
import { mergeObjects } from '../../src/core/flow-json-line';

function lines(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(JSON.stringify({ i, comm: i % 7 === 0 ? 'ünïcødé ✓ 𝄞' : 'nginx', pad: 'x'.repeat(i % 500) }));
  return out;
}

describe('LineWriter', () => {
  it('writes the lines in order, across chunks, with multi-byte text and a line longer than a chunk', async () => {
    const all = [...lines(3000), 'y'.repeat(300_000), ...lines(10)];
    const got: Buffer[] = [];
    // Written through: the bytes are copied out before write() returns.
    const stream = new Writable({ write(chunk: Buffer, _enc, cb) { got.push(Buffer.from(chunk)); cb(); } });
    const w = new LineWriter(stream);
    for (const l of all) w.add(l);
    await w.flush();
    expect(Buffer.concat(got).toString('utf8')).toBe(`${all.join('\n')}\n`);
  });

  it('does not reuse a chunk the stream still holds, and flush waits for a slow reader', async () => {
    const held: Buffer[] = [];
    const callbacks: Array<() => void> = [];
    // Keeps each chunk as given (no copy) and finishes writes only when told to.
    const stream = new Writable({ highWaterMark: 1024, write(chunk: Buffer, _enc, cb) { held.push(chunk); callbacks.push(cb); } });
    const w = new LineWriter(stream);
    const all = lines(2000);
    for (const l of all) w.add(l);
    let flushed = false;
    const done = w.flush().then(() => (flushed = true));
    await new Promise((r) => setImmediate(r));
    expect(flushed).toBe(false);
    while (!flushed) {
      callbacks.splice(0).forEach((cb) => cb());
      await new Promise((r) => setImmediate(r));
    }
    await done;
    expect(Buffer.concat(held).toString('utf8')).toBe(`${all.join('\n')}\n`);
  });

  it('merges JSON objects into one line as it encodes them, as mergeObjects does, also past a chunk and for a line longer than one', async () => {
    const groups: string[][] = [];
    for (let i = 0; i < 3000; i++) {
      groups.push([JSON.stringify({ a: i, é: 'ü✓' }), JSON.stringify({ b: 'x'.repeat(i % 300), c: null }), JSON.stringify({ d: [i, { e: '𝄞' }] })]);
    }
    groups.push([JSON.stringify({ long: 'y'.repeat(300_000) }), '{"z":1}'], ['{"only":true}']);
    const got: Buffer[] = [];
    const stream = new Writable({ write(chunk: Buffer, _enc, cb) { got.push(Buffer.from(chunk)); cb(); } });
    const w = new LineWriter(stream);
    for (const g of groups) w.addMerged(g);
    await w.flush();
    const lines = Buffer.concat(got).toString('utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toEqual(groups.map(mergeObjects));
    expect(lines.map((l) => JSON.parse(l))).toEqual(groups.map((g) => Object.assign({}, ...g.map((o) => JSON.parse(o)))));
  });
});
