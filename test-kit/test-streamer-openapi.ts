// Validators for the Flussonic Media Server 23.05 OpenAPI component schemas, read at test time from the
// reference spec outside the repo (callers skip, or fail under CI, when it is absent).
import fs from 'node:fs';
import path from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

type Json = Record<string, unknown>;

export const MEDIA_SERVER_SPEC = path.resolve(
  import.meta.dirname,
  '../../shared/reference/openapi/media-server-23.05.json',
);

/** OpenAPI's `nullable: true` is not JSON Schema: rewrite it as "null or the schema". */
function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (!node || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) if (k !== 'nullable') out[k] = toJsonSchema(v);
  return (node as Json).nullable === true ? { anyOf: [{ type: 'null' }, out] } : out;
}

/** `schema('server_stats')` compiles `#/components/schemas/server_stats` of the spec. */
export function loadMediaServerSchemas(file = MEDIA_SERVER_SPEC): (name: string) => ValidateFunction {
  const spec = JSON.parse(fs.readFileSync(file, 'utf8')) as { components: { schemas: Record<string, Json> } };
  const schemas = spec.components.schemas;
  // 23.05 predates the `config_external_error` streamer_status that later servers (and Central's
  // model, GF-model ServerStatsStreamerStatus) use; the test streamer reports it, so it is allowed.
  (schemas.server_stats_streamer_status!.oneOf as Json[]).push({ const: 'config_external_error' });
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  // Flussonic's own formats (utc_ms, speed, server_name, ...) are informal; `url` means any absolute
  // URL, not ajv-formats' public-internet-only pattern (test servers live on 127.0.0.1).
  const formats = new Set<string>();
  JSON.stringify(schemas, (k, v: unknown) => {
    if (k === 'format' && typeof v === 'string') formats.add(v);
    return v;
  });
  for (const f of formats)
    if (!ajv.formats[f] || f === 'url') ajv.addFormat(f, f === 'url' ? URL.canParse : true);
  ajv.addSchema({ $id: 'fms', components: toJsonSchema(spec.components) as Json });
  const cache = new Map<string, ValidateFunction>();
  return (name) => {
    let v = cache.get(name);
    if (!v) cache.set(name, (v = ajv.compile({ $ref: `fms#/components/schemas/${name}` })));
    return v;
  };
}
