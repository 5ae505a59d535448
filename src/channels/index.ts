// The channels module: names, namespace rules and permission decisions, the history port
// and its embedded SQLite binding. The hub and the transports import from here.

export * from './names.js';
export * from './namespaces.js';
export * from './history.js';
export * from './sqliteHistory.js';
