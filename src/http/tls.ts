// TLS material for the HTTPS port: the operator's PEM files, or a self-signed certificate
// for localhost generated once into DATA_DIR (key mode 0600) and kept across restarts.

import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import selfsigned from 'selfsigned';
import { ConfigError } from '../config/index.js';
import { checkKeyPermissions } from '../config/keyFile.js';

export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  readonly generated: boolean;
}

const CERT_NAME = 'tls-cert.pem';
const KEY_NAME = 'tls-key.pem';
const SELF_SIGNED_DAYS = 825;

export async function resolveTls(options: { certFile?: string; keyFile?: string; dataDir: string }): Promise<TlsFiles> {
  if (options.certFile !== undefined && options.keyFile !== undefined) {
    if (!existsSync(options.certFile)) throw new ConfigError('TLS_CERT_FILE', `${options.certFile} does not exist`);
    checkKeyPermissions(options.keyFile, 'TLS_KEY_FILE');
    return { certFile: options.certFile, keyFile: options.keyFile, generated: false };
  }
  mkdirSync(options.dataDir, { recursive: true });
  const certFile = join(options.dataDir, CERT_NAME);
  const keyFile = join(options.dataDir, KEY_NAME);
  if (existsSync(certFile) && existsSync(keyFile)) {
    chmodSync(keyFile, 0o600);
    return { certFile, keyFile, generated: false };
  }
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    notAfterDate: new Date(Date.now() + SELF_SIGNED_DAYS * 86_400_000),
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  writeFileSync(keyFile, pems.private, { mode: 0o600 });
  chmodSync(keyFile, 0o600);
  writeFileSync(certFile, pems.cert, { mode: 0o644 });
  return { certFile, keyFile, generated: true };
}
