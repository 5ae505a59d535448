// The admin actions of docs/protocol.md section 7, decided against the users and recorded
// in the event log before they take effect or are answered: every node's hub and channel
// service react to the committed events (kicks, revocations, disables, memberships); the
// server publish goes through the channel service, then its audit record is appended.

import { ADMIN_AUDIT_DATA_MAX_BYTES } from '../constants.js';
import { parseChannelName, type NamespaceTable } from '../channels/index.js';
import { BeaconError } from '../errors.js';
import type { AuditData, BeaconEvent } from '../events/types.js';
import type { AdminActionKind, AdminChannels, AdminHub, AdminLog, AdminUser, AdminUsers } from './ports.js';

export interface AdminServiceDeps {
  users: AdminUsers;
  log: AdminLog;
  hub: AdminHub;
  namespaces: NamespaceTable;
  /** Undefined until the channel service is wired: the channel routes are then absent. */
  channels?: AdminChannels | undefined;
  onAction?: (kind: AdminActionKind) => void;
}

export interface AdminService {
  user(username: string): AdminUser;
  /** user(), after reading the log to its head when this node does not know the name (yet). */
  knownUser(username: string): Promise<AdminUser>;
  /** A channel name of a configured namespace; anything else is 404 unknown_channel. */
  channel(name: string): { name: string; members: boolean };
  disconnect(username: string, reason: string | undefined, audit: AuditData): Promise<{ closed: number }>;
  revoke(username: string, audit: AuditData): Promise<{ revoked: number }>;
  disable(username: string, audit: AuditData): Promise<{ username: string; disabled: true; revoked: number }>;
  enable(username: string, audit: AuditData): Promise<{ username: string; disabled: false }>;
  grant(channel: string, username: string, audit: AuditData): Promise<MembershipAnswer>;
  remove(channel: string, username: string, audit: AuditData): Promise<MembershipAnswer>;
  publish(channel: string, data: unknown, audit: AuditData): Promise<{ channel: string; offset: number }>;
}

export interface MembershipAnswer {
  channel: string;
  username: string;
  user_id: number;
  member: boolean;
}

export function createAdminService(deps: AdminServiceDeps): AdminService {
  const { users, log, hub } = deps;
  const counted = (kind: AdminActionKind): void => deps.onAction?.(kind);

  const user = (username: string): AdminUser => {
    const found = users.byName(username);
    if (found === undefined) throw new BeaconError('unknown_user', { message: `Unknown user ${username}` });
    return found;
  };

  const knownUser = async (username: string): Promise<AdminUser> => {
    if (users.byName(username) === undefined) await log.catchUp();
    return user(username);
  };
  /** For decisions on tokens: the user's active token may have just been issued on another node. */
  const currentUser = async (username: string): Promise<AdminUser> => {
    await log.catchUp();
    return user(username);
  };

  const channel = (name: string): { name: string; members: boolean } => {
    const parsed = parseChannelName(name, deps.namespaces);
    if (!parsed.ok) throw new BeaconError('unknown_channel', { message: `Unknown channel ${name}: ${parsed.message}` });
    const { policy } = parsed;
    return { name, members: policy.subscribe === 'members' || policy.publish === 'members' };
  };

  /** The TokenRevoked for the user's active token, if they hold one. */
  const revocationOf = (u: AdminUser, audit: AuditData): BeaconEvent[] => {
    const active = users.activeToken(u.userId);
    if (active === undefined) return [];
    return [{ type: 'TokenRevoked', data: { userId: u.userId, jti: active.jti, exp: active.exp, reason: 'admin', ...audit } }];
  };

  const membership = async (type: 'ChannelMemberAdded' | 'ChannelMemberRemoved', name: string, username: string, audit: AuditData): Promise<MembershipAnswer> => {
    const target = channel(name);
    if (!target.members) {
      throw new BeaconError('invalid_channel', { message: `${name} is not in a members namespace: membership does not apply` });
    }
    const u = await knownUser(username);
    await log.append([{ type, data: { channel: name, userId: u.userId, username: u.username, ...audit } }]);
    counted(type === 'ChannelMemberAdded' ? 'grant' : 'remove');
    return { channel: name, username: u.username, user_id: u.userId, member: type === 'ChannelMemberAdded' };
  };

  return {
    user,
    knownUser,
    channel,

    async disconnect(username, reason, audit) {
      const u = await knownUser(username);
      const closed = hub.sessionsOf(u.userId);
      // The hubs close the user's connections (4005) when this commits; even a kick that finds
      // nobody online is in the audit trail.
      await log.append([{ type: 'UserKicked', data: { userId: u.userId, username: u.username, ...(reason === undefined ? {} : { reason }), ...audit } }]);
      counted('disconnect');
      return { closed };
    },

    async revoke(username, audit) {
      const u = await currentUser(username);
      const events = revocationOf(u, audit);
      // The hub closes the sockets holding the token (4001) once the revocation commits.
      if (events.length > 0) await log.append(events);
      counted('revoke');
      return { revoked: events.length };
    },

    async disable(username, audit) {
      const u = await currentUser(username);
      // UserDisabled first: the hub closes with 4006 on it, before the revocation's 4001.
      const events: BeaconEvent[] = u.disabled === true ? [] : [{ type: 'UserDisabled', data: { userId: u.userId, username: u.username, ...audit } }];
      const revocations = revocationOf(u, audit);
      events.push(...revocations);
      if (events.length > 0) await log.append(events);
      counted('disable');
      return { username: u.username, disabled: true, revoked: revocations.length };
    },

    async enable(username, audit) {
      const u = await currentUser(username);
      if (u.disabled === true) await log.append([{ type: 'UserEnabled', data: { userId: u.userId, username: u.username, ...audit } }]);
      counted('enable');
      return { username: u.username, disabled: false };
    },

    grant: (name, username, audit) => membership('ChannelMemberAdded', name, username, audit),
    remove: (name, username, audit) => membership('ChannelMemberRemoved', name, username, audit),

    async publish(name, data, audit) {
      const channels = deps.channels;
      if (channels === undefined) throw new BeaconError('not_found', { message: 'Channels are not available on this server' });
      channel(name);
      const published = await channels.publish(name, data, null);
      const json = JSON.stringify(data) ?? 'null';
      const bytes = Buffer.byteLength(json);
      await log.append([
        {
          type: 'AdminPublished',
          data: { channel: name, offset: published.offset, bytes, ...(bytes <= ADMIN_AUDIT_DATA_MAX_BYTES ? { data } : {}), ...audit },
        },
      ]);
      counted('publish');
      return { channel: published.channel, offset: published.offset };
    },
  };
}
