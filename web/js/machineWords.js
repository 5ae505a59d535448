// The connection machine in people's words: the machine's internal event and action names
// (INVALID, FLOOD, xstate.done.actor.verify, a bare `always`, `entry: reply · farewell ...`)
// said as what they mean. The protocol's own event names (register_user, message ...) are
// kept: they are what a client sends.

/** @type {Readonly<Record<string, string>>} */
const EVENTS = Object.freeze({
  'xstate.init': 'connection opened',
  // Short: a handled-in-place event is one word of a box's wrapped line.
  INVALID: 'bad frame',
  FLOOD: 'flooding',
  SHUTDOWN: 'server shutdown',
  SOCKET_CLOSED: 'socket closed',
  REVOKE: 'ended by logout, new login or admin',
  always: 'token given at upgrade',
  'after authTimeout': 'no login in time',
  'after tokenExpiry [tokenExpired]': 'token expired',
  'after tokenExpiry': 'expiry far away: timer re-armed',
  'after closeGrace': 'closed, or 1 s passed',
  'xstate.error.actor.verify': 'token refused',
  'xstate.error.actor.refresh': 'new token refused',
});

/** Words that depend on where the transition goes. @type {Readonly<Record<string, Readonly<Record<string, string>>>>} */
const BY_TARGET = Object.freeze({
  'xstate.done.actor.verify': { authenticated: 'token accepted', revoked: "token is another user's" },
  'xstate.done.actor.refresh': { authenticated: 'new token accepted', revoked: "new token is another user's" },
});

/** @type {Readonly<Record<string, string | null>>} null: bookkeeping nobody needs to see */
const ACTIONS = Object.freeze({
  reply: 'answers why',
  farewell: 'sends disconnect',
  close: 'closes the socket',
  noteClose: null,
  greet: 'sends connect',
  connectionClosed: 'leaves presence, records the close',
  verifyToken: 'checks the token',
  sessionStarted: 'joins presence',
});

/**
 * An event as people say it; `to` picks the words of a guarded event with several targets.
 * @param {string} event @param {string} [to]
 */
export function eventWords(event, to) {
  const byTarget = BY_TARGET[event];
  if (byTarget) return (to && byTarget[to]) || Object.values(byTarget)[0] || event;
  const known = EVENTS[event];
  if (known) return known;
  const m = /^xstate\.(done|error)\.actor\.(.+)$/.exec(event);
  if (m) return `${m[2]} ${m[1] === 'done' ? 'finished' : 'failed'}`;
  if (event.startsWith('after ')) return event.replace(/^after /, 'after ').replace(/ \[[^\]]*\]$/, '');
  return event;
}

/** An action's words, or null when it is internal bookkeeping. @param {string} name */
export function actionWords(name) {
  return Object.hasOwn(ACTIONS, name) ? (ACTIONS[name] ?? null) : name;
}
