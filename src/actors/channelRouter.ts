// The hub's channel side: the index of local subscriptions (by channel and by connection),
// the answers to the five channel requests, and exact recovery. A subscription is registered
// before its history is read and buffers the publications that arrive meanwhile; once the
// answer is sent, the buffered ones after its offset follow, then the socket joins the
// channel's topic and live publications reach it there, each exactly once, in order.

import { canPublish, canSubscribe, channelTopic, type ChannelService, type Publication, type StreamPosition } from '../channels/index.js';
import { CHANNEL_HISTORY_LIMIT_MAX, MAX_SUBSCRIPTIONS_PER_CONNECTION } from '../constants.js';
import { BeaconError, ERRORS, type ErrorCode } from '../errors.js';
import type { Bus } from '../ports/index.js';
import type { ConnectionActor } from './connectionHandle.js';
import type { ConnectionContext } from './connectionTypes.js';
import type { ConnectionPort } from './ports.js';
import type { ChannelEventName, FrameOf } from './frames.js';

interface Subscription {
  readonly actor: ConnectionActor;
  /** The connection's port and sid (not its context: the machine replaces that on every change). */
  readonly port: ConnectionPort;
  readonly sid: string;
  readonly channel: string;
  readonly userId: number;
  readonly username: string;
  /** The subscribe request still waiting for its answer (recovering), else null. */
  pending: { id: number | undefined } | null;
  /** Publications fanned out while recovering, in offset order. */
  readonly buffer: Publication[];
}

export interface ChannelRouterLogger {
  warn(obj: object, msg: string): void;
}

export interface ChannelRouter {
  handle(self: ConnectionActor, context: ConnectionContext, frame: FrameOf<ChannelEventName>): void;
  /** The connection is gone: its subscriptions end without a word (it cannot hear one). */
  dropAll(sid: string): void;
  /** A committed membership removal: that user's subscriptions of a members channel end at once. */
  membershipRemoved(channel: string, userId: number): void;
  /** Ends every local subscription of a user, telling it `unsubscribed` with `reason`; returns how many. */
  endUser(userId: number, reason: string): number;
  /** Local subscriptions of one connection (tests, inspection). */
  channelsOf(sid: string): string[];
}

export function createChannelRouter(deps: { channels: ChannelService; bus: Bus; logger: ChannelRouterLogger }): ChannelRouter {
  const { channels, bus, logger } = deps;
  const byChannel = new Map<string, Map<string, Subscription>>();
  const bySid = new Map<string, Map<string, Subscription>>();
  /** Subscriptions being set up, by channel: only these look at each publication. */
  const recovering = new Map<string, Set<Subscription>>();

  bus.listen({
    publication(publication) {
      for (const sub of recovering.get(publication.channel) ?? []) sub.buffer.push(publication);
      // Serialised once for every live local subscriber (uWS topics, Socket.IO rooms).
      bus.announce(channelTopic(publication.channel), 'publication', publication);
    },
  });

  const refuse = (to: { port: ConnectionPort }, code: ErrorCode, id: number | undefined, message: string = ERRORS[code].message): void => {
    guarded(() => to.port.reply('response', { ok: false, code, message }, id));
  };
  const guarded = (fn: () => void): void => {
    try {
      fn();
    } catch (err) {
      logger.warn({ err }, 'channel port call failed');
    }
  };
  const current = (sid: string, channel: string): Subscription | undefined => bySid.get(sid)?.get(channel);

  function register(sub: Subscription): void {
    const sid = sub.sid;
    let mine = bySid.get(sid);
    if (mine === undefined) bySid.set(sid, (mine = new Map()));
    mine.set(sub.channel, sub);
    let subs = byChannel.get(sub.channel);
    if (subs === undefined) byChannel.set(sub.channel, (subs = new Map()));
    subs.set(sid, sub);
    let setup = recovering.get(sub.channel);
    if (setup === undefined) recovering.set(sub.channel, (setup = new Set()));
    setup.add(sub);
  }

  function stopRecovering(sub: Subscription): void {
    const setup = recovering.get(sub.channel);
    setup?.delete(sub);
    if (setup?.size === 0) recovering.delete(sub.channel);
  }

  /** Takes a subscription out of every index; the caller says what the client is told. */
  function remove(sub: Subscription, tellMachine: boolean): void {
    const sid = sub.sid;
    const mine = bySid.get(sid);
    if (mine?.get(sub.channel) !== sub) return;
    mine.delete(sub.channel);
    if (mine.size === 0) bySid.delete(sid);
    const subs = byChannel.get(sub.channel);
    subs?.delete(sid);
    if (subs?.size === 0) byChannel.delete(sub.channel);
    stopRecovering(sub);
    guarded(() => sub.port.unsubscribe(channelTopic(sub.channel)));
    bus.subscriptionChanged({ kind: 'down', channel: sub.channel, sid, userId: sub.userId, username: sub.username });
    if (tellMachine) sub.actor.send({ type: 'CHANNEL_REMOVED', channel: sub.channel });
  }

  /** The history answered: the `subscribed` reply, the buffered publications after it, then live. */
  function goLive(sub: Subscription, answer: { epoch: string; offset: number; recovered: boolean; publications: readonly Publication[] }): void {
    const id = sub.pending?.id;
    sub.pending = null;
    stopRecovering(sub);
    const policy = channels.namespaces.get(sub.channel.slice(0, sub.channel.indexOf(':')));
    const presence = policy?.presence === true ? channels.presenceOf(sub.channel) : null;
    const port = sub.port;
    guarded(() => {
      port.reply('subscribed', { channel: sub.channel, epoch: answer.epoch, offset: answer.offset, recovered: answer.recovered, publications: answer.publications, presence: presence === null ? null : { users: presence.users, count: presence.count } }, id);
      let last = answer.offset;
      for (const publication of sub.buffer) {
        // Already in the answer (read after it was written), or of an epoch that has moved on.
        if (publication.offset <= last || publication.epoch !== answer.epoch) continue;
        port.push('publication', publication);
        last = publication.offset;
      }
      sub.buffer.length = 0;
      port.subscribe(channelTopic(sub.channel));
    });
  }

  function subscribe(self: ConnectionActor, context: ConnectionContext, frame: FrameOf<'subscribe'>): void {
    const session = context.session;
    if (session === null) return;
    const parsed = channels.parse(frame.data.channel);
    if (!parsed.ok) return refuse(context, 'invalid_channel', frame.id, parsed.message);
    const { channel, policy } = parsed;
    const user = { userId: session.userId, username: session.username };
    if (!canSubscribe(policy, channel, user, channels.isMember(channel.name, session.userId))) return refuse(context, 'permission_denied', frame.id);
    const existing = current(context.sid, channel.name);
    if (existing?.pending != null) return refuse(context, 'invalid_message', frame.id, 'Subscription already in progress');
    if (existing === undefined && (bySid.get(context.sid)?.size ?? 0) >= MAX_SUBSCRIPTIONS_PER_CONNECTION) {
      return refuse(context, 'too_many_subscriptions', frame.id, `At most ${MAX_SUBSCRIPTIONS_PER_CONNECTION} subscriptions per connection`);
    }
    const sub: Subscription = { actor: self, port: context.port, sid: context.sid, channel: channel.name, userId: session.userId, username: session.username, pending: { id: frame.id }, buffer: [] };
    if (existing !== undefined) {
      // A resubscription starts over from `since`: the live one stops, presence stays as it is.
      guarded(() => context.port.unsubscribe(channelTopic(channel.name)));
      register(sub);
    } else {
      register(sub);
      bus.subscriptionChanged({ kind: 'up', channel: channel.name, sid: context.sid, userId: session.userId, username: session.username });
      self.send({ type: 'CHANNEL_ADDED', channel: channel.name });
    }
    const since: StreamPosition | undefined = frame.data.since;
    channels.recover(channel, since).then(
      (recovery) => {
        if (current(context.sid, channel.name) === sub) goLive(sub, recovery);
      },
      (err: unknown) => {
        if (current(context.sid, channel.name) !== sub) return;
        logger.warn({ err, channel: channel.name }, 'subscribe: history unavailable');
        remove(sub, true);
        refuse(sub, 'unavailable', frame.id);
      },
    );
  }

  /** Ends a subscription the server decided to end: the client hears why. */
  function end(sub: Subscription, reason: string, code: ErrorCode): void {
    const pending = sub.pending;
    remove(sub, true);
    // Still being set up: the subscribe request is answered with the refusal instead.
    if (pending !== null) refuse(sub, code, pending.id);
    else guarded(() => sub.port.push('unsubscribed', { channel: sub.channel, reason }));
  }

  function unsubscribe(context: ConnectionContext, frame: FrameOf<'unsubscribe'>): void {
    const parsed = channels.parse(frame.data.channel);
    if (!parsed.ok) return refuse(context, 'invalid_channel', frame.id, parsed.message);
    const sub = current(context.sid, parsed.channel.name);
    if (sub !== undefined) {
      const pending = sub.pending;
      remove(sub, true);
      if (pending !== null) refuse(sub, 'not_subscribed', pending.id, 'Unsubscribed before the subscription was set up');
    }
    guarded(() => context.port.reply('unsubscribed', { channel: parsed.channel.name, reason: 'client' }, frame.id));
  }

  function publish(context: ConnectionContext, frame: FrameOf<'publish'>): void {
    const session = context.session;
    if (session === null) return;
    const parsed = channels.parse(frame.data.channel);
    if (!parsed.ok) return refuse(context, 'invalid_channel', frame.id, parsed.message);
    const { channel, policy } = parsed;
    const decision = canPublish(policy, { userId: session.userId, username: session.username }, {
      isMember: channels.isMember(channel.name, session.userId),
      isSubscribed: current(context.sid, channel.name) !== undefined,
    });
    if (!decision.ok) return refuse(context, decision.code, frame.id);
    const from = { username: session.username, user_id: session.userId };
    channels
      .append(channel, policy, frame.data.data, from, (p) => guarded(() => context.port.reply('published', { channel: p.channel, offset: p.offset }, frame.id)))
      .catch((err: unknown) => {
        logger.warn({ err, channel: channel.name }, 'publish failed');
        refuse(context, err instanceof BeaconError ? err.code : 'unavailable', frame.id);
      });
  }

  /** presence and history: subscribers only. */
  function read(context: ConnectionContext, frame: FrameOf<'channel_presence'> | FrameOf<'history'>): void {
    const parsed = channels.parse(frame.data.channel);
    if (!parsed.ok) return refuse(context, 'invalid_channel', frame.id, parsed.message);
    const name = parsed.channel.name;
    if (current(context.sid, name) === undefined) return refuse(context, 'not_subscribed', frame.id);
    if (frame.type === 'channel_presence') {
      if (!parsed.policy.presence) return refuse(context, 'permission_denied', frame.id, 'This namespace keeps no presence');
      // The cluster's presence cannot be kept current without the bus: no stale answer.
      if (bus.healthy?.() === false) return refuse(context, 'unavailable', frame.id);
      const view = channels.presenceOf(name);
      return guarded(() => context.port.reply('channel_presence', view, frame.id));
    }
    channels.page(name, frame.data.limit ?? CHANNEL_HISTORY_LIMIT_MAX, frame.data.since).then(
      (page) => guarded(() => context.port.reply('history', { channel: name, epoch: page.epoch, offset: page.offset, publications: page.publications }, frame.id)),
      (err: unknown) => {
        logger.warn({ err, channel: name }, 'history unavailable');
        refuse(context, 'unavailable', frame.id);
      },
    );
  }

  return {
    handle(self, context, frame) {
      switch (frame.type) {
        case 'subscribe':
          return subscribe(self, context, frame);
        case 'unsubscribe':
          return unsubscribe(context, frame);
        case 'publish':
          return publish(context, frame);
        case 'channel_presence':
        case 'history':
          return read(context, frame);
        default: {
          const unreachable: never = frame;
          return unreachable;
        }
      }
    },
    dropAll(sid) {
      for (const sub of [...(bySid.get(sid)?.values() ?? [])]) remove(sub, false);
    },
    membershipRemoved(channel, userId) {
      const policy = channels.namespaces.get(channel.slice(0, channel.indexOf(':')));
      if (policy?.subscribe !== 'members') return;
      for (const sub of [...(byChannel.get(channel)?.values() ?? [])]) {
        if (sub.userId === userId) end(sub, 'permission_revoked', 'permission_denied');
      }
    },
    endUser(userId, reason) {
      // Rare (an admin action): a scan of the subscribed connections is cheaper than an index by user.
      const ending = [...bySid.values()].flatMap((mine) => [...mine.values()].filter((sub) => sub.userId === userId));
      for (const sub of ending) end(sub, reason, 'permission_denied');
      return ending.length;
    },
    channelsOf: (sid) => [...(bySid.get(sid)?.keys() ?? [])].sort(),
  };
}

/** The router of a hub without channels: every channel request is answered `unavailable`. */
export function refusingRouter(): ChannelRouter {
  const unavailable = { ok: false, code: 'unavailable', message: ERRORS.unavailable.message };
  return {
    handle: (_self, context, frame) => void context.port.reply('response', unavailable, frame.id),
    dropAll: () => {},
    membershipRemoved: () => {},
    endUser: () => 0,
    channelsOf: () => [],
  };
}
