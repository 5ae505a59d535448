// The connection's life: open, greet, register with the token, stay authenticated across
// token refreshes, and come back after a close that allows it (full-jitter backoff). The
// channel side and the request methods build on it in client.ts.

import type { ResponseData, ServerEvents } from '../../src/protocol/index.js';
import { DEFAULT_BACKOFF, backoffDelay } from './backoff.js';
import { FINAL_CLOSE_CODES, closeMeaning } from './closeCodes.js';
import { Emitter } from './emitter.js';
import { BeaconError } from './errors.js';
import { OPEN, defaultWebSocket, systemTimers, type Timers, type WebSocketConstructor, type WebSocketLike } from './host.js';
import { Requests } from './requests.js';
import { readClaims, refreshAt } from './token.js';
import { TokenKeeper } from './tokens.js';
import type { BeaconClientEvents, ClientOptions, ClientState } from './types.js';

const REQUEST_TIMEOUT_MS = 10_000;
const REFRESH_MARGIN_MS = 60_000;
/** Refreshes are never closer than this; one that got no fresh token retries after half the time left, or this. */
const REFRESH_RETRY_MIN_MS = 1_000;

export class Connection extends Emitter<BeaconClientEvents> {
  state: ClientState = 'idle';
  /** The authenticated user, while authenticated. */
  user: { username: string; user_id: number } | null = null;
  protected readonly timers: Timers;
  protected readonly requests: Requests;
  readonly #options: ClientOptions;
  readonly #WebSocket: WebSocketConstructor;
  #ws: WebSocketLike | undefined;
  #attempt = 0;
  #stopped = true;
  #reconnectTimer: unknown;
  #refreshTimer: unknown;
  readonly #tokens: TokenKeeper;
  /** The token the current connection registered with. */
  #connToken: string | undefined;
  #refreshing: Promise<void> | undefined;
  /** Server time minus local time, from the `connect` greeting. */
  #skew = 0;
  #refreshReconnect = false;
  /** The last close, for close() while waiting to reconnect. */
  #last = { code: 1000, reason: '' };
  #generation = 0;

  constructor(options: ClientOptions) {
    super();
    this.#options = options;
    this.timers = options.timers ?? systemTimers;
    this.requests = new Requests(this.timers);
    this.#tokens = new TokenKeeper(options.getToken);
    const WebSocket = options.WebSocket ?? defaultWebSocket();
    if (WebSocket === undefined) throw new TypeError('No WebSocket here: pass one as options.WebSocket (in Node 20, the `ws` package)');
    this.#WebSocket = WebSocket;
  }

  /** Opens the connection (and keeps it up) until close(). */
  connect(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#attempt = 0;
    // An explicit connect asks getToken afresh (the user may have changed); reconnects reuse a good token.
    this.#tokens.latest = undefined;
    void this.#open();
  }

  /** Ends the connection politely and for good (until connect() again). */
  close(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#generation += 1;
    this.timers.clearTimeout(this.#reconnectTimer);
    const ws = this.#ws;
    if (ws?.readyState === OPEN) this.sendRaw(JSON.stringify({ event: 'disconnect', data: { reason: 'client disconnect' } }));
    this.#ws = undefined;
    ws?.close(1000, 'client disconnect');
    this.#gone('closed', 1000);
    // Waiting to reconnect: the last close stands, now without a reconnect to follow.
    if (ws === undefined && this.state === 'disconnected') this.#ended(this.#last.code, this.#last.reason, false, null);
    else this.#ended(1000, 'client disconnect', false, null);
  }

  /** Sends text as it is (a console's raw frames); false when the socket is not open. */
  sendRaw(raw: string): boolean {
    if (this.#ws?.readyState !== OPEN) return false;
    this.#ws.send(raw);
    this.emit('sent', { raw });
    return true;
  }

  /** False once closed for good (close(), a final close code, attempts used up). */
  get active(): boolean {
    return !this.#stopped;
  }

  protected requestAny(event: string, data: unknown): Promise<unknown> {
    return this.startRequest(event, data).answer;
  }

  /** Sends a numbered request; `id` is undefined when the socket is not open (the answer rejects). */
  protected startRequest(event: string, data: unknown): { id: number | undefined; answer: Promise<unknown> } {
    if (this.#ws?.readyState !== OPEN) return { id: undefined, answer: Promise.reject(new BeaconError('not_connected', `${event}: not connected`, event)) };
    const { id, answer } = this.requests.start(event, this.#options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS);
    this.sendRaw(JSON.stringify(data === undefined ? { event, id } : { event, data, id }));
    return { id, answer };
  }

  // Hooks for BeaconClient, called in frame order: a direct reply (before its promise
  // settles), a frame that answers no request, authenticated (again), the socket gone.
  protected answered(_request: string, _event: string, _data: unknown): void {}
  protected pushed(_event: string, _data: unknown): void {}
  protected online(): void {}
  protected offline(): void {}

  async #open(): Promise<void> {
    // A close() (and a connect()) while getToken is out makes this attempt stale.
    const generation = ++this.#generation;
    this.#setState('connecting');
    this.emit('connecting', { attempt: this.#attempt });
    let token: string | undefined;
    try {
      token = await this.#tokens.forConnect(this.#options.refreshMarginMs ?? REFRESH_MARGIN_MS, this.#skew, this.timers.now());
    } catch (error) {
      this.emit('error', new BeaconError('token_unavailable', `getToken failed: ${String(error)}`));
      return this.#ended(0, 'no token', true, null);
    }
    if (this.#stopped || generation !== this.#generation) return;
    if (token !== undefined && this.#expired(token)) {
      this.#sayExpired(token);
      return this.#ended(0, 'token expired', true, null);
    }
    let ws: WebSocketLike;
    try {
      ws = new this.#WebSocket(this.#options.url);
    } catch (error) {
      // A URL the WebSocket class refuses will not get better by retrying.
      this.emit('error', new BeaconError('not_connected', `cannot open ${this.#options.url}: ${String(error)}`));
      return this.#ended(0, 'bad url', false, null);
    }
    this.#ws = ws;
    this.#connToken = token;
    // The close that always follows an error says what happened; `ws` throws an error
    // nobody listens to, so it is listened to and left to the close.
    ws.addEventListener('error', () => {});
    ws.addEventListener('message', (e) => {
      if (ws === this.#ws) this.#receive(typeof e.data === 'string' ? e.data : String(e.data));
    });
    ws.addEventListener('close', (e) => {
      if (ws === this.#ws) void this.#closed(e.code, e.reason);
    });
  }

  #receive(raw: string): void {
    let frame: { event: string; data?: unknown; id?: number };
    try {
      frame = JSON.parse(raw);
    } catch {
      return;
    }
    this.emit('frame', { ...frame, data: frame.data, raw });
    const { event, data, id } = frame;
    if (event === 'connect') return this.#greeted(data as ServerEvents['connect']);
    const request = id === undefined ? undefined : this.requests.eventOf(id);
    if (request !== undefined && id !== undefined) {
      this.answered(request, event, data);
      this.requests.settle(id, event, data);
      return;
    }
    const refusal = event === 'response' ? (data as ResponseData) : undefined;
    if (refusal?.ok === false && refusal.code === 'token_expired') return this.#sayExpired(this.#connToken);
    this.pushed(event, data);
  }

  #greeted(greeting: ServerEvents['connect']): void {
    this.#skew = greeting.server_time - this.timers.now();
    this.#setState('connected');
    this.emit('connected', greeting);
    const token = this.#connToken;
    if (token === undefined) {
      this.#attempt = 0;
      return;
    }
    this.#register(token).then(
      (user) => {
        this.user = user;
        this.#attempt = 0;
        this.#setState('authenticated');
        this.#scheduleRefresh();
        this.online();
        this.emit('authenticated', user);
        if (this.#refreshReconnect) this.emit('token_refreshed', { ...user, reconnected: true });
        this.#refreshReconnect = false;
      },
      // A refused registration ends the connection; the close says what comes next.
      (error: BeaconError) => {
        if (error.code !== 'disconnected') this.emit('error', error);
      },
    );
  }

  async #register(token: string): Promise<{ username: string; user_id: number }> {
    const username = this.#tokens.usernameFor(token);
    const answer = (await this.requestAny('register_user', { token, username })) as ResponseData;
    if (!answer.ok) throw new BeaconError(answer.code, answer.message, 'register_user');
    return { username: answer.username, user_id: answer.user_id };
  }

  #expired(token: string): boolean {
    const exp = readClaims(token).exp;
    return exp !== undefined && exp * 1000 <= this.timers.now() + this.#skew;
  }

  #scheduleRefresh(delayMs?: number): void {
    this.timers.clearTimeout(this.#refreshTimer);
    const token = this.#connToken;
    if (token === undefined || !this.#tokens.enabled) return;
    const at = refreshAt(readClaims(token), this.#options.refreshMarginMs ?? REFRESH_MARGIN_MS, this.#skew, this.timers.now());
    if (at === undefined) return;
    // The floor keeps a token that is already due (a short one, a slow login) from a refresh loop.
    this.#refreshTimer = this.timers.setTimeout(() => void (this.#refreshing = this.#refresh()), delayMs ?? Math.max(REFRESH_RETRY_MIN_MS, at - this.timers.now()));
  }

  /** Gets a fresh token and swaps it in on the live connection (register_user → token_refreshed). */
  async #refresh(): Promise<void> {
    const ws = this.#ws;
    let token: string | undefined;
    try {
      // The token in use: getToken can exchange it (POST /refresh-token) and keep this connection.
      token = await this.#tokens.ask(this.#connToken);
    } catch (error) {
      this.emit('error', new BeaconError('token_unavailable', `getToken failed: ${String(error)}`));
    }
    this.#refreshing = undefined;
    if (ws !== this.#ws || this.state !== 'authenticated') return;
    if (token === undefined || token === this.#connToken) {
      const exp = (readClaims(this.#connToken ?? '').exp ?? 0) * 1000 - this.#skew;
      return this.#scheduleRefresh(Math.max(REFRESH_RETRY_MIN_MS, (exp - this.timers.now()) / 2));
    }
    try {
      const user = await this.#register(token);
      this.#connToken = token;
      this.#scheduleRefresh();
      this.emit('token_refreshed', { ...user, reconnected: false });
    } catch (error) {
      // Refused: the server closes the connection, and the close decides what follows.
      if ((error as BeaconError).code !== 'disconnected') this.emit('error', error as BeaconError);
    }
  }

  #sayExpired(token: string | undefined): void {
    if (this.#tokens.firstExpiry(token)) this.emit('token_expired', { message: 'Token has expired!' });
  }

  /** What every end of a socket clears: the user, the refresh, the requests in flight. */
  #gone(why: 'closed' | 'disconnected', code: number): void {
    this.user = null;
    this.timers.clearTimeout(this.#refreshTimer);
    this.requests.failAll(why, `connection closed (${code} ${closeMeaning(code)})`);
    this.offline();
  }

  async #closed(code: number, reason: string): Promise<void> {
    this.#ws = undefined;
    this.#gone('disconnected', code);
    this.#setState('disconnected');
    if (code === 4002) this.#sayExpired(this.#connToken);
    if (code === 4004 && !this.#stopped) {
      // Getting a fresh token may have been a new login, which replaces this connection's
      // token: then the replacement was ours, and the fresh token reconnects at once.
      await this.#refreshing;
      const latest = this.#tokens.latest;
      if (latest !== undefined && latest !== this.#connToken && !this.#stopped) {
        this.#refreshReconnect = true;
        return this.#ended(code, reason, true, 0);
      }
    }
    this.#ended(code, reason, !FINAL_CLOSE_CODES.has(code), null);
  }

  /** Disconnected: reconnects after `delayMs` (a backoff draw when null) if allowed. */
  #ended(code: number, reason: string, allowed: boolean, delayMs: number | null): void {
    const backoff = this.#options.reconnect;
    const again = allowed && !this.#stopped && backoff !== false && this.#attempt < (backoff?.maxAttempts ?? DEFAULT_BACKOFF.maxAttempts);
    const delay = again ? (delayMs ?? backoffDelay(this.#attempt, this.#options.random ?? Math.random, backoff || {})) : null;
    if (!again) this.#stopped = true;
    this.#last = { code, reason };
    this.#setState('disconnected');
    this.emit('disconnected', { code, reason, meaning: closeMeaning(code), reconnect: again, delayMs: delay });
    if (delay === null) return;
    this.#attempt += 1;
    this.#reconnectTimer = this.timers.setTimeout(() => void this.#open(), delay);
  }

  #setState(state: ClientState): void {
    const previous = this.state;
    if (previous === state) return;
    this.state = state;
    this.emit('state', { state, previous });
  }
}
