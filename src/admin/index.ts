// The admin API (docs/protocol.md section 7): the key check, the actions recorded as audit
// events, the HTTP routes, and the ports the wiring binds them to.

export * from './key.js';
export * from './ports.js';
export * from './service.js';
export * from './routes.js';
export * from './router.js';
export * from './eventsView.js';
