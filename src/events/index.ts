// The events module: the event union, its versioned serialisation and the pure folds
// (projections) that the store keeps up to date.

export * from './types.js';
export * from './serde.js';
export * from './projections/users.js';
export * from './projections/blacklist.js';
export * from './projections/activeTokens.js';
export * from './projections/memberships.js';
