// Configuration-file and value parsing shared by Central and the streamer: `KEY=VALUE` files (the
// central.conf format), ports, booleans, Go-style durations and `login password` credentials. Problems
// are collected as lines naming the key, so start-up can report all of them at once.
import fs from 'node:fs';
import path from 'node:path';

/** Parses `KEY=VALUE` lines (optionally quoted, optionally `export`ed) and older `key value` lines. */
export function parseConfigFile(
  text: string,
  file: string,
): { values: Map<string, string>; problems: string[] } {
  const values = new Map<string, string>();
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith('%')) return;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*(?:=\s*|\s+)(.*)$/.exec(line);
    if (!m) {
      problems.push(`${file}:${i + 1}: cannot parse line (expected KEY=VALUE or "key value")`);
      return;
    }
    let value = m[2]!.trim();
    if (/^(["']).*\1$/.test(value) && value.length >= 2) value = value.slice(1, -1);
    else value = value.replace(/\s+#.*$/, '').replace(/;$/, '');
    values.set(m[1]!.toUpperCase(), value);
  });
  return { values, problems };
}

export function parsePort(key: string, v: string, problems: string[]): number | null {
  if (!/^\d+$/.test(v) || Number(v) > 65535) {
    problems.push(`${key}: "${v}" is not a port number (0-65535)`);
    return null;
  }
  return Number(v);
}

export function parseBool(key: string, v: string, problems: string[]): boolean {
  if (/^(true|yes|on|1)$/i.test(v)) return true;
  if (/^(false|no|off|0)$/i.test(v)) return false;
  problems.push(`${key}: "${v}" is not a boolean (true or false)`);
  return false;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `1m30s`, `5s`, `250ms`, `5000` (ms). */
export function parseDuration(v: string): number | null {
  if (/^\d+$/.test(v)) return Number(v);
  const parts = [...v.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (!parts.length || parts.map((p) => p[0]).join('') !== v) return null;
  return Math.round(parts.reduce((sum, p) => sum + Number(p[1]) * UNITS[p[2]!]!, 0));
}

export function parseEditAuth(key: string, v: string, problems: string[], placeholders: ReadonlySet<string>) {
  const m = /^([^\s:]+)(?:\s+|:)(.+)$/.exec(v.trim());
  if (!m) {
    problems.push(`${key}: expected "login password" (or login:password)`);
    return null;
  }
  if (placeholders.has(m[2]!))
    problems.push(`${key}: the password is the sample placeholder; choose a real password`);
  return { login: m[1]!, password: m[2]! };
}

/** `--config FILE`, `--config=FILE` or `-c FILE`, else the environment's choice, else the default. */
export function configFileFrom(
  argv: string[],
  fromEnv: string | undefined,
  defaultFile: string,
): { file: string; explicit: boolean } {
  const i = argv.findIndex((a) => a === '--config' || a === '-c' || a.startsWith('--config='));
  if (i >= 0) {
    const a = argv[i]!;
    return { file: a.includes('=') ? a.slice(a.indexOf('=') + 1) : (argv[i + 1] ?? ''), explicit: true };
  }
  if (fromEnv) return { file: fromEnv, explicit: true };
  return { file: defaultFile, explicit: false };
}

/**
 * Reads the chosen config file into canonical keys. A missing default file is fine; a missing file the
 * user named is a problem; unknown keys are warnings.
 */
export function readConfigFile<K extends string>(
  choice: { file: string; explicit: boolean },
  canonical: (name: string) => K | null,
): { raw: Map<K, string>; problems: string[]; warnings: string[]; configFile: string | null } {
  const { file, explicit } = choice;
  const raw = new Map<K, string>();
  const problems: string[] = [];
  const warnings: string[] = [];
  let configFile: string | null = null;
  if (explicit && !file) problems.push('--config: a file name is required');
  else if (fs.existsSync(file)) {
    configFile = path.resolve(file);
    try {
      const parsed = parseConfigFile(fs.readFileSync(file, 'utf8'), file);
      problems.push(...parsed.problems);
      for (const [name, value] of parsed.values) {
        const key = canonical(name);
        if (key) raw.set(key, value);
        else warnings.push(`${file}: unknown key ${name} ignored`);
      }
    } catch (e) {
      problems.push(`${file}: cannot read: ${(e as Error).message}`);
    }
  } else if (explicit) problems.push(`config file ${file} does not exist`);
  return { raw, problems, warnings, configFile };
}

/**
 * Whether start-up could create and write `dir`: its nearest existing folder must be writable. Checks
 * without creating anything (for `--check-config`); null when fine, else a line naming `key`.
 */
export function writableDirProblem(key: string, dir: string): string | null {
  let p = dir;
  while (!fs.existsSync(p) && path.dirname(p) !== p) p = path.dirname(p);
  try {
    fs.accessSync(p, fs.constants.W_OK);
    return null;
  } catch {
    return `${key}: ${dir} is not writable by this user (checked ${p})`;
  }
}

export interface CheckOutcome {
  configFile: string | null;
  warnings: string[];
  /** Problems found beyond the configuration's own validation (null: that check passed). */
  problems: (string | null)[];
  /** Label and value lines of the summary; never a secret. */
  summary: [string, string][];
}

/**
 * `--check-config`'s report: the warnings, then every problem (exit code 1) or `configuration OK` and the
 * summary (0). A configuration error thrown by `check` (as `isConfigError` recognises) is reported too.
 */
export function checkReport(
  write: (line: string) => void,
  check: () => CheckOutcome,
  isConfigError: (e: unknown) => e is Error,
): number {
  try {
    const r = check();
    for (const w of r.warnings) write(`warning: ${w}`);
    const problems = r.problems.filter((p) => p !== null);
    if (problems.length) {
      write(`invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
      return 1;
    }
    write(`configuration OK (${r.configFile ?? 'no config file; environment only'})`);
    const width = Math.max(...r.summary.map(([label]) => label.length)) + 2;
    for (const [label, value] of r.summary) write(`  ${`${label}:`.padEnd(width)}${value}`);
    return 0;
  } catch (e) {
    if (!isConfigError(e)) throw e;
    write(e.message);
    return 1;
  }
}
