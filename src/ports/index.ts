// The ports: the interfaces the actor and auth layers see instead of a driver. Each binding
// is a folder of its own (EventLog + Projections: src/store for SQLite, src/store/postgres;
// Bus: src/bus for in-process); src/app picks them, nothing else knows which.

export type { EventLog, CommitListener, LogStats } from './eventLog.js';
export type { Projections } from './projections.js';
export type { Bus, BusListener, PresenceChange, SubscriptionChange } from './bus.js';
