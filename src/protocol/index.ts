// The wire format's types, shared by the server and the client library (client/).

export type * from './events.js';
