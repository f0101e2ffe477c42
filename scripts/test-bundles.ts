// The test files compiled once per run: every test file becomes an ES module (the project's own
// TypeScript bundled in, npm packages left to node_modules), so that each test process starts plain
// Node.js instead of loading tsx's hooks, which cost about 1.5 s of CPU per process. Modules keep
// their own location: `import.meta.url`, `dirname` and `filename` are written into each one as the
// path of its source file, so paths computed from them (the repository root, the migrations, a
// fixture) are what they are under tsx. Source maps point failures at the TypeScript lines.
import { build, type Plugin } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** Bare imports stay external (node_modules), except the workspace packages, which are TypeScript. */
const externalPackages: Plugin = {
  name: 'external-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith('@central/') ? undefined : { path: args.path, external: true },
    );
  },
};

/** Each module's import.meta as its source file's. */
const ownLocation: Plugin = {
  name: 'own-location',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      const text = await fs.promises.readFile(args.path, 'utf8');
      const meta: Record<string, string> = {
        url: pathToFileURL(args.path).href,
        dirname: path.dirname(args.path),
        filename: args.path,
      };
      const contents = text.replace(/\bimport\.meta\.(url|dirname|filename)\b/g, (_, k: string) =>
        JSON.stringify(meta[k]),
      );
      return { contents, loader: 'ts' };
    });
  },
};

/** Compiles `files` (paths from `root`) into `outDir`; returns each test file's module. */
export async function bundleTests(
  root: string,
  files: string[],
  outDir: string,
): Promise<Map<string, string>> {
  fs.rmSync(outDir, { recursive: true, force: true });
  await build({
    entryPoints: files.map((f) => path.resolve(root, f)),
    outbase: root,
    outdir: outDir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    plugins: [externalPackages, ownLocation],
    logLevel: 'warning',
  });
  return new Map(files.map((f) => [f, path.join(outDir, f.replace(/\.ts$/, '.mjs'))]));
}
