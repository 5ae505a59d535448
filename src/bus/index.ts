// The Bus bindings (the port is src/ports/bus.ts): in-process today.

export { createInProcessBus } from './inProcess.js';
export type { InProcessBusOptions } from './inProcess.js';
