// Every limit, default and wire code Beacon uses, named once. Other modules import
// from here rather than repeating a number, so the README and SECURITY notes have one
// place to point at.

export const KiB = 1024;
export const MiB = 1024 * KiB;

/** HTTP request bodies are refused (413) above this size, before parsing. */
export const MAX_HTTP_BODY_BYTES = 16 * KiB;
/** WebSocket frames above this size close the connection with 1009. */
export const MAX_WS_FRAME_BYTES = 64 * KiB;
/**
 * uWS's own limit. Past it uWS cuts the TCP connection without a close frame (the client
 * sees 1006), so it sits above MAX_WS_FRAME_BYTES and Beacon sends the 1009 itself.
 */
export const WS_TRANSPORT_FRAME_LIMIT_BYTES = 4 * MAX_WS_FRAME_BYTES;
/** Above this many bytes buffered for one socket, the socket is closed as a slow consumer. */
export const MAX_WS_BACKPRESSURE_BYTES = 1 * MiB;
/**
 * Default uWS idle timeout (seconds; the WS_IDLE_TIMEOUT_SECONDS setting): a socket that
 * neither sends nor answers the automatic pings for this long is closed.
 */
export const WS_IDLE_TIMEOUT_SECONDS = 60;
/** uWS counts idle time in 4-second ticks and refuses timeouts under 8 s. */
export const WS_IDLE_TIMEOUT_MIN_SECONDS = 8;
export const WS_IDLE_TIMEOUT_MAX_SECONDS = 960;
/**
 * Deepest nesting of arrays/objects a client frame may carry. Deeper JSON parses, but
 * serialising it again (the echo, a broadcast) overflows the stack at a few thousand levels.
 */
export const MAX_WS_JSON_DEPTH = 64;

export const USERNAME_MIN = 3;
export const USERNAME_MAX = 32;
export const USERNAME_PATTERN = /^[A-Za-z0-9_.-]+$/;
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;

/** Shortest accepted HS256 key, in bytes (RFC 7518 §3.2: at least the hash size). */
export const JWT_MIN_KEY_BYTES = 32;
/** Shortest accepted admin API key (ADMIN_API_KEY / ADMIN_API_KEY_FILE), in bytes. */
export const ADMIN_API_KEY_MIN_BYTES = 32;
/** Hex characters of the key's sha256 shown as its fingerprint in audit events. */
export const ADMIN_KEY_FINGERPRINT_HEX = 12;
/** `GET /admin/events` pages: `limit` is 1..this, this many when not given. */
export const ADMIN_EVENTS_LIMIT_MAX = 1000;
export const ADMIN_EVENTS_LIMIT_DEFAULT = 100;
/** `reason` of an admin disconnect, in characters. */
export const ADMIN_REASON_MAX = 256;
/** An admin publish records its data in the audit event only up to this size (bytes of JSON). */
export const ADMIN_AUDIT_DATA_MAX_BYTES = 1 * KiB;
export const JWT_ALGORITHM = 'HS256' as const;
export const JWT_REQUIRED_CLAIMS = ['sub', 'username', 'user_id', 'iat', 'exp', 'jti'] as const;
/** Allowed clock skew when checking `exp`/`nbf`/`iat` (seconds). */
export const JWT_CLOCK_TOLERANCE_SECONDS = 0;
/** A token is refused when its header or payload alone exceeds this (bytes of text). */
export const MAX_TOKEN_LENGTH = 4 * KiB;

/** argon2id at the OWASP "minimum" profile: 19 MiB, 2 passes, 1 lane. */
export const ARGON2_MEMORY_KIB = 19 * 1024;
export const ARGON2_ITERATIONS = 2;
export const ARGON2_PARALLELISM = 1;
export const ARGON2_SALT_BYTES = 16;
export const ARGON2_HASH_BYTES = 32;
/** Hash jobs waiting for a worker beyond this are refused with 503 rather than queued. */
export const HASH_QUEUE_MAX = 256;

/** Login throttle: failures per account before 429, and the window they are counted in. */
export const LOGIN_FAILURES_PER_ACCOUNT = 5;
export const LOGIN_FAILURES_PER_ADDRESS = 20;
export const LOGIN_THROTTLE_WINDOW_SECONDS = 60;
/** Most throttle entries kept in memory; the oldest are forgotten first. */
export const LOGIN_THROTTLE_MAX_KEYS = 100_000;

export const DEFAULT_TOKEN_TTL_SECONDS = 86_400;
/** Token lifetimes accepted: 1 s (tests, demos) to 30 days. */
export const TOKEN_TTL_MIN_SECONDS = 1;
export const TOKEN_TTL_MAX_SECONDS = 30 * 86_400;
/** A lifetime under this is accepted, but the start logs a warning: it is for tests and demos. */
export const TOKEN_TTL_WARN_BELOW_SECONDS = 60;
export const DEFAULT_AUTH_TIMEOUT_SECONDS = 30;
/** How often expired blacklist entries are pruned. */
export const BLACKLIST_PRUNE_INTERVAL_MS = 60_000;

/** Graceful shutdown gives in-flight work this long before exiting anyway. */
export const SHUTDOWN_GRACE_MS = 8_000;

/** Log files rotate at this size and this many are kept. */
export const LOG_ROTATE_SIZE = '10M';
export const LOG_ROTATE_KEEP = 5;

// Redis bindings (cluster mode): the bus, presence, channel history and the login throttle.
/** Keys and pub/sub channels of one Beacon service share this prefix, so a Redis can hold others. */
export const REDIS_KEY_PREFIX = 'beacon:';
/** A node renews its presence deadline this often ... */
export const REDIS_HEARTBEAT_MS = 1_000;
/**
 * ... and is reaped by a live node once this long has passed without a renewal: a node
 * killed with SIGKILL is out of everyone's presence within deadline + heartbeat (< 5 s).
 */
export const REDIS_PRESENCE_DEADLINE_MS = 3_000;
/** A command unanswered this long fails (`unavailable`) rather than hanging a request. */
export const REDIS_COMMAND_TIMEOUT_MS = 2_000;
/** Reconnect attempts back off up to this delay, so a returned Redis is found within it. */
export const REDIS_RECONNECT_MAX_MS = 500;
/** The first connection must be made within this, or the start fails naming REDIS_URL. */
export const REDIS_CONNECT_TIMEOUT_MS = 5_000;
/** A node's connection changes of one event-loop turn go to Redis in scripts of at most this many ... */
export const REDIS_PRESENCE_BATCH = 1_000;
/** ... and each published presence message carries at most this many changes. */
export const REDIS_PRESENCE_CHANGES_PER_MESSAGE = 500;

/** WebSocket close codes (4000-4999 are application codes, see docs/protocol.md §3). */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  messageTooBig: 1009,
  internalError: 1011,
  authTimeout: 4000,
  tokenRevoked: 4001,
  tokenExpired: 4002,
  invalidToken: 4003,
  sessionReplaced: 4004,
  /** The admin API disconnected the user; the token stays valid. */
  kicked: 4005,
  /** The admin API disabled the account: tokens revoked, logins refused. */
  accountDisabled: 4006,
  rateLimited: 4008,
  /** A cluster node that cannot follow the event log (it may miss a revocation): reconnect elsewhere. */
  nodeUnavailable: 1013,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** Per-connection frame rate: frames beyond this per second are dropped (throttled) ... */
export const WS_MESSAGES_PER_SECOND = 100;
/** ... and a connection that goes on to send this many in one second is closed with 4008. */
export const WS_FLOOD_CLOSE_PER_SECOND = 300;

/**
 * Engine.IO heartbeat of the Socket.IO endpoint (the socket.io defaults): the server pings
 * this often, and a peer silent for their sum is dropped (and fails `check_connections`).
 */
export const SOCKETIO_PING_INTERVAL_MS = 25_000;
export const SOCKETIO_PING_TIMEOUT_MS = 20_000;

// Channels: named publish/subscribe with per-namespace permissions, presence and history.
/** A channel name is `<namespace>:<rest>`; `rest` is this many characters of CHANNEL_REST_PATTERN. */
export const CHANNEL_REST_MIN = 1;
export const CHANNEL_REST_MAX = 100;
export const CHANNEL_REST_PATTERN = /^[A-Za-z0-9_.\-@=]+$/;
/**
 * Namespace names in CHANNELS_FILE: a lowercase letter, then letters, digits, `_` or `-`.
 * Starting with a letter also keeps out `__proto__` and other special object keys.
 */
export const NAMESPACE_NAME_MAX = 32;
export const NAMESPACE_NAME_PATTERN = /^[a-z][a-z0-9_-]*$/;
/** Most namespaces a CHANNELS_FILE may define. */
export const MAX_NAMESPACES = 64;
/** A connection holding this many subscriptions is refused the next (`too_many_subscriptions`). */
export const MAX_SUBSCRIPTIONS_PER_CONNECTION = 128;
/**
 * `subscribe` / `unsubscribe` frames a connection may send per second beyond the general
 * frame rate: a client that reconnects resubscribes every channel at once (up to 128), and
 * that must not be throttled. Past this budget they count like any other frame.
 */
export const WS_SUBSCRIPTION_FRAMES_PER_SECOND = 2 * MAX_SUBSCRIPTIONS_PER_CONNECTION;
/** Largest `history_size` a namespace may keep per channel. */
export const CHANNEL_HISTORY_SIZE_MAX = 1000;
/** Longest `history_ttl_seconds` a namespace may set (one year). */
export const CHANNEL_HISTORY_TTL_MAX_SECONDS = 365 * 86_400;
/** `history` returns at most this many publications (its `limit` is 1..this). */
export const CHANNEL_HISTORY_LIMIT_MAX = 100;
/**
 * A channel's head (epoch and last offset) is forgotten once it keeps no publication and
 * has had none for this long; its next publication starts a new epoch at offset 1.
 */
export const CHANNEL_META_TTL_SECONDS = 30 * 86_400;
/** How often expired publications and forgotten channel heads are swept from the store. */
export const CHANNEL_TRIM_INTERVAL_MS = 60_000;
/** Rows one sweep transaction deletes at most, so a large sweep never stalls the loop long. */
export const CHANNEL_TRIM_BATCH = 5_000;

// Cluster event log (PostgreSQL, src/store/postgres).
/** Every node re-reads the log from its last position this often, notified or not. */
export const PG_CATCH_UP_INTERVAL_MS = 1_000;
/** Wait before re-opening a lost LISTEN connection. */
export const PG_LISTEN_RETRY_MS = 500;
/** A connection attempt to DATABASE_URL fails after this long (start-up, reconnects). */
export const PG_CONNECT_TIMEOUT_MS = 5_000;
/**
 * A query PostgreSQL has not answered by then fails (its connection is dropped): a server
 * that hangs rather than refuses must still turn appends into 503s, not into waits.
 */
export const PG_QUERY_TIMEOUT_MS = 10_000;
/** Connections each node keeps for appends and reads (the LISTEN one comes on top). */
export const PG_POOL_SIZE = 4;
/** A node that has not read the log to its head for this long fences itself (CLUSTER_FENCE_SECONDS). */
export const DEFAULT_CLUSTER_FENCE_SECONDS = 10;
/** How often a cluster node compares its log lag with CLUSTER_FENCE_SECONDS. */
export const CLUSTER_FENCE_CHECK_MS = 250;
