// Helpers for recording tests: write a synthetic recording, read one back completely.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppEvent, SourceInfo } from '../../src/events/types';
import type { RecordedEvent } from '../../src/events/kernel-records';
import { columnsToCounters } from '../../src/record/counter-columns';
import { openRecording } from '../../src/record/reader';
import { RecordingWriter, type WriterOptions } from '../../src/record/writer';
import { BOOT_WALL_MS, syntheticBatches, type SyntheticOptions } from './synthetic';

export const TEST_INFO: SourceInfo = {
  mode: 'live',
  hostname: 'testhost',
  kernel: '6.18.0-test',
  cpus: 2,
  bootTimeMs: BOOT_WALL_MS,
  cgroupRoot: '/sys/fs/cgroup/unified',
  hooks: ['tp_btf/inet_sock_set_state', 'tp/sched/sched_process_exec'],
  intervalMs: 1000,
  sockscopeVersion: '0.1.0',
};

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'sockscope-rec-'));
}

/** Writes batches, one flush per batch (like one interval per second). */
export function writeRecording(path: string, batches: RecordedEvent[][], opts: WriterOptions = {}, finish = true): RecordingWriter {
  let t = 0;
  const w = RecordingWriter.create(path, TEST_INFO, { clock: () => t, ...opts });
  for (const b of batches) {
    w.write(b);
    t += 1000;
    w.flush();
  }
  if (finish) w.close();
  else w.abandon();
  return w;
}

export function writeSynthetic(path: string, opts: Partial<SyntheticOptions> = {}, wopts: WriterOptions = {}): AppEvent[][] {
  const batches = syntheticBatches(opts);
  writeRecording(path, batches, wopts);
  return batches;
}

/** The batches as written: a replayed counters snapshot (columns, format version 4 on)
 * back in the `counters` form the writer was given. */
export function asWritten(batch: AppEvent[]): AppEvent[] {
  return batch.map((e) => (e.type === 'counter-columns' ? { type: 'counters', ts: e.ts, flows: columnsToCounters(e.columns) } : e));
}

/** Reads a whole recording; counters snapshots come back as written (asWritten). */
export async function readAll(path: string) {
  const src = await openRecording(path);
  const batches: AppEvent[][] = [];
  try {
    for await (const b of src.batches()) batches.push(asWritten(b));
  } finally {
    await src.close();
  }
  return { src, batches, damage: src.damage(), end: src.end() };
}
