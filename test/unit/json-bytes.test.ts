import { describe, expect, it } from 'vitest';
import { Piece, putPiece } from '../../src/core/json-bytes';

function written(bytes: Uint8Array, at: number): { out: Buffer; end: number } {
  const out = Buffer.alloc(at + bytes.length + 16, 0xee);
  const end = putPiece(out, new DataView(out.buffer, out.byteOffset, out.length), at, new Piece(bytes));
  return { out, end };
}

describe('putPiece', () => {
  it('writes exactly the piece, nothing before or after, at any length and offset', () => {
    for (let n = 0; n <= 40; n++) {
      const bytes = Buffer.from(Array.from({ length: n }, (_, i) => 0x20 + ((i * 7) % 95)));
      for (const at of [0, 1, 5, 13]) {
        const { out, end } = written(bytes, at);
        expect(end).toBe(at + n);
        expect(out.subarray(at, end)).toEqual(bytes);
        expect([...out.subarray(0, at)].every((x) => x === 0xee)).toBe(true);
        expect([...out.subarray(end)].every((x) => x === 0xee)).toBe(true);
      }
    }
  });

  it('copies bytes that would be a NaN as 8 bytes as bytes', () => {
    const bytes = Buffer.from([0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0xf8, 0x7f, 0x01, 0xff, 0xff, 0xff]);
    expect(new Piece(bytes).words).toBeNull();
    const { out, end } = written(bytes, 3);
    expect(out.subarray(3, end)).toEqual(bytes);
  });

  it('keeps 8-byte words for UTF-8 text', () => {
    const bytes = Buffer.from('"comm":"naïve – ünïcode"', 'utf8');
    expect(new Piece(bytes).words).not.toBeNull();
    const { out, end } = written(bytes, 2);
    expect(out.subarray(2, end).toString('utf8')).toBe('"comm":"naïve – ünïcode"');
  });
});
