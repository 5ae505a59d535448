// Channel namespaces: who may subscribe and publish, and whether a channel keeps presence
// and history. The built-in table, the CHANNELS_FILE schema and loader (a bad file stops
// the start with one line), and the pure permission decisions.

import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../config/configError.js';
import {
  CHANNEL_HISTORY_SIZE_MAX,
  CHANNEL_HISTORY_TTL_MAX_SECONDS,
  MAX_NAMESPACES,
  NAMESPACE_NAME_MAX,
  NAMESPACE_NAME_PATTERN,
} from '../constants.js';
import type { ErrorCode } from '../errors.js';
import type { ChannelName } from './names.js';

export type SubscribeRule = 'any' | 'owner' | 'members';
export type PublishRule = 'any' | 'subscribers' | 'members' | 'admin';

/** One namespace's rules, with the field names CHANNELS_FILE uses. */
export interface NamespacePolicy {
  /** 'owner': only the user whose username equals the channel's `rest`. */
  readonly subscribe: SubscribeRule;
  /** 'admin': only the admin API; 'subscribers': connections subscribed to the channel. */
  readonly publish: PublishRule;
  /** Channel presence and join/leave pushes. */
  readonly presence: boolean;
  /** Publications kept per channel (0: none kept, offsets still numbered). */
  readonly history_size: number;
  readonly history_ttl_seconds: number;
}

/** Namespace name → rules. A Map, so no name can reach an object's prototype. */
export type NamespaceTable = ReadonlyMap<string, NamespacePolicy>;

const DAY = 86_400;

/** The table used when CHANNELS_FILE is not set. */
export const BUILT_IN_NAMESPACES: NamespaceTable = new Map<string, NamespacePolicy>([
  ['room', Object.freeze({ subscribe: 'any', publish: 'subscribers', presence: true, history_size: 100, history_ttl_seconds: DAY })],
  ['user', Object.freeze({ subscribe: 'owner', publish: 'any', presence: false, history_size: 100, history_ttl_seconds: 7 * DAY })],
  ['private', Object.freeze({ subscribe: 'members', publish: 'members', presence: true, history_size: 100, history_ttl_seconds: DAY })],
]);

export const namespaceNameSchema = z
  .string()
  .max(NAMESPACE_NAME_MAX, `namespace names are at most ${NAMESPACE_NAME_MAX} characters`)
  .regex(NAMESPACE_NAME_PATTERN, 'namespace names are a lowercase letter then a-z, 0-9, _ or -');

/** zod's error option: "is missing" for an absent field, `text` for a wrong one. */
const wrong = (text: string) => (issue: { input: unknown }): string => (issue.input === undefined ? 'is missing' : text);

const wholeNumber = (max: number): z.ZodNumber =>
  z
    .number({ error: wrong('must be a number') })
    .int('must be a whole number')
    .min(0, 'must be at least 0')
    .max(max, `must be at most ${max}`);

export const namespacePolicySchema = z
  .strictObject(
    {
      subscribe: z.enum(['any', 'owner', 'members'], { error: wrong('must be "any", "owner" or "members"') }),
      publish: z.enum(['any', 'subscribers', 'members', 'admin'], { error: wrong('must be "any", "subscribers", "members" or "admin"') }),
      presence: z.boolean({ error: wrong('must be true or false') }),
      history_size: wholeNumber(CHANNEL_HISTORY_SIZE_MAX),
      history_ttl_seconds: wholeNumber(CHANNEL_HISTORY_TTL_MAX_SECONDS),
    },
    { error: 'must be an object of subscribe, publish, presence, history_size, history_ttl_seconds' },
  )
  .refine((p) => p.history_size === 0 || p.history_ttl_seconds > 0, {
    message: 'must be at least 1 when history_size is above 0',
    path: ['history_ttl_seconds'],
  });

/** CHANNELS_FILE: a JSON object of namespaces; it replaces the built-in table whole. */
export const channelsFileSchema = z
  .record(namespaceNameSchema, namespacePolicySchema)
  .refine((table) => Object.keys(table).length > 0, 'defines no namespace')
  .refine((table) => Object.keys(table).length <= MAX_NAMESPACES, `defines more than ${MAX_NAMESPACES} namespaces`);

export type ParsedNamespaces = { ok: true; table: NamespaceTable } | { ok: false; fault: string };

/** Validates a parsed CHANNELS_FILE; a fault is one line such as `room.history_size: must be at most 1000`. */
export function parseNamespaceTable(json: unknown): ParsedNamespaces {
  // zod's record skips a `__proto__` key (JSON.parse makes it an own property): name it here.
  if (typeof json === 'object' && json !== null && Object.hasOwn(json, '__proto__')) {
    return { ok: false, fault: '__proto__: invalid namespace name' };
  }
  const parsed = channelsFileSchema.safeParse(json);
  if (parsed.success) {
    const entries = Object.entries(parsed.data).map(([name, policy]) => [name, Object.freeze({ ...policy })] as const);
    return { ok: true, table: new Map(entries) };
  }
  const issue = parsed.error.issues[0];
  if (issue === undefined) return { ok: false, fault: 'invalid' };
  if (issue.path.length === 0 && issue.code === 'invalid_type') return { ok: false, fault: 'must be a JSON object of namespaces' };
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') message = `unknown setting ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
  // A bad key is reported by zod at the key's own path: name it rather than its rule.
  if (issue.code === 'invalid_key') message = `invalid namespace name (${issue.issues[0]?.message ?? 'bad name'})`;
  const where = issue.path.map(String).join('.');
  return { ok: false, fault: oneLine(where === '' ? message : `${where}: ${message}`) };
}

/** Reads and validates CHANNELS_FILE; any fault is a ConfigError naming it on one line. */
export function loadNamespaceTable(path: string): NamespaceTable {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError('CHANNELS_FILE', `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError('CHANNELS_FILE', oneLine(`${path} is not valid JSON (${(err as Error).message})`));
  }
  const parsed = parseNamespaceTable(json);
  if (!parsed.ok) throw new ConfigError('CHANNELS_FILE', parsed.fault);
  return parsed.table;
}

const oneLine = (text: string): string => text.replace(/\s*[\r\n]+\s*/g, ' ');

/** Who is asking: an authenticated user. */
export interface ChannelUser {
  readonly userId: number;
  readonly username: string;
}

/** May `user` subscribe to `channel` of a namespace with `policy`? */
export function canSubscribe(policy: NamespacePolicy, channel: ChannelName, user: ChannelUser, isMember: boolean): boolean {
  switch (policy.subscribe) {
    case 'any':
      return true;
    case 'owner':
      return channel.rest === user.username;
    case 'members':
      return isMember;
    default: {
      const unreachable: never = policy.subscribe;
      return unreachable;
    }
  }
}

export type PublishDecision = { ok: true } | { ok: false; code: Extract<ErrorCode, 'permission_denied' | 'not_subscribed'> };

/**
 * May this publisher publish? `'admin'` is the admin API, which may publish anywhere.
 * `isSubscribed` is the publishing connection's own subscription, not the user's.
 */
export function canPublish(
  policy: NamespacePolicy,
  publisher: ChannelUser | 'admin',
  context: { readonly isMember: boolean; readonly isSubscribed: boolean },
): PublishDecision {
  if (publisher === 'admin') return { ok: true };
  switch (policy.publish) {
    case 'any':
      return { ok: true };
    case 'subscribers':
      return context.isSubscribed ? { ok: true } : { ok: false, code: 'not_subscribed' };
    case 'members':
      return context.isMember ? { ok: true } : { ok: false, code: 'permission_denied' };
    case 'admin':
      return { ok: false, code: 'permission_denied' };
    default: {
      const unreachable: never = policy.publish;
      return unreachable;
    }
  }
}
