// A Central stream as a Flussonic stream config for config_external (pure). Central-only fields are
// not part of a streamer's stream config: layout, stats, claims, namespace, updated_at and the
// preferred streamer. Streams Central serves are static unless the stream says otherwise.

const CENTRAL_ONLY = new Set([
  'layout',
  'stats',
  'claims',
  'namespace',
  'updated_at',
  'streamer_hostname',
  'cluster_ingest',
]);

export function renderStream(name: string, config: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { name };
  for (const [k, v] of Object.entries(config)) if (!CENTRAL_ONLY.has(k)) out[k] = v;
  if (out.static === undefined) out.static = true;
  return out;
}

/** The whole response body, built as a string: large lists skip one JSON.stringify of the envelope. */
export function renderList(
  rows: { name: string; config: Record<string, unknown> }[],
  updatedAt: number,
  next: string | null,
): string {
  const items = rows.map((r) => JSON.stringify(renderStream(r.name, r.config)));
  return `{"streams":[${items.join(',')}],"updated_at":${updatedAt}${next ? `,"next":${JSON.stringify(next)}` : ''}}`;
}
