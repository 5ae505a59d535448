// uSockets listens with SO_REUSEPORT (which is what lets a TLS reload bind a second app to
// the same port), so a second Beacon started on a busy port would not fail: the kernel
// would quietly split connections between the two. Probing with an exclusive listener
// first turns that into a clear start-up error naming the setting.

import { createServer } from 'node:net';
import { ConfigError } from '../config/index.js';

export function assertPortFree(host: string, port: number, setting: string): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => {
      reject(new ConfigError(setting, `${host}:${port} is already in use (${err.code ?? err.message})`));
    });
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}
