// How the literals of a zstd frame are stored (RFC 8878, 3.1.1.3.1): for each compressed
// block, the type of its literals section, read from the frame and block headers. For
// tests that check which zstd settings wrote a frame; the frame must be whole.

/** Literals_Block_Type: raw bytes, one byte repeated, Huffman-coded with a table in the
 * block, Huffman-coded with the previous block's table. */
export const LITERALS = ['raw', 'rle', 'compressed', 'treeless'] as const;
export type LiteralsType = (typeof LITERALS)[number];

const FCS_BYTES = [0, 2, 4, 8];
const DICT_ID_BYTES = [0, 1, 2, 4];

/** The literals section type of each compressed block of the zstd frame `p`, in order
 * (raw and RLE blocks have none). */
export function literalsTypes(p: Uint8Array): LiteralsType[] {
  if (p.length < 5 || p[0] !== 0x28 || p[1] !== 0xb5 || p[2] !== 0x2f || p[3] !== 0xfd) throw new Error('not a zstd frame');
  const fhd = p[4];
  const single = (fhd >> 5) & 1;
  const fcsFlag = fhd >> 6;
  let pos = 5 + (single ? 0 : 1) + DICT_ID_BYTES[fhd & 3] + (fcsFlag === 0 ? single : FCS_BYTES[fcsFlag]);
  const types: LiteralsType[] = [];
  for (;;) {
    if (pos + 3 > p.length) throw new Error('zstd frame cut short');
    const h = p[pos] | (p[pos + 1] << 8) | (p[pos + 2] << 16);
    const type = (h >> 1) & 3;
    const size = type === 1 ? 1 : h >>> 3;
    if (type === 2) types.push(LITERALS[p[pos + 3] & 3]);
    pos += 3 + size;
    if ((h & 1) !== 0) return types;
  }
}
