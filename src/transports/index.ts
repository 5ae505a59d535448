// The socket transports: /ws and the Socket.IO compatibility endpoint, their shared upgrade
// checks and frame admission, and the broadcasters the hub publishes through. The server
// wiring imports from here; src/http keeps the REST routes.

export { mountWebSocket } from './ws.js';
export type { WsOptions } from './ws.js';
export { createSocketIoServer, serveSocketIo, SOCKETIO_PATH } from './socketio.js';
export type { SocketIoEndpoint, SocketIoOptions, SocketIoServer } from './socketio.js';
export { composeBroadcasters, socketIoBroadcaster, uwsBroadcaster } from './broadcasters.js';
export type { TransportOptions } from './options.js';
