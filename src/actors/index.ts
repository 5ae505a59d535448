// The actor layer's public face: what the transports (src/transports) and the
// server wiring use. Everything here is free of I/O; effects arrive through ports.

export { createHub, AUTHENTICATED_TOPIC, PRESENCE_TOPIC, DEAD_CONNECTION_REASON, SHUTDOWN_WAIT_MS } from './hub.js';
export type { Hub, HubDeps, HubLogger, ConnectionHandle, ConnectionSummary, UserDirectory } from './hub.js';
export { parseClientFrame, parseClientText, MAX_TEXT_LENGTH, CLIENT_EVENT_NAMES } from './frames.js';
export type { ClientFrame, ClientEventName, ParseResult } from './frames.js';
export { connectionMachine } from './connectionMachine.js';
export type { ConnectionContext, ConnectionEvent, ConnectionInput, ConnectionEnv } from './connectionTypes.js';
export { describeMachine } from './describeMachine.js';
export type { MachineDescription } from './describeMachine.js';
export { PRESENCE_WINDOW_MS } from './presenceFeed.js';
export type { Timers } from './presenceFeed.js';
export type { OnlineUserView } from './presence.js';
export type { ConnectionPort, Broadcaster, Greeting, Farewell } from './ports.js';
