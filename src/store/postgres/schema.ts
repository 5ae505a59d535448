// The PostgreSQL log's schema: numbered migrations applied at start, each once, under an
// advisory lock so that several nodes starting together do not race on the DDL. The events
// table is append-only (a trigger refuses UPDATE, DELETE and TRUNCATE), as SQLite's is.

import type pg from 'pg';

/** Held only while migrating; the append lock (APPEND_LOCK_KEY) is another key. */
export const MIGRATION_LOCK_KEY = 0x6265_6163_6f6e_0001n; // "beacon" + 1
/** Serialises appends across every node: see appendBatch.ts. */
export const APPEND_LOCK_KEY = 0x6265_6163_6f6e_0002n;
/** The channel appends NOTIFY on (payload: the new head position). */
export const NOTIFY_CHANNEL = 'beacon_events';

/**
 * `data` is text, not jsonb: jsonb refuses \u0000 (a client-supplied close reason could
 * hold one, failing a whole batch) and rewrites the text, while the copy from SQLite
 * (migrate-to-postgres) compares events byte for byte to prove one log a prefix of another.
 * `position` is assigned by the appender under APPEND_LOCK_KEY, not by a sequence.
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE events (
     position        bigint  PRIMARY KEY CHECK (position > 0),
     stream          text    NOT NULL,
     stream_position integer NOT NULL CHECK (stream_position > 0),
     type            text    NOT NULL,
     schema_version  integer NOT NULL,
     data            text    NOT NULL,
     recorded_at     bigint  NOT NULL,
     UNIQUE (stream, stream_position)
   );
   CREATE FUNCTION beacon_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN RAISE EXCEPTION 'events are append-only'; END $$;
   CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
     FOR EACH ROW EXECUTE FUNCTION beacon_events_append_only();
   CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
     FOR EACH STATEMENT EXECUTE FUNCTION beacon_events_append_only();`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Brings the database to SCHEMA_VERSION; a no-op when it is there. Refuses a newer schema. */
export async function migrate(client: pg.ClientBase): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
    await client.query('CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    const { rows } = await client.query<{ v: number }>('SELECT COALESCE(MAX(version), 0) AS v FROM schema_version');
    const current = rows[0]?.v ?? 0;
    if (current > SCHEMA_VERSION) {
      throw new Error(`the database schema is version ${current}, newer than this server's ${SCHEMA_VERSION}: upgrade Beacon`);
    }
    for (let v = current; v < SCHEMA_VERSION; v++) {
      await client.query(MIGRATIONS[v] as string);
      await client.query('INSERT INTO schema_version (version) VALUES ($1)', [v + 1]);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
