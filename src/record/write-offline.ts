// Writing a whole recording at once from batches already in memory (scripts/record-fixture.mjs,
// scripts/recording-bytes.mjs): one batch per second of recording time, each its own frame.
import type { RecordedEvent } from '../events/kernel-records';
import type { SourceInfo } from '../events/types';
import { RecordingWriter, type WriterOptions } from './writer';

export function writeBatchesAt1Hz(path: string, info: SourceInfo, batches: readonly (readonly RecordedEvent[])[], opts: WriterOptions = {}): RecordingWriter {
  let t = 0;
  const w = RecordingWriter.create(path, info, { clock: () => t, ...opts });
  for (const b of batches) {
    w.write(b);
    t += 1000;
    w.flush();
  }
  w.close();
  return w;
}

/** Written twice: plainly, to learn the record structures, then compact with the table
 * seeded from that first writing (one structures frame). Returns the compact writer. */
export function writeCompact(path: string, info: SourceInfo, batches: readonly (readonly RecordedEvent[])[], opts: WriterOptions = {}): RecordingWriter {
  const plain = writeBatchesAt1Hz(path, info, batches, opts);
  return writeBatchesAt1Hz(path, info, batches, { ...opts, compact: true, structures: plain.structures() });
}
