// Entry point of the single executable (Node SEA). The blob carries the ESM bundle, the
// BPF object, the demo recording and koffi's native module as assets; they are unpacked
// once per build into a private cache folder with the repo's layout, then imported.
'use strict';
const sea = require('node:sea');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

// Where to unpack, best first: a home without a writable cache (a service user, uid 65534
// with HOME=/nonexistent) falls through to a private folder in the temp dir.
function cacheBases() {
  const out = [];
  if (process.env.XDG_CACHE_HOME) out.push(path.join(process.env.XDG_CACHE_HOME, 'sockscope'));
  const home = os.homedir();
  if (home && home !== '/') out.push(path.join(home, '.cache', 'sockscope'));
  out.push(path.join(os.tmpdir(), `sockscope-${process.getuid()}`));
  return out;
}

function privateDir(dir) {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = fs.lstatSync(dir);
  // Refuse a folder another user planted (e.g. in a shared /tmp).
  if (!st.isDirectory() || st.uid !== process.getuid()) throw new Error(`unsafe cache folder ${dir}`);
  return dir;
}

function unpack() {
  const manifest = JSON.parse(sea.getAsset('manifest.json', 'utf8'));
  let base = null;
  let lastErr = null;
  for (const candidate of cacheBases()) {
    try {
      base = privateDir(candidate);
      fs.accessSync(base, fs.constants.W_OK);
      break;
    } catch (err) {
      base = null;
      lastErr = err;
    }
  }
  if (base === null) throw lastErr;
  const dir = path.join(base, manifest.hash);
  if (fs.existsSync(path.join(dir, '.complete'))) return dir;
  const tmp = fs.mkdtempSync(`${dir}.tmp-`);
  for (const file of manifest.files) {
    const dest = path.join(tmp, file);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.writeFileSync(dest, new Uint8Array(sea.getAsset(file)), { mode: 0o600 });
  }
  fs.writeFileSync(path.join(tmp, '.complete'), '');
  try {
    fs.renameSync(tmp, dir);
  } catch {
    // Another sockscope unpacked the same build first: use theirs.
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return dir;
}

let dir;
try {
  dir = unpack();
} catch (err) {
  process.stderr.write(`sockscope: cannot unpack the embedded files: ${err.message}\n`);
  process.exit(1);
}
import(pathToFileURL(path.join(dir, 'dist', 'sockscope.mjs')).href).catch((err) => {
  process.stderr.write(`sockscope: ${err.stack || err}\n`);
  process.exit(1);
});
