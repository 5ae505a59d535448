// Matching the admin API's paths, which carry a username or a channel name in them (the
// server's route table is by exact path): each pattern names its parameters, decoded from
// percent-encoding; a path that matches nothing is left to the server's 404.

export type AdminRouteName =
  | 'connections'
  | 'user.disconnect'
  | 'user.revoke'
  | 'user.disable'
  | 'user.enable'
  | 'publish'
  | 'channels'
  | 'channel.presence'
  | 'channel.history'
  | 'channel.member'
  | 'events';

export interface AdminMatch {
  readonly name: AdminRouteName;
  /** The route's pattern, e.g. `/admin/users/:username/revoke`: a bounded metrics label. */
  readonly pattern: string;
  readonly params: Readonly<Record<string, string>>;
}

const PATTERNS: ReadonlyArray<readonly [AdminRouteName, string]> = [
  ['connections', '/admin/connections'],
  ['user.disconnect', '/admin/users/:username/disconnect'],
  ['user.revoke', '/admin/users/:username/revoke'],
  ['user.disable', '/admin/users/:username/disable'],
  ['user.enable', '/admin/users/:username/enable'],
  ['publish', '/admin/publish'],
  ['channels', '/admin/channels'],
  ['channel.presence', '/admin/channels/:channel/presence'],
  ['channel.history', '/admin/channels/:channel/history'],
  ['channel.member', '/admin/channels/:channel/members/:username'],
  ['events', '/admin/events'],
];

const SPLIT = PATTERNS.map(([name, pattern]) => ({ name, pattern, parts: pattern.split('/') }));

export function matchAdminPath(path: string): AdminMatch | undefined {
  if (!path.startsWith('/admin/')) return undefined;
  const parts = path.split('/');
  for (const route of SPLIT) {
    if (route.parts.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < parts.length && ok; i++) {
      const want = route.parts[i] as string;
      const got = parts[i] as string;
      if (want.startsWith(':')) {
        const value = decode(got);
        if (value === undefined || value === '') ok = false;
        else params[want.slice(1)] = value;
      } else if (want !== got) ok = false;
    }
    if (ok) return { name: route.name, pattern: route.pattern, params };
  }
  return undefined;
}

function decode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
