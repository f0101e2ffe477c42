// The inter-Flussonic "Cluster" signature that Central puts on every call to a streamer's API:
// `Authorization: Cluster <unix_seconds>:<hex(sha1("<unix_seconds>:<cluster_key>"))>`.
import crypto from 'node:crypto';

/** How far the signer's clock may be from ours, in seconds, before a signature is refused. */
export const CLUSTER_SKEW_S = 300;

function sign(seconds: number, key: string): string {
  return crypto.createHash('sha1').update(`${seconds}:${key}`).digest('hex');
}

export function clusterHeader(key: string, nowMs: number): string {
  const seconds = Math.floor(nowMs / 1000);
  return `Cluster ${seconds}:${sign(seconds, key)}`;
}

/** True when `header` is a Cluster signature made with `key` within CLUSTER_SKEW_S of `nowMs`. */
export function verifyClusterHeader(header: string | undefined, key: string, nowMs: number): boolean {
  const m = /^Cluster\s+(\d{1,12}):([0-9a-fA-F]{40})$/.exec(header?.trim() ?? '');
  if (!m) return false;
  const seconds = Number(m[1]);
  if (Math.abs(Math.floor(nowMs / 1000) - seconds) > CLUSTER_SKEW_S) return false;
  // Constant-time: both sides are 40 hex chars here, so timingSafeEqual never sees different lengths.
  const given = Buffer.from(m[2]!.toLowerCase(), 'latin1');
  return crypto.timingSafeEqual(given, Buffer.from(sign(seconds, key), 'latin1'));
}
