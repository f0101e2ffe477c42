// Human-readable numbers for tables and cards.

export function formatKbit(kbit: number | null | undefined): string {
  if (kbit == null || !Number.isFinite(kbit)) return '—';
  if (kbit >= 1_000_000) return `${(kbit / 1_000_000).toFixed(2)} Gbit/s`;
  if (kbit >= 1000) return `${(kbit / 1000).toFixed(kbit >= 100_000 ? 0 : 1)} Mbit/s`;
  return `${Math.round(kbit)} kbit/s`;
}

export function formatPercent(v: number | null | undefined): string {
  return v == null || !Number.isFinite(v) ? '—' : `${Math.round(v)} %`;
}

/** A duration in ms as "3d 4h", "2h 5m", "4m 10s", "12s". */
export function formatDuration(ms: number | null | undefined): string {
  if (ms == null || !Number.isFinite(ms) || ms < 0) return '—';
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d) return `${d}d ${h}h`;
  if (h) return `${h}h ${m}m`;
  if (m) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });

/** "5 seconds ago", "3 minutes ago" … from a unix time in ms. */
export function relativeTime(at: number | null | undefined, now = Date.now()): string {
  if (!at) return 'never';
  const diff = Math.round((at - now) / 1000);
  const abs = Math.abs(diff);
  if (abs < 5) return 'just now';
  if (abs < 60) return rtf.format(diff, 'second');
  if (abs < 3600) return rtf.format(Math.round(diff / 60), 'minute');
  if (abs < 86400) return rtf.format(Math.round(diff / 3600), 'hour');
  return rtf.format(Math.round(diff / 86400), 'day');
}

export function formatTime(at: number | null | undefined): string {
  return at ? new Date(at).toLocaleString() : '—';
}

export const formatCount = (n: number | null | undefined) => (n == null ? '—' : n.toLocaleString('en'));
