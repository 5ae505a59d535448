// The events module: the event union, its versioned serialisation, the pure folds
// (projections) every log binding keeps current, and the pure auth decisions.

export * from './types.js';
export * from './serde.js';
export * from './projections/index.js';
export * from './projections/memberships.js';
