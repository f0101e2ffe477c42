-- central_merge_patch as in 0001, but cheaper: scalars and arrays are copied without a
-- recursive call. Nulls are never stored: inside lists (where merge patch has no "remove" meaning) they
-- are dropped from objects, as jsonb_strip_nulls does for new documents.
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
    RETURN jsonb_strip_nulls(patch);
  END IF;
  result := target;
  FOR k, v IN SELECT * FROM jsonb_each(patch) LOOP
    CASE jsonb_typeof(v)
      WHEN 'null' THEN result := result - k;
      WHEN 'object' THEN result := jsonb_set(result, ARRAY[k], central_merge_patch(result -> k, v));
      ELSE result := jsonb_set(result, ARRAY[k], jsonb_strip_nulls(v));
    END CASE;
  END LOOP;
  RETURN result;
END
$$;
