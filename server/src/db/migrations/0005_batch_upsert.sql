-- PUT /streams/batch in one statement: the same create-or-merge as the single upsert (documents.ts),
-- looped inside PostgreSQL so that 1,000 streams cost one round trip instead of 1,000. Returns the
-- 0-based index of the first item refused (a namespace change), or -1.
CREATE FUNCTION central_upsert_streams(keys text[], patches jsonb[], resets boolean[], now_ms bigint)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  i integer;
BEGIN
  FOR i IN 1 .. coalesce(array_length(keys, 1), 0) LOOP
    INSERT INTO streams AS t (name, config, created_at, updated_at)
    VALUES (keys[i], jsonb_strip_nulls(patches[i]), now_ms, now_ms)
    ON CONFLICT (name) DO UPDATE SET (config, updated_at) = (
      SELECT x.m, CASE WHEN x.m IS DISTINCT FROM t.config THEN GREATEST(t.updated_at + 1, now_ms) ELSE t.updated_at END
      FROM (SELECT CASE WHEN resets[i] THEN EXCLUDED.config ELSE central_merge_patch(t.config, patches[i]) END AS m) x)
    WHERE NOT (resets[i] OR patches[i] ? 'namespace')
       OR (EXCLUDED.config ->> 'namespace') IS NOT DISTINCT FROM t.namespace;
    IF NOT FOUND THEN
      RETURN i - 1;
    END IF;
  END LOOP;
  RETURN -1;
END
$$;
