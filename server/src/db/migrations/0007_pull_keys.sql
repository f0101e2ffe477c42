-- Per-streamer pull credentials for config_external. The key itself is never stored: it is derived from
-- API_KEY, the hostname and this generation (config-external/pull-key.ts). Rotation moves the generation
-- to a new sequence value, so a streamer deleted and created again under the same hostname never gets
-- back a key it had before. Existing streamers get a generation each here; Central re-provisions them.
CREATE SEQUENCE central_pull_key_seq;
ALTER TABLE streamers ADD COLUMN pull_key_generation bigint NOT NULL DEFAULT nextval('central_pull_key_seq');
ALTER TABLE streamers ADD COLUMN pull_key_rotated_at bigint;
