// The parts the composition root (src/app.ts) assembles, each adding itself to one list
// of closers: the core, the sockets, the HTTP side.

export { createClosers } from './closers.js';
export type { Closer, Closers } from './closers.js';
export { buildCore } from './core.js';
export type { Core, CoreOptions } from './core.js';
export { buildSockets } from './sockets.js';
export type { Sockets } from './sockets.js';
export { startHttp } from './routes.js';
export type { Http, Phase } from './routes.js';
