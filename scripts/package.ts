// `npm run package`: builds dist/packages/central_<version>_all.deb and central-streamer_<version>_all.deb
// (web/dist first, when it is stale). See packaging/deb/build.ts; `--out DIR` writes them elsewhere.
import path from 'node:path';
import { buildPackages } from '../packaging/deb/build.ts';

const root = path.resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const outAt = args.indexOf('--out');
const outDir = outAt >= 0 && args[outAt + 1] ? path.resolve(args[outAt + 1]!) : undefined;

try {
  await buildPackages({ root, outDir, log: (line) => console.log(line) });
} catch (e) {
  console.error(`package: ${(e as Error).message}`);
  process.exit(1);
}
