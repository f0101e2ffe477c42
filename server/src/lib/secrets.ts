// Values generated on first start and kept in the data directory: the API key (when API_KEY is not
// configured) and the server id.
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

function readOrCreate(file: string, make: () => string): { value: string; created: boolean } {
  try {
    const value = fs.readFileSync(file, 'utf8').trim();
    if (value) return { value, created: false };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const value = make();
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${value}\n`, { mode: 0o600 });
  // A link, not a rename: when two processes race, the first one's value wins and both read it.
  try {
    fs.linkSync(tmp, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  const stored = fs.readFileSync(file, 'utf8').trim();
  return { value: stored, created: stored === value };
}

export function ensureApiKey(dir: string) {
  return readOrCreate(path.join(dir, 'api_key'), () => randomBytes(24).toString('base64url'));
}

export function ensureServerId(dir: string): string {
  return readOrCreate(path.join(dir, 'server_id'), () => randomUUID()).value;
}
