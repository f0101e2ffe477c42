// `npm run package`: builds dist/packages/central_<version>_all.deb and central-streamer_<version>_all.deb
// (web/dist first, when it is stale). See packaging/deb/build.ts; `--out DIR` writes them elsewhere.
// `--app NAME --dest DIR` builds only one program's application tree (what the package puts under
// /opt/NAME) into DIR: the Docker images use it.
import path from 'node:path';
import { buildApp, buildPackages } from '../packaging/deb/build.ts';

const root = path.resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const option = (name: string) => {
  const at = args.indexOf(name);
  return at >= 0 && args[at + 1] ? args[at + 1]! : undefined;
};
const log = (line: string) => console.log(line);

try {
  const app = option('--app');
  const dest = option('--dest');
  if (app || dest) {
    if (!app || !dest) throw new Error('--app NAME and --dest DIR go together');
    await buildApp({ root, name: app, dest: path.resolve(dest), log });
  } else {
    const out = option('--out');
    await buildPackages({ root, outDir: out ? path.resolve(out) : undefined, log });
  }
} catch (e) {
  console.error(`package: ${(e as Error).message}`);
  process.exit(1);
}
