// The PostgreSQL binding of the EventLog and Projections ports (src/ports), for a cluster of
// nodes on one log. The wiring (src/app/core.ts) opens it when DATABASE_URL is set; the
// migrate-to-postgres command uses its schema and append lock.

export { openPostgresLog } from './postgresLog.js';
export type { PostgresLog, PostgresLogOptions, PostgresLogStats } from './postgresLog.js';
export { APPEND_LOCK_KEY, migrate, NOTIFY_CHANNEL, SCHEMA_VERSION } from './schema.js';
export { createPool, describePgError, redactUrl } from './connection.js';
export { readAfter, toRecorded, type PgEventRow } from './rows.js';
