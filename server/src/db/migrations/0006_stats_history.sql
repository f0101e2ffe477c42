-- Observed streamer figures over time, for the web UI's "last hour" charts. Written only by the health
-- poller of the leader (one row per streamer at most every 30 s, batched per round), pruned after 24 h.
-- Times are ms since the epoch, like every other table. Deleting a streamer deletes its history.
CREATE TABLE streamer_stats_history (
  hostname text COLLATE "C" NOT NULL REFERENCES streamers (hostname) ON DELETE CASCADE,
  at bigint NOT NULL,
  cpu_usage integer,
  memory_usage integer,
  bandwidth_usage integer,
  input_kbit integer,
  output_kbit integer,
  total_streams integer,
  online_streams integer,
  PRIMARY KEY (hostname, at)
);
-- Pruning deletes by age across all streamers.
CREATE INDEX streamer_stats_history_at_idx ON streamer_stats_history (at);
