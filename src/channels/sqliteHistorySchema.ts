// The tables of the embedded channel history (DATA_DIR/channels.db), and how epochs are
// chosen. Separate from the auth event log: publications are a feed, not facts.

/** The history's file name in DATA_DIR. */
export const CHANNELS_DB_FILE = 'channels.db';

/*
 * Epochs. A channel's head row holds its epoch from its first publication on. A channel
 * with no row yet answers with an epoch derived from the store's secret and its name, and
 * its first publication adopts that same epoch, so a client that subscribed to it while
 * empty recovers everything published after. The secret is created with the file (a wiped
 * store: new secret, so every epoch changes) and replaced whenever the sweep forgets a head
 * row (no publication kept and none for CHANNEL_META_TTL_SECONDS): the channel's next
 * publication starts at offset 1 under a new epoch, and no client's old position matches.
 * The price: a client that saw an empty channel before such a sweep is not recovered.
 */
export const SCHEMA = `
CREATE TABLE IF NOT EXISTS channel_store (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  secret     TEXT    NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS channel_heads (
  channel     TEXT    PRIMARY KEY,
  epoch       TEXT    NOT NULL,
  last_offset INTEGER NOT NULL,
  last_ts     INTEGER NOT NULL,
  -- The retention of the last append, so reads and the sweep need no namespace table.
  keep_size   INTEGER NOT NULL,
  keep_ttl_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS channel_heads_last_ts ON channel_heads (last_ts);
CREATE TABLE IF NOT EXISTS publications (
  channel       TEXT    NOT NULL,
  "offset"      INTEGER NOT NULL,
  data          TEXT    NOT NULL,
  from_username TEXT,
  from_user_id  INTEGER,
  ts            INTEGER NOT NULL,
  -- Non-decreasing in offset within a channel, so what age keeps is always a suffix.
  expires_at    INTEGER NOT NULL,
  PRIMARY KEY (channel, "offset")
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS publications_expires_at ON publications (expires_at);
`;
