// The store: the only code that touches SQLite.

export { openEventStore } from './eventStore.js';
export type { EventStore, Projections, CommitListener, StoreOptions } from './eventStore.js';
export { openDatabase } from './db.js';
export { acquireLogLock, describeLogHolder, LogLockedError } from './logLock.js';
export type { Db } from './db.js';
