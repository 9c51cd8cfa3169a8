// Files sockscope ships next to its code. The npm package, the repo (src/ and dist/ are
// both one level deep) and the single binary (which unpacks the same layout into a cache
// folder) all keep them at the same place relative to the running module.
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

export const BPF_OBJECT_PATH = `${root}bpf/dist/sockscope.bpf.o`;
export const RECORDINGS_DIR = `${root}recordings`;
export const DEMO_RECORDING_NAME = 'demo.ssrec';

/** The bundled demo recording that plain `sockscope` replays when it cannot capture. */
export function demoRecordingPath(): string | null {
  const path = `${RECORDINGS_DIR}/${DEMO_RECORDING_NAME}`;
  if (existsSync(path)) return path;
  // Fall back to any recording shipped, so a renamed demo still opens.
  const any = existsSync(RECORDINGS_DIR) ? readdirSync(RECORDINGS_DIR).find((f) => f.endsWith('.ssrec')) : undefined;
  return any ? `${RECORDINGS_DIR}/${any}` : null;
}
