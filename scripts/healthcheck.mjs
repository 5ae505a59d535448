// The container's HEALTHCHECK: GET /healthz on this machine, exit 0 on a 200, else 1.
// Plain Node (the slim image has no curl); HTTP when HTTP_PORT is on, else HTTPS with the
// certificate unchecked (it may be self-signed, and the check only asks "are you up?").

import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

const TIMEOUT_MS = 4000;
const env = process.env;
const httpPort = env.HTTP_PORT === undefined || env.HTTP_PORT.trim() === '' ? 5001 : Number(env.HTTP_PORT);
const httpsPort = env.HTTPS_PORT === undefined || env.HTTPS_PORT.trim() === '' ? 5000 : Number(env.HTTPS_PORT);
const bound = (env.HOST ?? '').trim();
// A wildcard listen address is reached through loopback; a specific one only through itself.
const host = bound === '' || bound === '0.0.0.0' || bound === '::' ? '127.0.0.1' : bound;
const secure = httpPort === 0;
const send = secure ? httpsRequest : httpRequest;

const req = send(
  { host, port: secure ? httpsPort : httpPort, path: '/healthz', method: 'GET', timeout: TIMEOUT_MS, rejectUnauthorized: false },
  (res) => {
    res.resume();
    res.on('end', () => {
      if (res.statusCode !== 200) process.stderr.write(`healthcheck: /healthz answered ${res.statusCode}\n`);
      process.exit(res.statusCode === 200 ? 0 : 1);
    });
  },
);
req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
req.on('error', (err) => {
  process.stderr.write(`healthcheck: ${err.message}\n`);
  process.exit(1);
});
req.end();
