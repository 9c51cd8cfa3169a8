// The frames of a recording as stored, without the reader's expansion: what each frame
// costs in the file and which events (kernel-records runs, packed counters) it holds.
// For tests and scripts that look at how a file is encoded, not at what it replays.
import { readFileSync } from 'node:fs';
import { decompress, structuresUnpacker, unpackValue } from '../../src/record/codec';
import { FRAME_HEADER_SIZE, FrameKind, PREAMBLE_SIZE, decodeFrameHeader } from '../../src/record/format';
import type { StoredEvent } from '../../src/record/check-events';

export interface StoredFrame {
  kind: FrameKind;
  codec: number;
  /** Bytes in the file: frame header and payload. */
  fileBytes: number;
  /** msgpack bytes after decompression. */
  rawBytes: number;
  /** The payload as stored (compressed, if the frame is). */
  payload: Uint8Array;
  /** The decoded payload: an event frame's stored events, or the header, table or end. */
  value: unknown;
}

/** Every frame of an undamaged recording file, in order. */
export function storedFrames(path: string): StoredFrame[] {
  const file = readFileSync(path);
  const frames: StoredFrame[] = [];
  let unpackEvents: ((b: Uint8Array) => unknown) | null = null;
  for (let pos = PREAMBLE_SIZE; pos < file.length; ) {
    const h = decodeFrameHeader(file.subarray(pos, pos + FRAME_HEADER_SIZE));
    if (typeof h === 'string') throw new Error(`${path} at byte ${pos}: ${h}`);
    const payload = file.subarray(pos + FRAME_HEADER_SIZE, pos + FRAME_HEADER_SIZE + h.payloadLength);
    const raw = decompress(h.codec, payload, h.rawLength);
    let value: unknown;
    if (h.kind === FrameKind.Structures) {
      const u = structuresUnpacker(raw);
      if (typeof u === 'string') throw new Error(u);
      unpackEvents = u;
      value = unpackValue(raw);
    } else if (h.kind === FrameKind.Events && unpackEvents) value = unpackEvents(raw);
    else value = unpackValue(raw);
    frames.push({ kind: h.kind, codec: h.codec, fileBytes: FRAME_HEADER_SIZE + h.payloadLength, rawBytes: h.rawLength, payload, value });
    pos += FRAME_HEADER_SIZE + h.payloadLength;
  }
  return frames;
}

/** The stored events of every event frame, in order. */
export function storedEvents(path: string): StoredEvent[] {
  return storedFrames(path).flatMap((f) => (f.kind === FrameKind.Events ? (f.value as StoredEvent[]) : []));
}
