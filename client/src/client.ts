// BeaconClient: the connection (connection.ts) plus the protocol's requests as methods, and
// channel subscriptions that survive reconnects: resubscribed `since` the last position
// seen, recovered publications delivered before live ones, each publication exactly once.

import type { ClientEvents, Publication, ReplyOf, RequestName, ServerEvents, StreamPosition } from '../../src/protocol/index.js';
import { Connection } from './connection.js';
import { BeaconError } from './errors.js';
import { Subscriptions, type Subscription } from './subscriptions.js';
import type { ClientOptions, SubscribedEvent } from './types.js';

/** Pushes handed to the application as they are. */
const PASSED = new Set(['message', 'authenticated_message', 'user_status', 'user_count', 'join', 'leave', 'channel_presence']);

/** Data optional for the requests whose data may be absent. */
export type DataArgs<K extends keyof ClientEvents> = undefined extends ClientEvents[K] ? [data?: ClientEvents[K]] : [data: ClientEvents[K]];

export class BeaconClient extends Connection {
  readonly #subs = new Subscriptions();
  /** The last `subscribed` event of each channel: what subscribe() resolves with. */
  readonly #answers = new Map<string, SubscribedEvent>();

  constructor(options: ClientOptions) {
    super(options);
  }

  /** Sends one request and resolves with the frame that answers it (see the protocol's Replies). */
  request<K extends RequestName>(event: K, ...args: DataArgs<K>): Promise<ReplyOf<K>> {
    return this.requestAny(event, args[0]) as Promise<ReplyOf<K>>;
  }

  /**
   * Any event as a numbered request, untyped (for tools such as a console); the answer is
   * the frame's data. `id` is undefined when the socket is not open.
   */
  call(event: string, data?: unknown): { id: number | undefined; answer: Promise<unknown> } {
    return this.startRequest(event, data);
  }

  /**
   * Subscribes to `channel` (once authenticated, if not yet) and keeps the subscription
   * across reconnects until unsubscribe(). Publications arrive as `publication` events.
   */
  async subscribe(channel: string, options: { since?: StreamPosition | null } = {}): Promise<SubscribedEvent> {
    if (!this.active) throw new BeaconError('not_connected', `subscribe ${channel}: call connect() first`, 'subscribe');
    await this.#authenticated();
    const sub = this.#subs.add(channel);
    // `since` given: recover from there (a position kept elsewhere); null: start afresh.
    if (options.since !== undefined && sub.pending === undefined) sub.position = options.since ?? undefined;
    return this.#send(sub);
  }

  /** Ends the subscription; it is not resubscribed after a reconnect. */
  async unsubscribe(channel: string): Promise<ReplyOf<'unsubscribe'>> {
    const sub = this.#subs.get(channel);
    this.#subs.remove(channel);
    this.#answers.delete(channel);
    if (sub?.live !== true) return { channel, reason: 'client' };
    return this.request('unsubscribe', { channel });
  }

  publish(channel: string, data: unknown): Promise<ReplyOf<'publish'>> {
    return this.request('publish', { channel, data });
  }

  history(channel: string, options: { since?: StreamPosition; limit?: number } = {}): Promise<ReplyOf<'history'>> {
    return this.request('history', { channel, ...options });
  }

  channelPresence(channel: string): Promise<ReplyOf<'channel_presence'>> {
    return this.request('channel_presence', { channel });
  }

  onlineUsers(): Promise<ReplyOf<'get_online_users'>> {
    return this.request('get_online_users');
  }

  /** The position last seen on a subscribed channel (what a resubscription recovers from). */
  positionOf(channel: string): StreamPosition | undefined {
    return this.#subs.get(channel)?.position;
  }

  /**
   * `authenticated_message`: to every authenticated connection, or with `to` to that user's
   * and the sender's. Accepted messages have no reply of their own, so a `ping_manual` sent
   * right behind it proves the server took it: a refusal would have come first.
   */
  async send(message: ClientEvents['authenticated_message']): Promise<void> {
    const { id, answer } = this.startRequest('authenticated_message', message);
    // Observed through the race below; this only keeps a later rejection from going unhandled.
    answer.catch(() => {});
    try {
      await Promise.race([answer, this.request('ping_manual', {})]);
    } finally {
      if (id !== undefined) this.requests.finish(id);
    }
  }

  protected override answered(request: string, event: string, data: unknown): void {
    if (request === 'subscribe' && event === 'subscribed') this.#subscribed(data as ServerEvents['subscribed']);
    if (request === 'unsubscribe' && event === 'unsubscribed') this.#subs.remove((data as ServerEvents['unsubscribed']).channel);
  }

  protected override pushed(event: string, data: unknown): void {
    if (event === 'publication') {
      const pub = data as Publication;
      const sub = this.#subs.get(pub.channel);
      if (sub !== undefined && this.#subs.accept(sub, pub)) this.emit('publication', { ...pub, recovered: false });
    } else if (event === 'unsubscribed') {
      const ended = data as ServerEvents['unsubscribed'];
      this.#subs.remove(ended.channel);
      this.emit('unsubscribed', ended);
    } else if (PASSED.has(event)) {
      this.emit(event as 'message', data as ServerEvents['message']);
    }
  }

  protected override online(): void {
    for (const sub of this.#subs.all()) {
      this.#send(sub).catch((error: BeaconError) => {
        if (error.code === 'disconnected') return;
        // Refused now (permission removed, account changed...): the subscription is over.
        this.#subs.remove(sub.channel);
        this.emit('unsubscribed', { channel: sub.channel, reason: error.code });
      });
    }
  }

  protected override offline(): void {
    this.#subs.offline();
  }

  #send(sub: Subscription): Promise<SubscribedEvent> {
    if (sub.pending !== undefined) return sub.pending as Promise<SubscribedEvent>;
    const since = sub.position;
    sub.since = since;
    const answer = this.request('subscribe', since === undefined ? { channel: sub.channel } : { channel: sub.channel, since }).then(
      (reply) => this.#answers.get(sub.channel) ?? this.#event(reply, since, []),
      (error: BeaconError) => {
        // A refused subscribe leaves nothing behind to resubscribe (a drop keeps it for the next connection).
        if (error.code !== 'disconnected') this.#subs.remove(sub.channel);
        throw error;
      },
    );
    sub.pending = answer;
    const done = () => {
      if (sub.pending === answer) sub.pending = undefined;
    };
    answer.then(done, done);
    return answer;
  }

  /** In frame order: the answer, then what it recovered, before any later frame. */
  #subscribed(answer: ServerEvents['subscribed']): void {
    const sub = this.#subs.get(answer.channel);
    if (sub === undefined) return;
    const since = sub.since;
    const recovered = this.#subs.subscribed(sub, answer);
    const event = this.#event(answer, since, recovered);
    this.#answers.set(answer.channel, event);
    this.emit('subscribed', event);
    for (const pub of recovered) this.emit('publication', { ...pub, recovered: true });
  }

  #event(answer: ServerEvents['subscribed'], since: StreamPosition | undefined, publications: Publication[]): SubscribedEvent {
    const { channel, epoch, offset, recovered, presence } = answer;
    return { channel, epoch, offset, since: since ?? null, recovered: since !== undefined && recovered, publications, presence };
  }

  #authenticated(): Promise<void> {
    if (this.state === 'authenticated') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const offs = [
        this.on('authenticated', () => {
          offs.forEach((off) => off());
          resolve();
        }),
        this.on('disconnected', (d) => {
          if (d.reconnect) return;
          offs.forEach((off) => off());
          reject(new BeaconError('closed', `not connected (${d.code} ${d.meaning})`));
        }),
      ];
    });
  }
}
