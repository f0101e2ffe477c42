import { execFileSync } from 'node:child_process';
import path from 'node:path';

/** A self-signed certificate for localhost and 127.0.0.1 (it is its own CA): `<dir>/<name>.crt/.key`. */
export function selfSignedCert(dir: string, name: string): { cert: string; key: string } {
  const key = path.join(dir, `${name}.key`);
  const cert = path.join(dir, `${name}.crt`);
  const subject = ['-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'];
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', ...subject, '-keyout', key, '-out', cert],
    {
      stdio: 'pipe',
    },
  );
  return { cert, key };
}
