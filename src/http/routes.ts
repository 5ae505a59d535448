// The HTTP API of docs/protocol.md §2: one table of routes by path and method, so unknown
// paths are 404 and known paths with other methods are 405, all answered as JSON.

import type { HttpResponse } from 'uWebSockets.js';
import type { AuthService } from '../auth/service.js';
import { MAX_HTTP_BODY_BYTES } from '../constants.js';
import { BeaconError } from '../errors.js';
import type { Session } from '../auth/session.js';
import { requireAdminKey } from '../admin/routes.js';
import type { AdminKeyCheck } from '../admin/key.js';
import { parseJson, readBody } from './body.js';
import type { Reply } from './respond.js';
import { bearerToken, type RequestInfo } from './request.js';
import { credentialsSchema, describeIssue, type Credentials } from './schemas.js';

export interface RouteContext {
  readonly req: RequestInfo;
  readonly res: HttpResponse;
  readonly reply: Reply;
}

export type Handler = (ctx: RouteContext) => Promise<void> | void;

export interface RouteDeps {
  auth: AuthService;
  /** Ids of users with at least one authenticated connection. */
  onlineUserIds(): ReadonlySet<number>;
  /** `ok` picks 200 or 503; the rest is the body (a cluster node adds its dependencies' states). */
  health(): { ok: boolean; status: string } & Record<string, unknown>;
  metricsText(): Promise<{ contentType: string; body: string }>;
  /** The web console's files (static.ts), one exact path each; API routes win a clash. */
  web: RouteTable;
  /** The machine definition: public, static, always served. */
  machine(): unknown;
  /**
   * The live connections (and one connection's recent transitions): present when INSPECT is
   * on and the admin API is enabled, and asked for with the admin key like the admin API.
   */
  inspect: { key: AdminKeyCheck; actors(): unknown; transitions(sid: string): unknown } | undefined;
}

export type RouteTable = ReadonlyMap<string, Readonly<Record<string, Handler>>>;

/** What the server needs of its routes: the methods for a path, and a bounded label for metrics. */
export interface RouteLookup {
  get(path: string): Readonly<Record<string, Handler>> | undefined;
  /** The metrics label of a path (its pattern); the path itself when absent. */
  label?(path: string): string | undefined;
}

/** The exact-path table first, then each lookup that matches by pattern (the admin API). */
export function composeRoutes(table: RouteTable, ...more: readonly RouteLookup[]): RouteLookup {
  return {
    get: (path) => table.get(path) ?? more.reduce<Readonly<Record<string, Handler>> | undefined>((found, r) => found ?? r.get(path), undefined),
    label: (path) => (table.has(path) ? path : more.reduce<string | undefined>((found, r) => found ?? r.label?.(path), undefined)),
  };
}

/** Routes that answer while the server is starting or draining. */
export const ALWAYS_ON = new Set(['/healthz', '/metrics']);

async function readCredentials(ctx: RouteContext): Promise<Credentials> {
  const type = ctx.req.contentType.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') throw new BeaconError('unsupported_media_type');
  const body = await readBody(ctx.res, ctx.req.contentLength, MAX_HTTP_BODY_BYTES);
  const parsed = credentialsSchema.safeParse(parseJson(body));
  if (!parsed.success) throw new BeaconError('invalid_request', { message: describeIssue(parsed.error) });
  return parsed.data;
}

async function requireSession(auth: AuthService, ctx: RouteContext): Promise<Session> {
  const token = bearerToken(ctx.req.authorization);
  if (token === '') throw new BeaconError('missing_token');
  if (token === undefined) throw new BeaconError('invalid_token');
  return auth.verify(token);
}

export function createRoutes(deps: RouteDeps): RouteTable {
  const { auth } = deps;
  const user = (s: Session): { username: string; user_id: number } => ({ username: s.username, user_id: s.userId });
  return new Map<string, Readonly<Record<string, Handler>>>([
    ...deps.web,
    [
      '/register',
      {
        POST: async (ctx) => {
          const { username, password } = await readCredentials(ctx);
          const created = await auth.register(username, password);
          ctx.reply.json(201, { message: 'User registered successfully', user: created });
        },
      },
    ],
    [
      '/login-token',
      {
        POST: async (ctx) => {
          const { username, password } = await readCredentials(ctx);
          const result = await auth.login(username, password, ctx.req.address);
          ctx.reply.json(200, { ...result, message: 'Login successful' });
        },
      },
    ],
    [
      '/logout',
      {
        POST: async (ctx) => {
          await auth.logout(await requireSession(auth, ctx));
          ctx.reply.json(200, { message: 'Successfully logged out' });
        },
      },
    ],
    [
      '/protected',
      {
        GET: async (ctx) => {
          const session = await requireSession(auth, ctx);
          ctx.reply.json(200, { message: `Hello ${session.username}! This is a protected route.`, user: user(session) });
        },
      },
    ],
    [
      '/users',
      {
        GET: async (ctx) => {
          await requireSession(auth, ctx);
          const online = deps.onlineUserIds();
          const users = [...auth.users()].map((u) => ({ username: u.username, user_id: u.userId, online: online.has(u.userId) }));
          ctx.reply.json(200, { users });
        },
      },
    ],
    [
      '/inspect/machine',
      {
        // The diagram describes the code, not anyone's data: nothing to protect.
        GET: (ctx) => ctx.reply.json(200, deps.machine()),
      },
    ],
    [
      '/inspect/actors',
      {
        GET: (ctx) => {
          const inspect = deps.inspect;
          if (inspect === undefined) {
            throw new BeaconError('not_found', { message: 'Live inspection is off (it needs INSPECT=1 and ADMIN_API_KEY)' });
          }
          // Every connection's user and address: an operator's view, so the operator's key.
          requireAdminKey(inspect.key, ctx.req.apiKey);
          const sid = new URLSearchParams(ctx.req.query).get('sid');
          ctx.reply.json(200, sid === null ? { actors: inspect.actors() } : { actors: inspect.actors(), sid, transitions: inspect.transitions(sid) });
        },
      },
    ],
    [
      '/healthz',
      {
        GET: (ctx) => {
          const { ok, ...body } = deps.health();
          ctx.reply.json(ok ? 200 : 503, body);
        },
        // Load balancers probe with HEAD: the same status, no body.
        HEAD: (ctx) => {
          ctx.reply.send(deps.health().ok ? 200 : 503, 'application/json', '');
        },
      },
    ],
    [
      '/metrics',
      {
        GET: async (ctx) => {
          const { contentType, body } = await deps.metricsText();
          ctx.reply.send(200, contentType, body);
        },
      },
    ],
  ]);
}
