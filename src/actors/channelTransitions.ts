// The connection machine's channel transitions: before authentication every channel
// request is refused `not_authenticated`; once authenticated each goes to the hub's channel
// router, which keeps the context's `channels` current through CHANNEL_ADDED / CHANNEL_REMOVED.

import { ERRORS } from '../errors.js';
import { base, reply } from './connectionSetup.js';

const notAuthenticated = {
  type: 'reply',
  params: ({ event }: { event: { id: number | undefined } }) =>
    reply('response', { ok: false, code: 'not_authenticated', message: ERRORS.not_authenticated.message }, event.id),
} as const;

/** Before authentication every channel request is refused, and nothing changes. */
export const channelsNotAuthenticated = {
  subscribe: { actions: notAuthenticated },
  unsubscribe: { actions: notAuthenticated },
  publish: { actions: notAuthenticated },
  channel_presence: { actions: notAuthenticated },
  history: { actions: notAuthenticated },
} as const;

/** The channel router answers each request (see hub.ts) and keeps `channels` current through these. */
export const channelRequests = base.createStateConfig({
  on: {
    subscribe: { actions: { type: 'channelRequest', params: ({ event }) => ({ frame: event }) } },
    unsubscribe: { actions: { type: 'channelRequest', params: ({ event }) => ({ frame: event }) } },
    publish: { actions: { type: 'channelRequest', params: ({ event }) => ({ frame: event }) } },
    channel_presence: { actions: { type: 'channelRequest', params: ({ event }) => ({ frame: event }) } },
    history: { actions: { type: 'channelRequest', params: ({ event }) => ({ frame: event }) } },
    CHANNEL_ADDED: { actions: { type: 'channelAdded', params: ({ event }) => ({ channel: event.channel }) } },
    CHANNEL_REMOVED: { actions: { type: 'channelRemoved', params: ({ event }) => ({ channel: event.channel }) } },
  },
}).on;
