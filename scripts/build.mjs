#!/usr/bin/env node
// Bundles src/cli.ts into dist/sockscope.mjs (and the sockscope-*.mjs chunks it imports) for
// `npm start` and the npm package: an executable whose shebang starts Node with sockscope's
// flags (scripts/node-flags.mjs).
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { bundleCli } from './bundle.mjs';
import { NODE_FLAGS } from './node-flags.mjs';

const OUT = 'dist/sockscope.mjs';
const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
await bundleCli('dist', pkg.version);
// `env -S` splits the flags from "node" (GNU coreutils 8.30+, BusyBox).
const text = await readFile(OUT, 'utf8');
await writeFile(OUT, text.replace(/^#!.*\n/, `#!/usr/bin/env -S node ${NODE_FLAGS.join(' ')}\n`));
await chmod(OUT, 0o755);
