// The node's channel service: names and namespace rules, membership checks, publishing
// (written to the history, then fanned out through the bus in offset order), recovery and
// history reads, channel presence, and the counters the metrics show. The hub's channel
// router and the admin API both call it.

import { CHANNEL_HISTORY_LIMIT_MAX } from '../constants.js';
import { BeaconError } from '../errors.js';
import type { MembershipsState } from '../events/projections/memberships.js';
import type { Timers } from '../actors/presenceFeed.js';
import type { Bus } from '../ports/bus.js';
import { isRecoverable, notRecovered, retentionOf, type ChannelHistory, type HistoryPage, type Publication, type PublicationSender, type Recovery, type StreamPosition } from './history.js';
import { parseChannelName, type ChannelName, type ParsedChannel } from './names.js';
import type { NamespacePolicy, NamespaceTable } from './namespaces.js';
import { channelsOfSid, listChannels, presenceView, subscriptionsByNamespace, type ChannelPresenceView } from './presence.js';
import { createChannelPresenceFeed } from './presenceFeed.js';

/** The bus topic a channel's local subscribers listen on; no other topic contains '/'. */
export const channelTopic = (channel: string): string => `channel/${channel}`;

export interface ChannelServiceDeps {
  history: ChannelHistory;
  namespaces: NamespaceTable;
  bus: Bus;
  /** The memberships fold as of the last commit this node followed. */
  memberships(): MembershipsState;
  timers: Timers;
  presenceWindowMs?: number;
  /**
   * The history itself hands each publication to the bus as it writes it (Redis: in the
   * append script, so every node hears one channel in offset order); then the service must
   * not publish it a second time.
   */
  historyPublishes?: boolean;
  /** Kept publications per namespace, when the history binding can count them. */
  keptByNamespace?(): Map<string, number>;
}

/** Counters since start, by namespace (never by channel: unbounded label sets are refused). */
export interface ChannelStats {
  publications: Map<string, number>;
  recoveries: Map<string, { recovered: number; notRecovered: number }>;
  subscriptions(): Map<string, number>;
  kept(): Map<string, number>;
}

export interface ChannelService {
  readonly namespaces: NamespaceTable;
  parse(name: unknown): ParsedChannel;
  isMember(channel: string, userId: number): boolean;
  /**
   * Writes a publication, then (in offset order per channel) calls `written` and fans it out
   * through the bus. Rejects with `unavailable` when the history cannot write.
   */
  append(channel: ChannelName, policy: NamespacePolicy, data: unknown, from: PublicationSender | null, written?: (p: Publication) => void): Promise<Publication>;
  /** The head, and with `since` the missed publications when they can all be handed over. */
  recover(channel: ChannelName, since: StreamPosition | undefined): Promise<Recovery>;
  /** The last `limit` kept publications, or with `since` (same epoch) the first `limit` after it. */
  page(channel: string, limit: number, since: StreamPosition | undefined): Promise<HistoryPage>;
  presenceOf(channel: string): ChannelPresenceView;
  /** For the admin API: publishes as the server (from null) or a user; throws `invalid_channel`. */
  publish(channel: string, data: unknown, from: PublicationSender | null): Promise<{ channel: string; offset: number }>;
  list(): Array<{ channel: string; subscribers: number; users: number }>;
  presence(channel: string): ChannelPresenceView;
  history(channel: string, limit: number): Promise<{ channel: string; epoch: string; offset: number; publications: readonly Publication[] }>;
  channelsOf(sid: string): string[];
  readonly stats: ChannelStats;
  /** Stops join/leave announcements and closes the history. */
  close(): Promise<void>;
}

export function createChannelService(deps: ChannelServiceDeps): ChannelService {
  const { history, namespaces, bus } = deps;
  const feed = createChannelPresenceFeed({
    announce: (channel, event, data) => bus.announce(channelTopic(channel), event, data),
    hasPresence: (channel) => namespaces.get(channel.slice(0, channel.indexOf(':')))?.presence === true,
    timers: deps.timers,
    ...(deps.presenceWindowMs === undefined ? {} : { windowMs: deps.presenceWindowMs }),
  });
  const unlisten = bus.listen({ subscription: (change) => feed.apply(change) });
  const stats: ChannelStats = {
    publications: new Map(),
    recoveries: new Map(),
    subscriptions: () => subscriptionsByNamespace(feed.state),
    kept: () => deps.keptByNamespace?.() ?? new Map(),
  };

  const parseOrThrow = (name: string): { channel: ChannelName; policy: NamespacePolicy } => {
    const parsed = parseChannelName(name, namespaces);
    if (!parsed.ok) throw new BeaconError('invalid_channel', { message: parsed.message });
    return parsed;
  };

  const service: ChannelService = {
    namespaces,
    parse: (name) => parseChannelName(name, namespaces),
    isMember: (channel, userId) => deps.memberships().byChannel.get(channel)?.has(userId) ?? false,

    append(channel, policy, data, from, written) {
      // One .then on the history's promise: appends resolve in offset order, and so do these.
      return history.append(channel.name, { from, data: data ?? null }, retentionOf(policy)).then((publication) => {
        stats.publications.set(channel.namespace, (stats.publications.get(channel.namespace) ?? 0) + 1);
        written?.(publication);
        if (deps.historyPublishes !== true) bus.publishChannel(publication);
        return publication;
      });
    },

    async recover(channel, since) {
      // Hearing the channel first: what is published after the read below reaches the buffer.
      await bus.channelReady?.(channel.name);
      if (since === undefined) return notRecovered(await history.head(channel.name));
      const recovery = await history.since(channel.name, since);
      const counts = stats.recoveries.get(channel.namespace) ?? { recovered: 0, notRecovered: 0 };
      if (recovery.recovered) counts.recovered++;
      else counts.notRecovered++;
      stats.recoveries.set(channel.namespace, counts);
      return recovery;
    },

    async page(channel, limit, since) {
      const count = Math.min(Math.max(1, Math.floor(limit)), CHANNEL_HISTORY_LIMIT_MAX);
      if (since === undefined) return history.recent(channel, count);
      const head = await history.head(channel);
      // Another epoch's offsets mean nothing here: the head alone says where the channel is.
      if (!isRecoverable(head, since)) return { ...head, publications: [] };
      return history.recent(channel, count, since.offset);
    },

    presenceOf: (channel) => presenceView(feed.state, channel),

    async publish(name, data, from) {
      const { channel, policy } = parseOrThrow(name);
      const publication = await service.append(channel, policy, data, from);
      return { channel: publication.channel, offset: publication.offset };
    },
    list: () => listChannels(feed.state),
    presence(name) {
      const channel = parseOrThrow(name).channel.name;
      if (bus.healthy?.() === false) throw new BeaconError('unavailable');
      return presenceView(feed.state, channel);
    },
    async history(name, limit) {
      const page = await service.page(parseOrThrow(name).channel.name, limit, undefined);
      return { channel: name, epoch: page.epoch, offset: page.offset, publications: page.publications };
    },
    channelsOf: (sid) => channelsOfSid(feed.state, sid),
    stats,
    async close() {
      feed.stop();
      unlisten();
      await history.close();
    },
  };
  return service;
}
