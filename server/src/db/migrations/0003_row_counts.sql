-- Exact row counts in O(1) for unfiltered lists (`estimated_count`), instead of count(*) per request.
-- Row triggers add +1/-1 to a counter in the same transaction, so the sum is exactly what the
-- transaction sees. Each backend writes its own shard (pid mod 16): concurrent inserts from several
-- connections do not queue on one counter row. Updates, including INSERT ... ON CONFLICT DO UPDATE,
-- fire no insert trigger and cost nothing.
CREATE TABLE central_row_counts (
  tbl text NOT NULL,
  shard integer NOT NULL,
  n bigint NOT NULL,
  PRIMARY KEY (tbl, shard)
);

CREATE FUNCTION central_count_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    DELETE FROM central_row_counts WHERE tbl = TG_TABLE_NAME;
    RETURN NULL;
  END IF;
  INSERT INTO central_row_counts AS c (tbl, shard, n)
  VALUES (TG_TABLE_NAME, pg_backend_pid() % 16, CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END)
  ON CONFLICT (tbl, shard) DO UPDATE SET n = c.n + EXCLUDED.n;
  RETURN NULL;
END
$$;

CREATE TRIGGER streams_count AFTER INSERT OR DELETE ON streams FOR EACH ROW EXECUTE FUNCTION central_count_rows();
CREATE TRIGGER streams_count_truncate AFTER TRUNCATE ON streams FOR EACH STATEMENT EXECUTE FUNCTION central_count_rows();
CREATE TRIGGER streamers_count AFTER INSERT OR DELETE ON streamers FOR EACH ROW EXECUTE FUNCTION central_count_rows();
CREATE TRIGGER streamers_count_truncate AFTER TRUNCATE ON streamers FOR EACH STATEMENT EXECUTE FUNCTION central_count_rows();

INSERT INTO central_row_counts (tbl, shard, n)
SELECT 'streams', 0, count(*) FROM streams UNION ALL SELECT 'streamers', 0, count(*) FROM streamers;
