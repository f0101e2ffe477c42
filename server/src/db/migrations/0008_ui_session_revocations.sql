-- Web UI sessions ended by sign-out before their cookie expires. Sessions are stateless signed cookies
-- (ui/session.ts) with a random id; every process looks the id up here (one primary-key probe per
-- cookie-authenticated request), so a sign-out on one process ends the session on all of them.
-- A row is needed only until the session would have expired anyway: each sign-out prunes those.
-- Times are ms since the epoch, like every other table.
CREATE TABLE ui_session_revocations (
  session_id text COLLATE "C" PRIMARY KEY,
  expires_at bigint NOT NULL
);
CREATE INDEX ui_session_revocations_expires_at_idx ON ui_session_revocations (expires_at);
