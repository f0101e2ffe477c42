-- RFC 7386 JSON merge patch: objects merge recursively, null removes a member, anything else replaces.
CREATE OR REPLACE FUNCTION central_merge_patch(target jsonb, patch jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  result jsonb;
  k text;
  v jsonb;
BEGIN
  IF patch IS NULL OR jsonb_typeof(patch) <> 'object' THEN
    RETURN patch;
  END IF;
  IF target IS NULL OR jsonb_typeof(target) <> 'object' THEN
    result := '{}'::jsonb;
  ELSE
    result := target;
  END IF;
  FOR k, v IN SELECT * FROM jsonb_each(patch) LOOP
    IF jsonb_typeof(v) = 'null' THEN
      result := result - k;
    ELSE
      result := result || jsonb_build_object(k, central_merge_patch(result -> k, v));
    END IF;
  END LOOP;
  RETURN result;
END
$$;

-- Desired state, written only by the API. `config` holds the client's fields except name and
-- updated_at; the columns the system filters and sorts on are generated from it so they never drift.
CREATE TABLE streams (
  name text COLLATE "C" PRIMARY KEY,
  config jsonb NOT NULL,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  disabled boolean GENERATED ALWAYS AS (COALESCE((config ->> 'disabled')::boolean, false)) STORED,
  namespace text COLLATE "C" GENERATED ALWAYS AS (config ->> 'namespace') STORED,
  streamer_hostname text COLLATE "C" GENERATED ALWAYS AS (config ->> 'streamer_hostname') STORED,
  labels jsonb GENERATED ALWAYS AS (config -> 'labels') STORED
);
CREATE INDEX streams_namespace_idx ON streams (namespace, name);
CREATE INDEX streams_streamer_hostname_idx ON streams (streamer_hostname, name);
CREATE INDEX streams_updated_at_idx ON streams (updated_at, name);
CREATE INDEX streams_disabled_idx ON streams (disabled, name);
CREATE INDEX streams_labels_idx ON streams USING gin (labels jsonb_path_ops);

CREATE TABLE streamers (
  hostname text COLLATE "C" PRIMARY KEY,
  config jsonb NOT NULL,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  role text COLLATE "C" GENERATED ALWAYS AS (COALESCE(config ->> 'role', 'streamer')) STORED,
  namespace text COLLATE "C" GENERATED ALWAYS AS (config ->> 'namespace') STORED,
  channel_limit integer GENERATED ALWAYS AS (COALESCE((config ->> 'channel_limit')::integer, 6000)) STORED,
  labels jsonb GENERATED ALWAYS AS (config -> 'labels') STORED
);
CREATE INDEX streamers_namespace_idx ON streamers (namespace, hostname);
CREATE INDEX streamers_labels_idx ON streamers USING gin (labels jsonb_path_ops);
