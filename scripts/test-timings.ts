// What the test run prints after node:test's own summary: the ten slowest tests and test files,
// then one last line `N passed, N failed`, so that a run's outcome is the final line of its log. Each
// file's time is kept (node_modules/.cache) so that the next run starts the slowest files first.
import fs from 'node:fs';
import path from 'node:path';

interface Finished {
  name: string;
  nesting: number;
  file?: string;
  details: { duration_ms?: number; type?: string };
}

/** Slow by nature (about a minute, then half a minute), started first when no run has timed them. */
const SLOWEST = [/^chaos\//, /paging\.property/, /startup\.test/, /packaging/, /walkthrough/, /follow\.e2e/];
const SLOW = [/checks\.test/, /\.e2e\./, /\.property\./, /contract/, /ui-session/, /layouts/, /media-runner/];

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`.padStart(8);

export class Timings {
  private readonly tests: { where: string; ms: number; ok: boolean }[] = [];
  private readonly files = new Map<string, number>();

  private readonly cache: string;
  /** Each file's time in earlier runs (from the cache). */
  private readonly known: Record<string, number> = {};
  private readonly sources: Map<string, string>;

  /** `modules`: each test file (from `root`) and the module that runs it. */
  constructor(
    private readonly root: string,
    modules: Map<string, string>,
  ) {
    this.sources = new Map([...modules].map(([source, module]) => [module, source]));
    this.cache = path.join(root, 'node_modules/.cache/central-test-times.json');
    try {
      Object.assign(this.known, JSON.parse(fs.readFileSync(this.cache, 'utf8')));
    } catch {
      /* no earlier run */
    }
  }

  /** The files, slowest first (as timed by the last run, else by their kind), so that none starts last. */
  order(files: string[]): string[] {
    const like = (f: string, kinds: RegExp[]) => kinds.some((re) => re.test(f));
    const guess = (f: string) => (like(f, SLOWEST) ? 60_000 : like(f, SLOW) ? 30_000 : 5_000);
    const cost = (f: string) => (Object.hasOwn(this.known, f) ? this.known[f]! : guess(f));
    return [...files].sort((a, b) => cost(b) - cost(a) || a.localeCompare(b));
  }

  add(d: Finished, ok: boolean): void {
    // A test's file is its TypeScript source (through the source map); a file that fails to load is
    // named by its module.
    const file = d.file ? (this.sources.get(d.file) ?? path.relative(this.root, d.file)) : '(runner)';
    const ms = d.details.duration_ms ?? 0;
    if (d.nesting === 0) this.files.set(file, (this.files.get(file) ?? 0) + ms);
    if (d.details.type !== 'suite') this.tests.push({ where: `${file}: ${d.name}`, ms, ok });
  }

  save(): void {
    for (const [file, ms] of this.files) this.known[file] = Math.round(ms);
    fs.mkdirSync(path.dirname(this.cache), { recursive: true });
    fs.writeFileSync(this.cache, JSON.stringify(this.known, null, 1));
  }

  print(): void {
    console.log('# the ten slowest tests');
    for (const t of [...this.tests].sort((a, b) => b.ms - a.ms).slice(0, 10))
      console.log(`# ${seconds(t.ms)}  ${t.where}`);
    console.log('# the ten slowest test files (their tests one after another)');
    for (const [file, ms] of [...this.files].sort((a, b) => b[1] - a[1]).slice(0, 10))
      console.log(`# ${seconds(ms)}  ${file}`);
    const failed = this.tests.filter((t) => !t.ok).length;
    console.log(`${this.tests.length - failed} passed, ${failed} failed`);
  }
}
