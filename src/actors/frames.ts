// The client side of the WebSocket wire format (docs/protocol.md §3): zod schemas for the
// `{event, data?, id?}` envelope and each client event's data, and the one parser every
// transport calls. A parsed frame is already the connection machine's event.

import { z } from 'zod';
import { CHANNEL_HISTORY_LIMIT_MAX, MAX_TOKEN_LENGTH, MAX_WS_JSON_DEPTH } from '../constants.js';

/** `authenticated_message.text` longer than this (UTF-16 code units) is an invalid message. */
export const MAX_TEXT_LENGTH = 4_096;
/** Upper bound on short free-text fields (usernames in requests, `to`, `reason`, `ping t`). */
export const MAX_SHORT_FIELD_LENGTH = 256;
/** Longest event name worth looking up; longer names are answered as invalid envelopes. */
const MAX_EVENT_NAME_LENGTH = 64;

const requestId = z.int().nonnegative();
const shortText = z.string().max(MAX_SHORT_FIELD_LENGTH);
/** Events without data accept it absent, `null` or `{}`. */
const noData = z.union([z.undefined(), z.null(), z.strictObject({})]);

export const envelope = z.strictObject({
  event: z.string().min(1).max(MAX_EVENT_NAME_LENGTH),
  data: z.unknown().optional(),
  id: requestId.optional(),
});

export const RegisterUserData = z.strictObject({
  token: z.string().max(MAX_TOKEN_LENGTH),
  username: shortText,
});
export const AuthenticatedMessageData = z.strictObject({
  text: z.string().max(MAX_TEXT_LENGTH).optional(),
  data: z.unknown().optional(),
  to: shortText.optional(),
});
export const PingData = z.union([
  z.undefined(),
  z.null(),
  z.strictObject({ t: z.union([z.number(), shortText]).optional() }),
]);
/**
 * Channel names are checked by the channels module (a bad one is `invalid_channel`, not an
 * invalid message); here only that it is a string. The frame limit bounds its length.
 */
const channelName = z.string();
/** A position a client saw: `{offset, epoch}` of the channel's last publication it got. */
export const StreamPositionData = z.strictObject({ offset: z.int().nonnegative(), epoch: z.string().max(MAX_SHORT_FIELD_LENGTH) });
/** `since: null` (a client's None) is no position, as an absent one. */
const noPosition = StreamPositionData.nullish().transform((v) => v ?? undefined);
export const SubscribeData = z.strictObject({ channel: channelName, since: noPosition });
export const ChannelOnlyData = z.strictObject({ channel: channelName });
export const PublishData = z.strictObject({ channel: channelName, data: z.unknown().optional() });
export const HistoryData = z.strictObject({
  channel: channelName,
  since: noPosition,
  limit: z.int().min(1).max(CHANNEL_HISTORY_LIMIT_MAX).nullish().transform((v) => v ?? undefined),
});
export const DisconnectData = z.union([z.undefined(), z.null(), z.strictObject({ reason: shortText.optional() })]);

const dataSchemas = {
  register_user: RegisterUserData,
  message: z.unknown(),
  authenticated_message: AuthenticatedMessageData,
  ping_manual: PingData,
  debug_connection: noData,
  get_online_users: noData,
  check_connections: noData,
  disconnect: DisconnectData,
  subscribe: SubscribeData,
  unsubscribe: ChannelOnlyData,
  publish: PublishData,
  channel_presence: ChannelOnlyData,
  history: HistoryData,
} as const;

/** The channel requests: authenticated only, handled by the hub's channel router. */
export const CHANNEL_EVENT_NAMES = ['subscribe', 'unsubscribe', 'publish', 'channel_presence', 'history'] as const;
export type ChannelEventName = (typeof CHANNEL_EVENT_NAMES)[number];

export type ClientEventName = keyof typeof dataSchemas;
export const CLIENT_EVENT_NAMES = Object.freeze(Object.keys(dataSchemas)) as readonly ClientEventName[];

/**
 * A validated client frame. `type` is the envelope's `event`; every frame has the same
 * three properties (`data`/`id` possibly undefined) so V8 keeps one shape for all of them.
 */
export type ClientFrame = {
  [K in ClientEventName]: { type: K; data: z.output<(typeof dataSchemas)[K]>; id: number | undefined };
}[ClientEventName];

export type FrameOf<K extends ClientEventName> = Extract<ClientFrame, { type: K }>;

/** What a client may send as each event's `data` (the schemas' input): the client library's types. */
export type ClientEventData = { [K in ClientEventName]: z.input<(typeof dataSchemas)[K]> };

export type ParseResult = { ok: true; frame: ClientFrame } | { ok: false; message: string; id?: number };

const hasOwn = Object.prototype.hasOwnProperty;

function isClientEventName(name: string): name is ClientEventName {
  return hasOwn.call(dataSchemas, name);
}

/** The request id of a frame that failed validation, when it is itself valid. */
function readableId(value: unknown): number | undefined {
  if (typeof value !== 'object' || value === null || !hasOwn.call(value, 'id')) return undefined;
  const parsed = requestId.safeParse((value as { id: unknown }).id);
  return parsed.success ? parsed.data : undefined;
}

function describe(error: z.ZodError, prefix: string): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'Invalid message';
  const path = [prefix, ...issue.path.map(String)].filter((p) => p !== '').join('.');
  return path === '' ? issue.message : `${path}: ${issue.message}`;
}

function failure(message: string, id: number | undefined): ParseResult {
  return id === undefined ? { ok: false, message } : { ok: false, message, id };
}

/**
 * True when `value` nests arrays/objects deeper than `max`. Recursive, but the recursion stops
 * at `max` levels (MAX_WS_JSON_DEPTH, 64), so any input is safe to check; no allocation per
 * node (the echo's profile showed the former explicit stack as a share of every frame).
 */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  return deeper(value, 0, max);
}

function deeper(v: unknown, depth: number, max: number): boolean {
  if (typeof v !== 'object' || v === null) return false;
  if (depth >= max) return true;
  if (Array.isArray(v)) {
    for (const child of v) if (deeper(child, depth + 1, max)) return true;
    return false;
  }
  for (const key in v) if (hasOwn.call(v, key) && deeper((v as Record<string, unknown>)[key], depth + 1, max)) return true;
  return false;
}

/**
 * The envelope as the zod schema would accept it, checked by hand for the common case (the
 * hot path of every frame); undefined sends the frame through zod, which accepts the rest
 * and words every refusal. Accepts nothing zod refuses (a unit test compares them).
 */
function plainEnvelope(value: unknown): { event: string; data: unknown; id: number | undefined } | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  for (const key in value) if (key !== 'event' && key !== 'data' && key !== 'id') return undefined;
  const { event, data, id } = value as { event?: unknown; data?: unknown; id?: unknown };
  if (typeof event !== 'string' || event.length < 1 || event.length > MAX_EVENT_NAME_LENGTH) return undefined;
  if (id !== undefined && !(typeof id === 'number' && Number.isSafeInteger(id) && id >= 0)) return undefined;
  return { event, data, id: id as number | undefined };
}

/** `ping_manual`'s data as PingData accepts it, by hand (the echo's hot path); undefined: ask zod. */
function plainPingData(data: unknown): { ok: true; data: z.output<typeof PingData> } | undefined {
  if (data === undefined || data === null) return { ok: true, data };
  if (typeof data !== 'object' || Array.isArray(data)) return undefined;
  for (const key in data) if (key !== 't') return undefined;
  const t = (data as { t?: unknown }).t;
  if (t === undefined || (typeof t === 'number' && Number.isFinite(t)) || (typeof t === 'string' && t.length <= MAX_SHORT_FIELD_LENGTH)) return { ok: true, data: data as { t?: number | string } };
  return undefined;
}

/** Validates one decoded JSON value as a client frame. Never throws. */
export function parseClientFrame(value: unknown): ParseResult {
  // Checked first: the echo and broadcasts re-serialise `data`, and JSON.stringify throws
  // RangeError (an uncaught exception in a uWS callback) a few thousand levels down.
  if (nestedDeeperThan(value, MAX_WS_JSON_DEPTH)) return failure(`Invalid envelope: nested deeper than ${MAX_WS_JSON_DEPTH} levels`, readableId(value));
  let env = plainEnvelope(value);
  if (env === undefined) {
    const checked = envelope.safeParse(value);
    if (!checked.success) return failure(`Invalid envelope: ${describe(checked.error, '')}`, readableId(value));
    env = { event: checked.data.event, data: checked.data.data, id: checked.data.id };
  }
  const { event, id } = env;
  if (!isClientEventName(event)) return failure('Unknown event', id);
  if (event === 'ping_manual') {
    const ping = plainPingData(env.data);
    if (ping !== undefined) return { ok: true, frame: { type: event, data: ping.data, id } };
  }
  const data = dataSchemas[event].safeParse(env.data);
  if (!data.success) return failure(`Invalid data for ${event}: ${describe(data.error, 'data')}`, id);
  // The pairing of `type` and `data` is guaranteed by the lookup above.
  return { ok: true, frame: { type: event, data: data.data, id } as ClientFrame };
}

/** Decodes one text frame and validates it; malformed JSON is an invalid message too. */
export function parseClientText(text: string): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // The JSON error text would echo client bytes back; a fixed description is enough.
    return { ok: false, message: 'Malformed JSON' };
  }
  return parseClientFrame(value);
}
