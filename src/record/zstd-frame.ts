// Whether a zstd payload is exactly one whole frame that declares `rawLength` bytes of
// content (RFC 8878, section 3.1.1), read from its headers alone: the frame header and
// each block's 3-byte header, no decoding. ZstdDecompressReuse (zstd-reuse.ts) asks
// this to know that a frame it decoded left the context at a frame boundary, so that it
// can skip resetting the context (a reset in node:zlib cost about 15 us, more than
// decoding a small frame: a fifth of replaying demo.ssrec).

const MAGIC = 0xfd2fb528;
const DICT_ID_BYTES = [0, 1, 2, 4];
const FCS_BYTES = [0, 2, 4, 8];

export function zstdFrameComplete(p: Uint8Array, rawLength: number): boolean {
  if (p.length < 6 || ((p[0] | (p[1] << 8) | (p[2] << 16)) + p[3] * 0x1000000) !== MAGIC) return false;
  const fhd = p[4];
  if ((fhd & 0x08) !== 0) return false; // reserved bit
  const single = (fhd >> 5) & 1;
  const fcsFlag = fhd >> 6;
  // The content size must be declared: zstd then refuses a frame whose content differs,
  // so a frame that decoded without error into rawLength bytes was flushed whole.
  const fcsBytes = fcsFlag === 0 ? single : FCS_BYTES[fcsFlag];
  if (fcsBytes === 0) return false;
  let pos = 5 + (single ? 0 : 1) + DICT_ID_BYTES[fhd & 3];
  if (pos + fcsBytes > p.length) return false;
  let fcs = 0;
  for (let i = fcsBytes - 1; i >= 0; i--) fcs = fcs * 256 + p[pos + i];
  if (fcsBytes === 2) fcs += 256;
  if (fcs !== rawLength) return false;
  pos += fcsBytes;
  for (;;) {
    if (pos + 3 > p.length) return false;
    const h = p[pos] | (p[pos + 1] << 8) | (p[pos + 2] << 16);
    const type = (h >> 1) & 3;
    if (type === 3) return false; // reserved block type
    pos += 3 + (type === 1 ? 1 : h >>> 3); // an RLE block holds one byte
    if ((h & 1) !== 0) break; // the last block
  }
  if ((fhd & 0x04) !== 0) pos += 4; // content checksum
  return pos === p.length;
}
