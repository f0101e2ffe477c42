// Builds the Debian packages central_<version>_all.deb and central-streamer_<version>_all.deb from this
// repository: each program bundled by esbuild into /opt/<package> with the npm packages it loads at run
// time (production dependencies only), a /usr/bin wrapper, the configuration template as a conffile,
// a systemd unit, an LSB init script for hosts without systemd, logrotate, and the maintainer scripts
// generated from maintscripts/. Architecture `all`: the build fails if a native file sneaks in.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundle, copyRuntimeModules, readJson, type KeepOnly } from './runtime.ts';

const HERE = import.meta.dirname;
const REPO = path.resolve(HERE, '../..');
const NODE_DEPENDENCY = 'nodejs (>= 20.19)';
const DEFAULT_MAINTAINER = 'Central maintainers <maintainers@central.invalid>';

export interface BuildOptions {
  /** The repository (default: the one this file is in). */
  root?: string;
  /** Where the .deb files go (default `<root>/dist/packages`). */
  outDir?: string;
  /** Build web/dist first when it is missing or older than its sources (default true). */
  buildWeb?: boolean;
  /** xz level for dpkg-deb, 0-9 (default 6, dpkg's own default). */
  compressLevel?: number;
  log?: (line: string) => void;
}

export interface BuiltPackage {
  name: string;
  version: string;
  file: string;
  /** Size of the .deb file. */
  bytes: number;
  /** The control file's Installed-Size. */
  installedKiB: number;
  /** npm packages under /opt/<name>/node_modules. */
  modules: number;
}

interface PackageDef {
  name: 'central' | 'central-streamer';
  workspace: string;
  entry: string;
  bundleFile: string;
  /** npm packages the program loads without importing them (found with createRequire at run time). */
  extraModules: string[];
  keepOnly: KeepOnly;
  /** The conffile template (in this package's folder) and where it is installed. */
  config: { template: string; target: string };
  dataDir: string;
  logFile: string;
  other: string;
  section: string;
  depends: string[];
  suggests: string[];
  summary: string;
  description: string;
  /** A run with a bad setting: the bundle must load every module, then refuse it (exit 2). */
  smoke: { env: Record<string, string>; expect: RegExp };
  /** Copies the files besides the bundle and node_modules into `app`. */
  addFiles?: (root: string, app: string) => void;
}

const NODE_NOTE =
  'It needs Node.js 20.19 or newer from the package "nodejs": Debian 13 (trixie) has it; Debian 12 ' +
  '(bookworm) ships Node.js 18, so install Node.js 20 or 22 from NodeSource there first.';

const PACKAGES: PackageDef[] = [
  {
    name: 'central',
    workspace: 'server',
    entry: 'server/src/main.ts',
    bundleFile: 'central.js',
    extraModules: [],
    keepOnly: {},
    config: { template: 'central.conf', target: '/etc/central/central.conf' },
    dataDir: '/var/lib/central',
    logFile: '/var/log/central/central.log',
    other: 'central-streamer',
    section: 'net',
    depends: [NODE_DEPENDENCY, 'adduser | passwd'],
    suggests: ['postgresql', 'central-streamer'],
    summary: 'control plane for fleets of streaming servers (Flussonic Central API)',
    description:
      'Central keeps the streams that a fleet of media servers ("streamers") must run, places them on ' +
      'the streamers, moves them when one fails, and serves the Flussonic Central HTTP API and a web ' +
      'admin UI on port 9019. Its data lives in an embedded database (PGlite, PostgreSQL compiled to ' +
      'WebAssembly) or in PostgreSQL 14 or newer.\n' +
      NODE_NOTE,
    smoke: { env: { HTTP_PORT: 'not-a-port' }, expect: /HTTP_PORT/ },
    addFiles(root, app) {
      // db/migrate.ts reads the SQL files next to the module that runs: /opt/central/migrations.
      fs.cpSync(path.join(root, 'server/src/db/migrations'), path.join(app, 'migrations'), {
        recursive: true,
      });
      fs.cpSync(path.join(root, 'web/dist'), path.join(app, 'web/dist'), { recursive: true });
      // ui/static.ts serves <nearest folder above the module with web/package.json>/web/dist by default,
      // so Central finds /opt/central/web/dist without WEB_DIR (and WEB_DIR in central.conf still wins).
      writeJson(path.join(app, 'web/package.json'), { name: '@central/web', private: true });
    },
  },
  {
    name: 'central-streamer',
    workspace: 'streamer',
    entry: 'streamer/src/main.ts',
    bundleFile: 'streamer.js',
    // http/media-embed.ts serves hls.js for embed.html from the installed package: only that file.
    extraModules: ['hls.js'],
    keepOnly: { 'hls.js': ['dist/hls.light.min.js'] },
    config: { template: 'streamer.conf', target: '/etc/central/streamer.conf' },
    dataDir: '/var/lib/central-streamer',
    logFile: '/var/log/central/streamer.log',
    other: 'central',
    section: 'video',
    depends: [NODE_DEPENDENCY, 'adduser | passwd', 'ffmpeg', 'util-linux'],
    suggests: [],
    summary: 'open streamer for Central: ffmpeg media node (HLS, MPEG-TS)',
    description:
      'A media node that Central drives exactly like a Flussonic Media Server: Central provisions it ' +
      'and places streams on it, and it runs every stream with ffmpeg, serving HLS, HTTP MPEG-TS, ' +
      'JPEG previews and an embeddable player page on one HTTP port (8080).\n' +
      NODE_NOTE,
    smoke: { env: { STREAMER_HTTP: 'not-a-port' }, expect: /HTTP/ },
  },
];

/** Builds both packages into `outDir` and returns what was built. */
export async function buildPackages(o: BuildOptions = {}): Promise<BuiltPackage[]> {
  const root = o.root ?? REPO;
  const outDir = o.outDir ?? path.join(root, 'dist/packages');
  const log = o.log ?? (() => {});
  const dpkgDeb = spawnSync('dpkg-deb', ['--version'], { stdio: 'ignore' });
  if (dpkgDeb.status !== 0) throw new Error('dpkg-deb is not installed (apt-get install dpkg)');
  if (o.buildWeb !== false) buildWebIfStale(root, log);
  if (!fs.existsSync(path.join(root, 'web/dist/index.html')))
    throw new Error('web/dist is not built (npm run build:web)');
  const rootPkg = readJson(path.join(root, 'package.json'));
  const version = debianVersion(String(rootPkg.version));
  const author = typeof rootPkg.author === 'string' ? rootPkg.author : undefined;
  const maintainer = process.env.DEB_MAINTAINER || author || DEFAULT_MAINTAINER;
  fs.mkdirSync(outDir, { recursive: true });
  const built: BuiltPackage[] = [];
  for (const def of PACKAGES) {
    const stage = fs.mkdtempSync(path.join(os.tmpdir(), `${def.name}-deb-`));
    try {
      const modules = await stagePackage(root, def, stage, version, String(rootPkg.license ?? 'MIT'));
      smokeTest(def, path.join(stage, 'opt', def.name));
      checkArchitectureIndependent(path.join(stage, 'opt'));
      normaliseModes(stage);
      fs.chmodSync(path.join(stage, 'opt', def.name, def.bundleFile), 0o644);
      fs.chmodSync(path.join(stage, def.config.target), 0o640);
      const installedKiB = installedSize(stage);
      writeControl(def, stage, version, maintainer, installedKiB);
      const file = path.join(outDir, `${def.name}_${version}_all.deb`);
      const level = o.compressLevel ?? 6;
      const r = spawnSync('dpkg-deb', ['--root-owner-group', '-Zxz', `-z${level}`, '--build', stage, file], {
        encoding: 'utf8',
      });
      if (r.status !== 0) throw new Error(`dpkg-deb --build ${def.name} failed:\n${r.stderr}${r.stdout}`);
      const bytes = fs.statSync(file).size;
      const shown = path.relative(root, file).startsWith('..') ? file : path.relative(root, file);
      log(`built ${shown}: ${kib(bytes)} KiB, installed ${installedKiB} KiB, ${modules} npm packages`);
      built.push({ name: def.name, version, file, bytes, installedKiB, modules });
    } finally {
      fs.rmSync(stage, { recursive: true, force: true });
    }
  }
  return built;
}

function buildWebIfStale(root: string, log: (line: string) => void) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/build-web.ts', '--if-stale'], {
    cwd: root,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`building web/dist failed:\n${r.stderr}${r.stdout}`);
  for (const line of r.stdout.split('\n').filter(Boolean)) log(line);
}

/** npm versions to Debian ones: a pre-release sorts before its release (1.0.0-rc.1 -> 1.0.0~rc.1). */
export function debianVersion(v: string): string {
  if (!/^\d+\.\d+\.\d+([-+][0-9A-Za-z.+-]+)?$/.test(v)) throw new Error(`unusable version "${v}"`);
  return v.replace('-', '~');
}

/**
 * The application tree of one package alone (what the .deb puts under /opt/<name>): the bundle, its
 * runtime npm packages and extra files, checked to load. The Docker images are built from it.
 */
export async function buildApp(o: {
  root?: string;
  name: string;
  dest: string;
  log?: (line: string) => void;
}) {
  const root = o.root ?? REPO;
  const def = PACKAGES.find((d) => d.name === o.name);
  if (!def) throw new Error(`unknown package "${o.name}" (${PACKAGES.map((d) => d.name).join(', ')})`);
  if (def.name === 'central') buildWebIfStale(root, o.log ?? (() => {}));
  if (fs.existsSync(o.dest) && fs.readdirSync(o.dest).length) throw new Error(`${o.dest} is not empty`);
  const version = debianVersion(String(readJson(path.join(root, 'package.json')).version));
  const { copied } = await stageApp(root, def, o.dest, version);
  smokeTest(def, o.dest);
  o.log?.(`built ${def.name} into ${o.dest}: ${copied.length} npm packages`);
}

async function stageApp(root: string, def: PackageDef, app: string, version: string) {
  const { external, inlined } = await bundle({
    root,
    workspace: def.workspace,
    entry: def.entry,
    outfile: path.join(app, def.bundleFile),
  });
  // The bundle is ESM; say so instead of leaving it to Node's syntax detection.
  writeJson(path.join(app, 'package.json'), { name: def.name, version, private: true, type: 'module' });
  const copied = copyRuntimeModules({
    root,
    workspace: def.workspace,
    packages: [...external, ...def.extraModules],
    dest: app,
    keepOnly: def.keepOnly,
  });
  def.addFiles?.(root, app);
  return { inlined, copied };
}

async function stagePackage(
  root: string,
  def: PackageDef,
  stage: string,
  version: string,
  license: string,
): Promise<number> {
  const { inlined, copied } = await stageApp(root, def, path.join(stage, 'opt', def.name), version);
  const own = (f: string) => path.join(HERE, def.name, f);
  const put = (target: string, text: string | Buffer, mode = 0o644) => {
    const file = path.join(stage, target);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    fs.chmodSync(file, mode);
  };
  const template = (f: string) => fs.readFileSync(own(f));
  put(
    `/usr/bin/${def.name}`,
    `#!/bin/sh\n# Runs ${def.name} with the installed Node.js, e.g. \`${def.name} --config FILE\`.\n` +
      `exec /usr/bin/node /opt/${def.name}/${def.bundleFile} "$@"\n`,
    0o755,
  );
  put(def.config.target, template(def.config.template), 0o640);
  put(`/etc/init.d/${def.name}`, template(`${def.name}.init`), 0o755);
  put(`/etc/logrotate.d/${def.name}`, template(`${def.name}.logrotate`));
  put(`/usr/lib/systemd/system/${def.name}.service`, template(`${def.name}.service`));
  const doc = `/usr/share/doc/${def.name}`;
  put(`${doc}/README.Debian`, template('README.Debian'));
  put(`${doc}/copyright`, copyright(def, license, inlined, copied));
  for (const dir of inlined) {
    const name = String(readJson(path.join(dir, 'package.json')).name).replace('/', '__');
    for (const f of fs.readdirSync(dir))
      if (/^(licen[cs]e|copying|notice)/i.test(f))
        put(`${doc}/bundled/${name}.${f}`, fs.readFileSync(path.join(dir, f)));
  }

  const vars: Record<string, string> = {
    PACKAGE: def.name,
    DATA_DIR: def.dataDir,
    CONFFILE: def.config.target,
    LOG_FILE: def.logFile,
    OTHER_PACKAGE: def.other,
  };
  for (const script of ['postinst', 'prerm', 'postrm']) {
    const text = fs
      .readFileSync(path.join(HERE, 'maintscripts', script), 'utf8')
      .replace(/@([A-Z_]+)@/g, (m, k: string) => {
        if (!(k in vars)) throw new Error(`maintscripts/${script}: unknown placeholder ${m}`);
        return vars[k]!;
      });
    put(`/DEBIAN/${script}`, text, 0o755);
  }
  // Every file under /etc is a conffile (as debhelper does): dpkg keeps the administrator's edits.
  const conffiles = walk(path.join(stage, 'etc'))
    .filter((f) => f.stat.isFile())
    .map((f) => '/' + path.relative(stage, f.path))
    .sort();
  put('/DEBIAN/conffiles', conffiles.join('\n') + '\n');
  return copied.length;
}

function copyright(def: PackageDef, license: string, inlined: string[], copied: string[]): string {
  const describe = (dir: string) => {
    const p = readJson(path.join(dir, 'package.json'));
    return `  ${p.name} ${p.version}: ${typeof p.license === 'string' ? p.license : JSON.stringify(p.license)}`;
  };
  const bundled = inlined.length
    ? [
        `/opt/${def.name}/${def.bundleFile} also contains these npm packages (their licence files are in`,
        `/usr/share/doc/${def.name}/bundled/):`,
        ...inlined.map(describe),
        '',
      ]
    : [];
  return [
    `${def.name}: part of Central, an open-source control plane for fleets of streaming servers.`,
    `License: ${license}.`,
    '',
    ...bundled,
    `/opt/${def.name}/node_modules holds these npm packages, each with its own licence file:`,
    ...[...new Set(copied.map(describe))].sort(),
    '',
  ].join('\n');
}

/** Loads the bundle from the application tree with a bad setting: every import must resolve. */
function smokeTest(def: PackageDef, app: string) {
  const r = spawnSync(process.execPath, [path.join(app, def.bundleFile), '--config', '/dev/null'], {
    encoding: 'utf8',
    timeout: 20_000,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...def.smoke.env },
  });
  const out = `${r.stderr}${r.stdout}`;
  if (r.status !== 2 || !def.smoke.expect.test(out))
    throw new Error(
      `the bundled ${def.name} does not load (expected a configuration error, exit 2):\n${out}`,
    );
}

/** Architecture `all` is only true without compiled code: no .node addons, no ELF files. */
function checkArchitectureIndependent(dir: string) {
  const native: string[] = [];
  for (const f of walk(dir)) {
    if (!f.stat.isFile()) continue;
    if (f.path.endsWith('.node')) native.push(f.path);
    else if (f.stat.size >= 4) {
      const fd = fs.openSync(f.path, 'r');
      const head = Buffer.alloc(4);
      fs.readSync(fd, head, 0, 4, 0);
      fs.closeSync(fd);
      if (head.toString('latin1') === '\x7fELF') native.push(f.path);
    }
  }
  if (native.length)
    throw new Error(`native code would make the package architecture-dependent:\n  ${native.join('\n  ')}`);
}

function normaliseModes(stage: string) {
  fs.chmodSync(stage, 0o755); // the package's "./", which mkdtemp made 0700
  for (const f of walk(stage)) {
    if (f.stat.isDirectory()) fs.chmodSync(f.path, 0o755);
    else if (f.stat.isFile()) fs.chmodSync(f.path, f.stat.mode & 0o111 ? 0o755 : 0o644);
  }
}

/** Like dpkg-gencontrol: KiB per file rounded up, 1 per directory or link. */
function installedSize(stage: string): number {
  let kibs = 0;
  for (const f of walk(stage)) {
    if (path.relative(stage, f.path).split(path.sep)[0] === 'DEBIAN') continue;
    kibs += f.stat.isFile() ? Math.ceil(f.stat.size / 1024) : 1;
  }
  return kibs;
}

function writeControl(def: PackageDef, stage: string, version: string, maintainer: string, kibs: number) {
  const md5sums = walk(stage)
    .filter((f) => f.stat.isFile() && path.relative(stage, f.path).split(path.sep)[0] !== 'DEBIAN')
    .map((f) => {
      const md5 = crypto.createHash('md5').update(fs.readFileSync(f.path)).digest('hex');
      return `${md5}  ${path.relative(stage, f.path)}`;
    })
    .sort((a, b) => (a.slice(34) < b.slice(34) ? -1 : 1));
  fs.writeFileSync(path.join(stage, 'DEBIAN/md5sums'), md5sums.join('\n') + '\n');
  const fields: [string, string | undefined][] = [
    ['Package', def.name],
    ['Version', version],
    ['Architecture', 'all'],
    ['Maintainer', maintainer],
    ['Installed-Size', String(kibs)],
    ['Depends', def.depends.join(', ')],
    ['Suggests', def.suggests.length ? def.suggests.join(', ') : undefined],
    ['Section', def.section],
    ['Priority', 'optional'],
    ['Description', `${def.summary}\n${longDescription(def.description)}`],
  ];
  const control = fields
    .filter((f): f is [string, string] => f[1] !== undefined)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n');
  fs.writeFileSync(path.join(stage, 'DEBIAN/control'), control + '\n');
  for (const f of ['control', 'md5sums', 'conffiles']) fs.chmodSync(path.join(stage, 'DEBIAN', f), 0o644);
}

/** Paragraphs wrapped at 78 columns, each line indented by one space, " ." between paragraphs. */
function longDescription(text: string): string {
  return text
    .split('\n')
    .map((para) => {
      const lines: string[] = [];
      let line = '';
      for (const word of para.split(/\s+/).filter(Boolean)) {
        if (line && line.length + 1 + word.length > 78) {
          lines.push(line);
          line = word;
        } else line = line ? `${line} ${word}` : word;
      }
      if (line) lines.push(line);
      return lines.map((l) => ` ${l}`).join('\n');
    })
    .join('\n .\n');
}

interface Entry {
  path: string;
  stat: fs.Stats;
}

function walk(dir: string): Entry[] {
  const out: Entry[] = [];
  if (!fs.existsSync(dir)) return out;
  for (const name of fs.readdirSync(dir)) {
    const p = path.join(dir, name);
    const stat = fs.lstatSync(p);
    out.push({ path: p, stat });
    if (stat.isDirectory()) out.push(...walk(p));
  }
  return out;
}

function writeJson(file: string, value: unknown) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(value, null, 2) + '\n');
}

function kib(bytes: number): number {
  return Math.round(bytes / 1024);
}
