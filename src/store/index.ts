// The SQLite binding of the EventLog and Projections ports (src/ports). The server and
// the importer write through openEventStore; the events CLI reads the same file
// read-only through openDatabase. Nothing outside this folder opens the event log.

export { openEventStore, ForeignWriteError, HEALTH_PROBE_INTERVAL_MS } from './eventStore.js';
export type { EventStore, StoreOptions } from './eventStore.js';
export { openDatabase } from './db.js';
export { acquireLogLock, describeLogHolder, LogLockedError } from './logLock.js';
export type { Db, EventRow } from './db.js';
