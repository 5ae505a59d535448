// The one event map of the `/ws` wire format (docs/protocol.md, sections 3 and 6): what each
// client request carries, what each server frame carries, and which frame answers which
// request. Types only: the server's schemas and builders are the source, the client library
// (client/) imports these with `import type`, so nothing here reaches a bundle.

import type { ClientEventData } from '../actors/frames.js';
import type { Farewell, Greeting } from '../actors/ports.js';
import type { OnlineUserView } from '../actors/presence.js';
import type { Publication, PublicationSender, StreamPosition } from './publication.js';
import type { ErrorCode } from '../errors.js';

export type { ErrorCode, Farewell, Greeting, OnlineUserView, Publication, PublicationSender, StreamPosition };

/** Each client event's `data`, as the server's zod schemas (src/actors/frames.ts) accept it. */
export type ClientEvents = ClientEventData;

/** `response`: the answer to `register_user`, and every refusal of a request. */
export type ResponseData =
  | { ok: true; code: 'registered' | 'token_refreshed'; message: string; username: string; user_id: number }
  | { ok: false; code: ErrorCode; message: string };

export interface DebugConnectionData {
  sid: string;
  state: 'connected' | 'registering' | 'authenticated';
  username: string | null;
  user_id: number | null;
  connected_at: number;
  token_expires_at: number | null;
  remote_address: string;
  transport: 'websocket' | 'socket.io';
}

export interface PresenceList {
  users: OnlineUserView[];
  count: number;
}

export interface SubscribedData extends StreamPosition {
  channel: string;
  recovered: boolean;
  publications: Publication[];
  /** null in namespaces without presence. */
  presence: PresenceList | null;
}

export interface ChannelMember {
  channel: string;
  username: string;
  user_id: number;
}

/** Each server frame's `data`, by event name. */
export interface ServerEvents {
  connect: Greeting;
  disconnect: Farewell;
  response: ResponseData;
  message: { from: string | null; data: unknown };
  /** `to` only on a directed message (sent with `to`). */
  authenticated_message: { from: string; data: unknown; text: string | null; ts: number; to?: string };
  pong_manual: { t: string | number | null; server_time: number };
  debug_connection: DebugConnectionData;
  online_users: PresenceList;
  connections_checked: { active: number; removed: number };
  user_status: { username: string; user_id: number; status: 'online' | 'offline' };
  user_count: { count: number; connections: number };
  subscribed: SubscribedData;
  unsubscribed: { channel: string; reason: string };
  published: { channel: string; offset: number };
  publication: Publication;
  join: ChannelMember;
  leave: ChannelMember;
  channel_presence: PresenceList & { channel: string };
  history: StreamPosition & { channel: string; publications: Publication[] };
}

/**
 * The frame that answers each request (carrying the request's `id`); a refusal is a
 * `response` `{ok: false}` instead. `authenticated_message` has no direct reply when it is
 * accepted, and `disconnect` is answered by the close.
 */
export interface Replies {
  register_user: 'response';
  message: 'message';
  ping_manual: 'pong_manual';
  debug_connection: 'debug_connection';
  get_online_users: 'online_users';
  check_connections: 'connections_checked';
  subscribe: 'subscribed';
  unsubscribe: 'unsubscribed';
  publish: 'published';
  channel_presence: 'channel_presence';
  history: 'history';
}

/** Requests the server answers with a frame of their own. */
export type RequestName = keyof Replies & keyof ClientEvents;
export type ReplyOf<K extends RequestName> = ServerEvents[Replies[K]];
