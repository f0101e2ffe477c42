// Builds the admin UI into web/dist with Vite. `--if-stale` skips the build when web/dist is newer than
// every source file, so `npm start` and `npm test` build on a fresh clone and are instant afterwards.
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const web = path.join(root, 'web');
const index = path.join(web, 'dist/index.html');

function newestSource(): number {
  let newest = 0;
  const walk = (p: string) => {
    const st = fs.statSync(p);
    if (st.isDirectory()) for (const f of fs.readdirSync(p)) walk(path.join(p, f));
    else newest = Math.max(newest, st.mtimeMs);
  };
  for (const p of ['src', 'index.html', 'vite.config.ts', 'package.json', 'public'])
    if (fs.existsSync(path.join(web, p))) walk(path.join(web, p));
  return newest;
}

const stale = !fs.existsSync(index) || fs.statSync(index).mtimeMs < newestSource();
if (process.argv.includes('--if-stale') && !stale) process.exit(0);
const started = Date.now();
const { build } = await import('vite');
await build({ root: web, configFile: path.join(web, 'vite.config.ts'), logLevel: 'warn' });
console.log(`built web/dist in ${Date.now() - started} ms`);
