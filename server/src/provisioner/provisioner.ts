// Writes config_external (and the cluster key) into each streamer's config with a partial
// PUT /streamer/api/v3/config, right after the streamer is saved and again whenever a periodic check
// finds it changed. The URL carries the streamer's own pull key, never Central's API key; a rotated key
// (or a streamer still holding an older URL, e.g. the API-key URL of a version before pull keys) is
// rewritten at once. Failures are retried with back-off and shown in the streamer's status; they never
// block saving the streamer.
import { createHash } from 'node:crypto';
import { redactSecrets } from '@central/protocol';
import { configExternalUrl, pullKey, pullKeySecret } from '../config-external/pull-key.ts';
import type { FleetDeps } from '../fleet/leader.ts';
import type { FleetTarget } from '../health/poller.ts';
import { StreamerError } from '../lib/streamer-client.ts';
import { writeProvision } from '../health/repo.ts';

const MAX_BACKOFF_MS = 60_000;
const MAX_CONCURRENT = 16;

type Status = 'pending' | 'ok' | 'error' | 'disabled' | 'not_configured';

interface HostState {
  fingerprint: string;
  status: Status;
  error: string | null;
  attempts: number;
  nextAt: number;
  written: string;
  url: string | null;
}

export class Provisioner {
  private hosts = new Map<string, HostState>();
  /**
   * Streamers with an attempt in flight. Per hostname, not per state: a new URL (a rotated key) waits
   * for the attempt still writing the old one, so the old one can never land last.
   */
  private busy = new Set<string>();
  private readonly secret: Buffer;
  /** Derived keys by hostname: ticks run twice a second over the whole fleet. */
  private keys = new Map<string, { generation: number; key: string }>();

  constructor(private readonly deps: FleetDeps) {
    this.secret = pullKeySecret(deps.apiKey);
  }

  /** The current problem, for the config_external_ok health check (null when fine or not attempted). */
  errorOf(hostname: string): string | null {
    const h = this.hosts.get(hostname);
    return h?.status === 'error' ? h.error : null;
  }

  private targets: FleetTarget[] = [];

  private stopped = false;
  /** A demoted leader's provisioner starts nothing more. */
  stop() {
    this.stopped = true;
  }

  tick(targets: FleetTarget[]) {
    if (this.stopped) return;
    this.targets = targets;
    const now = this.deps.clock.now();
    const seen = new Set(targets.map((t) => t.hostname));
    for (const h of [...this.hosts.keys()]) if (!seen.has(h)) this.hosts.delete(h);
    for (const h of [...this.keys.keys()]) if (!seen.has(h)) this.keys.delete(h);
    for (const t of targets) {
      const url = this.url(t);
      const fingerprint = createHash('sha256')
        .update(JSON.stringify([t.api_url ?? '', t.cluster_key ?? '', url ?? '']))
        .digest('hex');
      let h = this.hosts.get(t.hostname);
      if (!h || h.fingerprint !== fingerprint) {
        h = {
          fingerprint,
          status: 'pending',
          error: null,
          attempts: 0,
          nextAt: 0,
          written: '',
          url,
        };
        this.hosts.set(t.hostname, h);
      }
      if (!this.deps.config.provisionEnabled) this.settle(t.hostname, h, 'disabled', null, Infinity);
      else if (!url)
        this.settle(
          t.hostname,
          h,
          'not_configured',
          'API_URL is not set, so Central cannot tell streamers where to pull their streams from; set API_URL (e.g. http://central.example.com:9019)',
          Infinity,
        );
      else if (!this.busy.has(t.hostname) && h.nextAt <= now && this.busy.size < MAX_CONCURRENT)
        void this.attempt(t, h, url);
    }
  }

  private url(t: FleetTarget): string | null {
    const { apiUrl } = this.deps.config;
    if (!apiUrl) return null;
    let k = this.keys.get(t.hostname);
    if (k?.generation !== t.pullKeyGeneration) {
      k = { generation: t.pullKeyGeneration, key: pullKey(this.secret, t.hostname, t.pullKeyGeneration) };
      this.keys.set(t.hostname, k);
    }
    return configExternalUrl(apiUrl, k.key, t.hostname);
  }

  private async attempt(t: FleetTarget, h: HostState, url: string) {
    const { client, clock, config } = this.deps;
    this.busy.add(t.hostname);
    try {
      const current = await client.getConfig(t);
      // A first save always writes (the cluster key may be new); later checks write only on drift.
      if (h.status === 'pending' || current.config_external !== url) {
        const patch: Record<string, unknown> = { config_external: url };
        if (t.cluster_key) patch.cluster_key = t.cluster_key;
        await client.putConfig(t, patch);
      }
      h.attempts = 0;
      if (this.hosts.get(t.hostname) === h)
        this.settle(t.hostname, h, 'ok', null, clock.now() + config.fleet.reconcileIntervalMs);
    } catch (e) {
      h.attempts++;
      const msg = e instanceof StreamerError ? e.message : 'unexpected error';
      const backoff = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(h.attempts - 1, 10));
      if (this.hosts.get(t.hostname) === h)
        this.settle(
          t.hostname,
          h,
          'error',
          `cannot provision config_external: ${msg}`,
          clock.now() + backoff,
        );
    } finally {
      this.busy.delete(t.hostname);
      // The next waiting streamer starts now rather than at the next tick.
      this.tick(this.targets);
    }
  }

  private settle(hostname: string, h: HostState, status: Status, error: string | null, nextAt: number) {
    if (status !== h.status && (status === 'ok' || status === 'error'))
      this.deps.log(`provisioning ${hostname}: ${status}${error ? ` (${error})` : ''}`);
    h.status = status;
    h.error = error;
    h.nextAt = nextAt;
    const record = {
      status,
      ...(error ? { error } : {}),
      ...(status === 'ok' || status === 'error' ? { config_external: redactSecrets(h.url ?? '') } : {}),
      attempts: h.attempts,
      ...(Number.isFinite(nextAt) ? { next_check_at: nextAt } : {}),
    };
    const key = JSON.stringify([status, error, h.attempts]);
    if (key === h.written) return;
    h.written = key;
    writeProvision(this.deps.db, hostname, { ...record, updated_at: this.deps.clock.now() }).catch(
      (e: Error) => this.deps.log(`recording provisioning status of ${hostname} failed: ${e.message}`),
    );
  }
}
