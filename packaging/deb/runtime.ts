// What goes under /opt/<package>: one esbuild bundle of a workspace's entry point (the workspace packages
// are bundled into it), and the production dependency trees of the npm packages it leaves external, copied
// from the repository's node_modules. Fastify and PGlite must stay real packages: PGlite loads its
// .wasm/.data files next to its own module, and bundling Fastify breaks at run time.
import { build } from 'esbuild';
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';

export interface BundleOptions {
  root: string;
  /** The workspace folder, e.g. `server`; its package.json `dependencies` are the externals. */
  workspace: string;
  entry: string;
  outfile: string;
}

export interface Bundled {
  /** npm packages the bundle imports at run time (to copy into node_modules). */
  external: string[];
  /** Folders of the npm packages esbuild inlined into the bundle (for the copyright file). */
  inlined: string[];
  /** Every file the bundle was built from, relative to `root` (esbuild's metafile inputs). */
  inputs: string[];
}

/** Bundles `entry` (ESM, no source map); the workspace's npm dependencies stay external. */
export async function bundle(o: BundleOptions): Promise<Bundled> {
  const pkg = readJson(path.join(o.root, o.workspace, 'package.json'));
  const external = Object.keys(pkg.dependencies ?? {}).filter((d) => !d.startsWith('@central/'));
  const result = await build({
    entryPoints: [path.join(o.root, o.entry)],
    absWorkingDir: o.root,
    outfile: o.outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    external,
    metafile: true,
    logLevel: 'warning',
  });
  // The streamer's entry carries a `node --import tsx` hashbang, which the bundle does not need.
  const text = fs.readFileSync(o.outfile, 'utf8');
  if (text.startsWith('#!')) fs.writeFileSync(o.outfile, text.slice(text.indexOf('\n') + 1));
  const imported = new Set<string>();
  for (const out of Object.values(result.metafile.outputs))
    for (const imp of out.imports)
      if (imp.external && !imp.path.startsWith('node:') && !isBuiltin(imp.path))
        imported.add(packageName(imp.path));
  const inlined = new Set<string>();
  for (const input of Object.keys(result.metafile.inputs)) {
    const parts = input.split('/');
    const at = parts.lastIndexOf('node_modules');
    if (at < 0 || !parts[at + 1]) continue;
    const name = packageName(parts.slice(at + 1).join('/'));
    inlined.add(path.join(o.root, ...parts.slice(0, at + 1), ...name.split('/')));
  }
  return {
    external: [...imported].sort(),
    inlined: [...inlined].sort(),
    inputs: Object.keys(result.metafile.inputs),
  };
}

/** Per package: the only files kept (besides package.json and licences), relative to the package. */
export type KeepOnly = Record<string, string[]>;

export interface CopyOptions {
  root: string;
  workspace: string;
  packages: string[];
  dest: string;
  keepOnly?: KeepOnly;
}

/**
 * Copies `packages` and everything they need at run time (dependencies, installed optional dependencies,
 * required peers), resolved the way Node resolves them from the workspace, into `dest/node_modules`.
 * Source maps, type declarations, tests and docs are left out. Returns the folders of the packages copied.
 */
export function copyRuntimeModules(o: CopyOptions): string[] {
  const from = path.join(o.root, o.workspace);
  const seen = new Map<string, string>(); // source dir -> destination dir
  const taken = new Map<string, string>(); // destination dir -> source dir
  const queue = o.packages.map((name) => ({ name, from }));
  while (queue.length) {
    const { name, from: dir } = queue.shift()!;
    const src = resolvePackage(o.root, name, dir);
    if (!src) throw new Error(`cannot resolve ${name} from ${path.relative(o.root, dir) || '.'}`);
    if (seen.has(src)) continue;
    const dst = path.join(o.dest, destinationOf(o.root, src));
    const clash = taken.get(dst);
    if (clash) throw new Error(`two versions of one package land in ${dst}: ${clash} and ${src}`);
    seen.set(src, dst);
    taken.set(dst, src);
    copyPackage(src, dst, o.keepOnly?.[name]);
    const pkg = readJson(path.join(src, 'package.json'));
    const optional = new Set(Object.keys(pkg.optionalDependencies ?? {}));
    const optionalPeers = new Set(
      Object.entries(pkg.peerDependenciesMeta ?? {})
        .filter(([, meta]) => (meta as { optional?: boolean }).optional)
        .map(([n]) => n),
    );
    for (const dep of Object.keys(pkg.dependencies ?? {})) queue.push({ name: dep, from: src });
    for (const dep of optional) if (resolvePackage(o.root, dep, src)) queue.push({ name: dep, from: src }); // installed ones only
    for (const dep of Object.keys(pkg.peerDependencies ?? {}))
      if (!optionalPeers.has(dep) || resolvePackage(o.root, dep, src)) queue.push({ name: dep, from: src });
  }
  return [...taken.keys()].sort();
}

/** Node's lookup: `<dir>/node_modules/<name>`, then the same in every folder above, up to `root`. */
function resolvePackage(root: string, name: string, fromDir: string): string | null {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (path.basename(dir) !== 'node_modules' && fs.existsSync(path.join(candidate, 'package.json')))
      return fs.realpathSync(candidate);
    if (dir === root || dir === path.dirname(dir)) return null;
  }
}

/** `<root>/node_modules/a/node_modules/b` -> `node_modules/a/node_modules/b` (also from a workspace). */
function destinationOf(root: string, src: string): string {
  const rel = path.relative(root, src).split(path.sep);
  const first = rel.indexOf('node_modules');
  if (first < 0) throw new Error(`${src} is not an npm package (a workspace must be bundled, not copied)`);
  return rel.slice(first).join(path.sep);
}

const LICENCE = /^(licen[cs]e|copying|notice)/i;
const DROPPED = /(\.map|\.d\.ts|\.d\.cts|\.d\.mts|\.tsbuildinfo)$/;
/** Folders at the top of a package that nothing loads at run time (about a quarter of the bytes). */
const DROPPED_DIRS = new Set([
  'test',
  'tests',
  '__tests__',
  'docs',
  'doc',
  'bench',
  'benchmark',
  'benchmarks',
  'example',
  'examples',
  '.github',
  '.vscode',
]);

function copyPackage(src: string, dst: string, keepOnly?: string[]) {
  fs.mkdirSync(dst, { recursive: true });
  if (keepOnly) {
    for (const f of fs.readdirSync(src))
      if (f === 'package.json' || LICENCE.test(f)) fs.copyFileSync(path.join(src, f), path.join(dst, f));
    for (const f of keepOnly) {
      fs.mkdirSync(path.dirname(path.join(dst, f)), { recursive: true });
      fs.copyFileSync(path.join(src, f), path.join(dst, f));
    }
    return;
  }
  fs.cpSync(src, dst, {
    recursive: true,
    // Nested node_modules are copied only for the packages that are actually needed.
    filter: (s) => {
      if (s === src) return true;
      const rel = path.relative(src, s).split(path.sep);
      return !DROPPED.test(s) && !rel.includes('node_modules') && !DROPPED_DIRS.has(rel[0]!);
    },
  });
}

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

function isBuiltin(specifier: string): boolean {
  return BUILTINS.has(specifier.split('/')[0]!);
}

const BUILTINS = new Set(builtinModules.map((m) => m.split('/')[0]!));

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- package.json files are free-form
export function readJson(file: string): Record<string, any> {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}
