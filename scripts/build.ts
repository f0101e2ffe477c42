// Builds dist/central.js: the server bundled with the workspace packages, its npm dependencies left
// external (PGlite loads its .wasm next to its own module; bundling them breaks at run time), and the
// SQL migrations copied beside it. Run with `node dist/central.js`.
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const out = path.join(root, 'dist');
const serverPkg = JSON.parse(fs.readFileSync(path.join(root, 'server/package.json'), 'utf8'));
const external = Object.keys(serverPkg.dependencies ?? {}).filter((d) => !d.startsWith('@central/'));

fs.rmSync(out, { recursive: true, force: true });
await build({
  entryPoints: [path.join(root, 'server/src/main.ts')],
  outfile: path.join(out, 'central.js'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  external,
  sourcemap: true,
  logLevel: 'warning',
});
fs.cpSync(path.join(root, 'server/src/db/migrations'), path.join(out, 'migrations'), { recursive: true });
console.log(`built ${path.relative(root, out)}/central.js (external: ${external.join(', ')})`);
