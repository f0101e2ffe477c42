-- Fleet control: layouts (decisions), observed streamer and stream state, pull versions, the leader lease.

-- Decisions, written only by the layouter's apply step and POST /streams/layouts. One row per stream:
-- a stream can never be on two streamers. Deleting the stream deletes its layout.
CREATE TABLE stream_layouts (
  name text COLLATE "C" PRIMARY KEY REFERENCES streams (name) ON DELETE CASCADE,
  ingest text COLLATE "C",
  failover_from text COLLATE "C",
  originator text NOT NULL,
  change_reason text,
  created_at bigint NOT NULL
);
CREATE INDEX stream_layouts_ingest_idx ON stream_layouts (ingest, name);

CREATE TABLE stream_layout_history (
  id bigserial PRIMARY KEY,
  name text COLLATE "C" NOT NULL,
  ingest text COLLATE "C",
  failover_from text COLLATE "C",
  originator text NOT NULL,
  change_reason text,
  created_at bigint NOT NULL
);
CREATE INDEX stream_layout_history_name_idx ON stream_layout_history (name, created_at, id);

-- Observed state, written by the health poller (and last_pull_at by whichever process served a pull).
CREATE TABLE streamer_status (
  hostname text COLLATE "C" PRIMARY KEY,
  state text NOT NULL DEFAULT 'offline',
  online_since bigint,
  last_poll_at bigint,
  last_poll_ok bigint,
  last_pull_at bigint,
  stats jsonb,
  error text,
  provision jsonb,
  updated_at bigint NOT NULL DEFAULT 0
);

CREATE TABLE stream_status (
  name text COLLATE "C" PRIMARY KEY,
  stats jsonb NOT NULL,
  running_since bigint,
  updated_at bigint NOT NULL
);

-- The leader lease: singleton loops run in the holder; every decision write checks the epoch.
CREATE TABLE central_leases (
  name text PRIMARY KEY,
  holder text NOT NULL,
  epoch bigint NOT NULL,
  expires_at timestamptz NOT NULL
);

-- Per-streamer pull versions: a streamer's list changed iff its version moved. Kept by triggers in the
-- same transaction as the change, so an unchanged list is answered without reading the streams table.
CREATE SEQUENCE central_pull_seq;
CREATE SEQUENCE central_layout_seq;
CREATE TABLE streamer_pulls (
  hostname text COLLATE "C" PRIMARY KEY,
  version bigint NOT NULL,
  changed_at bigint NOT NULL
);

CREATE FUNCTION central_now_ms() RETURNS bigint LANGUAGE sql VOLATILE AS $$
  SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint
$$;

CREATE FUNCTION central_bump_pull(h text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF h IS NULL THEN RETURN; END IF;
  INSERT INTO streamer_pulls AS p (hostname, version, changed_at)
  VALUES (h, nextval('central_pull_seq'), central_now_ms())
  ON CONFLICT (hostname) DO UPDATE SET version = EXCLUDED.version, changed_at = EXCLUDED.changed_at;
  PERFORM pg_notify('central_pull', h);
END
$$;

-- Something the layouter decides on changed: wake it (the sequence lets it skip idle ticks).
CREATE FUNCTION central_bump_layout() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM nextval('central_layout_seq');
  PERFORM pg_notify('central_layout', '');
END
$$;

CREATE FUNCTION central_streams_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM central_bump_layout();
  ELSIF TG_OP = 'UPDATE' THEN
    IF OLD.config IS DISTINCT FROM NEW.config THEN
      PERFORM central_bump_pull((SELECT ingest FROM stream_layouts WHERE name = NEW.name));
    END IF;
    IF (OLD.disabled, OLD.namespace, OLD.streamer_hostname, OLD.labels)
       IS DISTINCT FROM (NEW.disabled, NEW.namespace, NEW.streamer_hostname, NEW.labels) THEN
      PERFORM central_bump_layout();
    END IF;
  ELSE
    DELETE FROM stream_status WHERE name = OLD.name;
    DELETE FROM stream_layout_history WHERE name = OLD.name;
    PERFORM central_bump_layout();
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER streams_changed AFTER INSERT OR UPDATE OR DELETE ON streams
  FOR EACH ROW EXECUTE FUNCTION central_streams_changed();

-- Statement-level with transition tables: placing 100,000 streams bumps each streamer once, not once
-- per stream. (A trigger with transition tables handles one event, hence three triggers.)
CREATE FUNCTION central_layouts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  h text;
BEGIN
  IF TG_OP = 'INSERT' THEN
    FOR h IN SELECT DISTINCT n.ingest FROM new_rows n WHERE n.ingest IS NOT NULL LOOP
      PERFORM central_bump_pull(h);
    END LOOP;
  ELSIF TG_OP = 'DELETE' THEN
    FOR h IN SELECT DISTINCT o.ingest FROM old_rows o WHERE o.ingest IS NOT NULL LOOP
      PERFORM central_bump_pull(h);
    END LOOP;
  ELSE
    FOR h IN
      SELECT x.ingest FROM old_rows o JOIN new_rows n ON n.name = o.name,
        LATERAL (VALUES (o.ingest), (n.ingest)) AS x(ingest)
      WHERE o.ingest IS DISTINCT FROM n.ingest AND x.ingest IS NOT NULL
      GROUP BY x.ingest
    LOOP
      PERFORM central_bump_pull(h);
    END LOOP;
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER stream_layouts_inserted AFTER INSERT ON stream_layouts
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION central_layouts_changed();
CREATE TRIGGER stream_layouts_updated AFTER UPDATE ON stream_layouts
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION central_layouts_changed();
CREATE TRIGGER stream_layouts_deleted AFTER DELETE ON stream_layouts
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION central_layouts_changed();

CREATE FUNCTION central_streamers_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    DELETE FROM streamer_status WHERE hostname = OLD.hostname;
    DELETE FROM streamer_pulls WHERE hostname = OLD.hostname;
    PERFORM pg_notify('central_streamers', OLD.hostname);
  ELSE
    PERFORM pg_notify('central_streamers', NEW.hostname);
  END IF;
  PERFORM central_bump_layout();
  RETURN NULL;
END
$$;
CREATE TRIGGER streamers_changed AFTER INSERT OR UPDATE OR DELETE ON streamers
  FOR EACH ROW EXECUTE FUNCTION central_streamers_changed();
