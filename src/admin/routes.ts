// The admin API's HTTP side (docs/protocol.md section 7): every route checks X-API-Key in
// constant time (401 invalid_api_key), validates its body and query strictly, and hands the
// action to the admin service with who asked (the key's fingerprint) and from where.
// Without a configured key there are no admin routes at all: every /admin/* is a 404.

import { ADMIN_EVENTS_LIMIT_DEFAULT, CHANNEL_HISTORY_LIMIT_MAX, MAX_HTTP_BODY_BYTES } from '../constants.js';
import { BeaconError } from '../errors.js';
import type { AuditData } from '../events/types.js';
import { parseJson, readBody } from '../http/body.js';
import type { Handler, RouteContext } from '../http/routes.js';
import { viewOf } from './eventsView.js';
import type { AdminKeyCheck } from './key.js';
import type { AdminChannels, AdminHub, AdminLog } from './ports.js';
import { matchAdminPath, type AdminMatch, type AdminRouteName } from './router.js';
import {
  connectionsQuery,
  disconnectBody,
  emptyBody,
  emptyQuery,
  eventsQuery,
  historyQuery,
  parseWith,
  publishBody,
  queryObject,
} from './schemas.js';
import type { AdminService } from './service.js';

export interface AdminRoutesDeps {
  /** Undefined: the admin API is off. */
  key: AdminKeyCheck | undefined;
  service: AdminService;
  hub: AdminHub;
  log: AdminLog;
  channels?: AdminChannels | undefined;
}

/** Looked up by path like the server's exact route table, for paths that carry names. */
export interface AdminRoutes {
  get(path: string): Readonly<Record<string, Handler>> | undefined;
  /** The matched pattern, for a metrics label that does not grow with every username. */
  label(path: string): string | undefined;
}

type Params = AdminMatch['params'];
type AdminHandler = (ctx: RouteContext, params: Params, audit: AuditData) => Promise<void>;

/** Answers 401 unless the request carries the configured key. */
export function requireAdminKey(key: AdminKeyCheck, apiKey: string): void {
  if (!key.matches(apiKey)) {
    throw new BeaconError('invalid_api_key', { message: apiKey === '' ? 'X-API-Key header is missing' : 'Invalid API key' });
  }
}

/**
 * The body as JSON, `{}` when there is none. Started before any await: uWS needs its data
 * handler registered in the request's own callback.
 */
function jsonBody(ctx: RouteContext): Promise<unknown> {
  const { contentLength, contentType } = ctx.req;
  if (contentLength === '' || contentLength === '0') return Promise.resolve({});
  const type = contentType.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') return Promise.reject(new BeaconError('unsupported_media_type'));
  return readBody(ctx.res, contentLength, MAX_HTTP_BODY_BYTES).then(parseJson);
}

const query = <T>(ctx: RouteContext, parse: (input: unknown) => T): T => parse(queryObject(ctx.req.query));

export function createAdminRoutes(deps: AdminRoutesDeps): AdminRoutes {
  const { key, service, hub, log, channels } = deps;
  const param = (params: Params, name: string): string => params[name] ?? '';

  const table: Partial<Record<AdminRouteName, Record<string, AdminHandler>>> = {
    connections: {
      GET: async (ctx) => {
        const q = query(ctx, (i) => parseWith(connectionsQuery, i));
        const userId = q.user === undefined ? undefined : (await service.knownUser(q.user)).userId;
        ctx.reply.json(200, { connections: hub.connections(userId === undefined ? {} : { userId }) });
      },
    },
    'user.disconnect': {
      POST: async (ctx, params, audit) => {
        const body = parseWith(disconnectBody, await jsonBody(ctx));
        ctx.reply.json(200, await service.disconnect(param(params, 'username'), body.reason, audit));
      },
    },
    'user.revoke': {
      POST: async (ctx, params, audit) => {
        parseWith(emptyBody, await jsonBody(ctx));
        ctx.reply.json(200, await service.revoke(param(params, 'username'), audit));
      },
    },
    'user.disable': {
      POST: async (ctx, params, audit) => {
        parseWith(emptyBody, await jsonBody(ctx));
        ctx.reply.json(200, await service.disable(param(params, 'username'), audit));
      },
    },
    'user.enable': {
      POST: async (ctx, params, audit) => {
        parseWith(emptyBody, await jsonBody(ctx));
        ctx.reply.json(200, await service.enable(param(params, 'username'), audit));
      },
    },
    'channel.member': {
      PUT: async (ctx, params, audit) => {
        parseWith(emptyBody, await jsonBody(ctx));
        ctx.reply.json(200, await service.grant(param(params, 'channel'), param(params, 'username'), audit));
      },
      DELETE: async (ctx, params, audit) => {
        parseWith(emptyBody, await jsonBody(ctx));
        ctx.reply.json(200, await service.remove(param(params, 'channel'), param(params, 'username'), audit));
      },
    },
    events: {
      GET: async (ctx) => {
        const q = query(ctx, (i) => parseWith(eventsQuery, i));
        const limit = q.limit ?? ADMIN_EVENTS_LIMIT_DEFAULT;
        const after = q.newest === true ? Math.max(0, log.lastPosition() - limit) : (q.after ?? 0);
        const events = (await log.read(after, limit)).map(viewOf);
        ctx.reply.json(200, { events, last_position: events.at(-1)?.position ?? after });
      },
    },
  };

  // The channel routes exist only with a channel service behind them: no pretending.
  if (channels !== undefined) {
    table.publish = {
      POST: async (ctx, _params, audit) => {
        const body = parseWith(publishBody, await jsonBody(ctx));
        ctx.reply.json(200, await service.publish(body.channel, body.data, audit));
      },
    };
    table.channels = {
      GET: async (ctx) => {
        query(ctx, (i) => parseWith(emptyQuery, i));
        ctx.reply.json(200, { channels: await channels.list() });
      },
    };
    table['channel.presence'] = {
      GET: async (ctx, params) => {
        query(ctx, (i) => parseWith(emptyQuery, i));
        ctx.reply.json(200, await channels.presence(service.channel(param(params, 'channel')).name));
      },
    };
    table['channel.history'] = {
      GET: async (ctx, params) => {
        const q = query(ctx, (i) => parseWith(historyQuery, i));
        const name = service.channel(param(params, 'channel')).name;
        ctx.reply.json(200, await channels.history(name, q.limit ?? CHANNEL_HISTORY_LIMIT_MAX));
      },
    };
  }

  // Bound once per route: each handler checks the key before reading anything else.
  const bound = new Map<AdminRouteName, (params: Params) => Record<string, Handler>>();
  for (const [name, methods] of Object.entries(table) as Array<[AdminRouteName, Record<string, AdminHandler>]>) {
    bound.set(name, (params) => {
      const out: Record<string, Handler> = {};
      for (const [method, handler] of Object.entries(methods)) {
        out[method] = (ctx) => {
          if (key === undefined) throw new BeaconError('not_found');
          requireAdminKey(key, ctx.req.apiKey);
          return handler(ctx, params, { by: { actor: 'admin', fingerprint: key.fingerprint }, address: ctx.req.address });
        };
      }
      return out;
    });
  }

  return {
    get(path) {
      if (key === undefined) return undefined;
      const match = matchAdminPath(path);
      return match === undefined ? undefined : bound.get(match.name)?.(match.params);
    },
    label(path) {
      return key === undefined ? undefined : matchAdminPath(path)?.pattern;
    },
  };
}
