// Pure rules of streamer health. A streamer is online while its latest poll succeeded; suspect while
// polls fail but it was in contact (a good poll or a pull of its list) within the dead timeout;
// offline after the dead timeout with no contact at all. Suspect streamers keep their streams.
export type StreamerState = 'online' | 'suspect' | 'offline';

export interface ContactTimes {
  lastPollOk: number | null;
  lastPollFailed: boolean;
  lastPullAt: number | null;
}

/**
 * `since` is when this process started watching (became leader): contact older than that is not held
 * against a streamer, so a Central that was down or slow does not declare the whole fleet dead.
 */
export function streamerState(
  c: ContactTimes,
  now: number,
  deadTimeoutMs: number,
  since: number,
): StreamerState {
  const contact = Math.max(c.lastPollOk ?? -Infinity, c.lastPullAt ?? -Infinity);
  if (contact === -Infinity) return 'offline';
  const age = now - Math.max(contact, since);
  if (age > deadTimeoutMs) return 'offline';
  if (c.lastPollOk !== null && !c.lastPollFailed) return 'online';
  return 'suspect';
}

export interface HealthInputs {
  reachable: boolean;
  validClusterKey: boolean;
  stats: Record<string, unknown> | null;
  provisionError: string | null;
  pollError: string | null;
  now: number;
}

const MAX_SKEW_MS = 10_000;

/** The PeerStats healthcheck_status checks, with a reason for each failed one. */
export function healthChecks(h: HealthInputs) {
  const s = h.stats ?? {};
  const ext = s.config_external_status as { status?: string; error?: string; reason?: string } | undefined;
  const skew = typeof s.now === 'number' ? Math.abs(s.now - h.now) : 0;
  const checks = {
    reachable: h.reachable,
    running: !h.stats || s.streamer_status === undefined || s.streamer_status === 'running',
    valid_cluster_key: h.validClusterKey,
    time_synchronized: skew <= MAX_SKEW_MS,
    config_ok: !s.config_error,
    config_external_ok: ext?.status !== 'error' && !h.provisionError,
  };
  const errors: { rule: string; error: string }[] = [];
  if (!checks.reachable) errors.push({ rule: 'reachable', error: h.pollError ?? 'not reachable' });
  if (!checks.valid_cluster_key)
    errors.push({ rule: 'valid_cluster_key', error: 'the streamer refused the cluster key' });
  if (!checks.running)
    errors.push({ rule: 'running', error: `streamer_status is ${String(s.streamer_status)}` });
  if (!checks.time_synchronized)
    errors.push({
      rule: 'time_synchronized',
      error: `clock differs from Central's by ${Math.round(skew / 1000)} s`,
    });
  if (!checks.config_ok)
    errors.push({ rule: 'config_ok', error: 'the streamer reports a configuration error' });
  if (h.provisionError) errors.push({ rule: 'config_external_ok', error: h.provisionError });
  else if (ext?.status === 'error')
    errors.push({
      rule: 'config_external_ok',
      error: `the streamer cannot load its list from Central: ${ext.error ?? ext.reason ?? 'error'}`,
    });
  return { ok: errors.length === 0, checks: { ...checks, errors_details: errors } };
}

/** Stats history (the UI's charts): one sample per streamer per 30 s, kept 24 h. */
export const SAMPLE_EVERY_MS = 30_000;
export const HISTORY_KEEP_MS = 24 * 60 * 60_000;

/** The figures of one /config/stats answer kept in streamer_stats_history (integers or null). */
export const SAMPLE_FIELDS = [
  'cpu_usage',
  'memory_usage',
  'bandwidth_usage',
  'input_kbit',
  'output_kbit',
  'total_streams',
  'online_streams',
] as const;
export type SampleField = (typeof SAMPLE_FIELDS)[number];
export type StatsSample = { hostname: string; at: number } & Record<SampleField, number | null>;

const INT32_MAX = 2 ** 31 - 1;

/** The charted figures of a stats answer; anything not a whole int32 number is left out (null). */
export function statsSample(hostname: string, at: number, stats: Record<string, unknown>): StatsSample {
  const sample = { hostname, at } as StatsSample;
  for (const f of SAMPLE_FIELDS) {
    const v = stats[f];
    sample[f] = typeof v === 'number' && Number.isInteger(v) && Math.abs(v) <= INT32_MAX ? v : null;
  }
  return sample;
}
