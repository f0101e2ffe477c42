// Builds the programs (scripts/programs.ts) as esbuild bundles in dist/: central.js (the server, with
// the SQL migrations copied beside it), streamer.js, demo.js (`npm run demo`, which then starts the
// other two bundles) and chaos-streamer.js (the fault suite's streamer). Their npm dependencies stay
// external (see packaging/deb/runtime.ts), so they run from this checkout with `node dist/central.js`.
// The test suite runs the bundles: compiled once per run instead of by tsx at every process start.
//   --if-stale   build only when a bundle is missing or one of its source files is newer
import fs from 'node:fs';
import path from 'node:path';
import { bundle } from '../packaging/deb/runtime.ts';
import { PROGRAMS } from './programs.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
export const DIST = path.join(ROOT, 'dist');

/** The source files each bundle was built from (esbuild's metafile inputs), for --if-stale. */
const INPUTS = path.join(DIST, 'inputs.json');
const MIGRATIONS = 'server/src/db/migrations';

function mtime(file: string): number {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return Infinity;
  }
}

/** Why the bundles must be rebuilt, or null when they are up to date. */
export function staleReason(): string | null {
  let inputs: string[];
  try {
    inputs = JSON.parse(fs.readFileSync(INPUTS, 'utf8')) as string[];
  } catch {
    return 'never built';
  }
  const built = Math.min(...PROGRAMS.map((p) => mtime(path.join(DIST, p.outfile))));
  if (!Number.isFinite(built)) return 'a bundle is missing';
  const migrations = fs.readdirSync(path.join(ROOT, MIGRATIONS)).map((f) => path.join(MIGRATIONS, f));
  const changed = [...inputs, ...migrations].find((f) => mtime(path.join(ROOT, f)) > built);
  return changed ? `${changed} changed` : null;
}

export async function buildPrograms(): Promise<void> {
  fs.mkdirSync(DIST, { recursive: true });
  const inputs = new Set<string>();
  for (const p of PROGRAMS) {
    const outfile = path.join(DIST, p.outfile);
    // Written aside and renamed: a test process starting meanwhile never loads half a file.
    const r = await bundle({ root: ROOT, workspace: p.workspace, entry: p.entry, outfile: `${outfile}.tmp` });
    fs.renameSync(`${outfile}.tmp`, outfile);
    for (const f of r.inputs) inputs.add(f);
  }
  fs.rmSync(path.join(DIST, 'migrations'), { recursive: true, force: true });
  fs.cpSync(path.join(ROOT, MIGRATIONS), path.join(DIST, 'migrations'), { recursive: true });
  fs.writeFileSync(INPUTS, JSON.stringify([...inputs].sort()));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const reason = process.argv.includes('--if-stale') ? staleReason() : 'asked';
  if (reason) {
    const t = performance.now();
    await buildPrograms();
    console.log(
      `built ${PROGRAMS.map((p) => `dist/${p.outfile}`).join(', ')} in ${Math.round(performance.now() - t)} ms (${reason})`,
    );
  }
}
