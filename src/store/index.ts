// The SQLite binding of the EventLog and Projections ports (src/ports). The server and
// the importer write through openEventStore; the events CLI reads the same file
// read-only through openDatabase. Nothing outside this folder opens a Beacon database.

export { openEventStore, ForeignWriteError, HEALTH_PROBE_INTERVAL_MS } from './eventStore.js';
export type { EventStore, StoreOptions } from './eventStore.js';
export { openDatabase } from './db.js';
export type { Db, EventRow } from './db.js';
