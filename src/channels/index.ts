// The channels module: names, namespace rules and permission decisions, the history port
// and its embedded SQLite binding, channel presence and the channel service (publish,
// recovery, history, presence) that the hub's router and the admin API call.

export * from './names.js';
export * from './namespaces.js';
export * from './history.js';
export * from './sqliteHistory.js';
export * from './presence.js';
export * from './presenceFeed.js';
export * from './service.js';
