// The addresses a person types to reach this server, from the bound host and ports: the
// console's URL first (HTTPS when it is on). Used by the start line and the log's lock.

/** A wildcard bind (0.0.0.0, ::) is reachable as localhost from the machine itself. */
const WILDCARDS = new Set(['0.0.0.0', '::', '']);

export function listenUrls(host: string, ports: { httpsPort: number | undefined; httpPort: number | undefined }): string[] {
  const name = WILDCARDS.has(host) ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  const urls: string[] = [];
  if (ports.httpsPort !== undefined) urls.push(`https://${name}:${ports.httpsPort}/`);
  if (ports.httpPort !== undefined) urls.push(`http://${name}:${ports.httpPort}/`);
  return urls;
}
