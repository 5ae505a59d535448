// The Bus bindings (the port is src/ports/bus.ts): in-process for one node, Redis for a
// cluster (src/bus/redis).

export { createInProcessBus } from './inProcess.js';
export type { InProcessBusOptions } from './inProcess.js';
export * from './redis/index.js';
