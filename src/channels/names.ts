// Channel names: `<namespace>:<rest>`, where the namespace is a configured one and `rest`
// is 1-100 characters of `A-Z a-z 0-9 _ . - @ =`. Anything else is `invalid_channel`.

import { CHANNEL_REST_MAX, CHANNEL_REST_MIN, CHANNEL_REST_PATTERN, NAMESPACE_NAME_MAX } from '../constants.js';
import type { NamespacePolicy, NamespaceTable } from './namespaces.js';

export interface ChannelName {
  /** The whole name, as the client wrote it. */
  readonly name: string;
  readonly namespace: string;
  readonly rest: string;
}

export type ParsedChannel =
  | { ok: true; channel: ChannelName; policy: NamespacePolicy }
  | { ok: false; code: 'invalid_channel'; message: string };

/** Longest name that can be valid; longer input is refused before it is scanned. */
export const CHANNEL_NAME_MAX = NAMESPACE_NAME_MAX + 1 + CHANNEL_REST_MAX;

const invalid = (message: string): ParsedChannel => ({ ok: false, code: 'invalid_channel', message });

/** Parses a channel name against the configured namespaces; `input` may be any JSON value. */
export function parseChannelName(input: unknown, namespaces: NamespaceTable): ParsedChannel {
  if (typeof input !== 'string') return invalid('Channel must be a string');
  if (input.length > CHANNEL_NAME_MAX) return invalid('Channel name is too long');
  const colon = input.indexOf(':');
  if (colon < 0) return invalid('Channel must be <namespace>:<name>');
  const namespace = input.slice(0, colon);
  const rest = input.slice(colon + 1);
  const policy = namespaces.get(namespace);
  if (policy === undefined) return invalid('Unknown channel namespace');
  if (rest.length < CHANNEL_REST_MIN || rest.length > CHANNEL_REST_MAX || !CHANNEL_REST_PATTERN.test(rest)) {
    return invalid(`Channel name must be ${CHANNEL_REST_MIN}-${CHANNEL_REST_MAX} characters of A-Z a-z 0-9 _ . - @ =`);
  }
  return { ok: true, channel: { name: input, namespace, rest }, policy };
}
