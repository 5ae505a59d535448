// Helpers for the deployment tests: the Dockerfile read as instructions, the image's start
// command run as a child process, self-signed certificate pairs, and raw TLS handshakes.

import { writeFileSync, renameSync, chmodSync } from 'node:fs';
import { connect } from 'node:tls';
import selfsigned from 'selfsigned';
import type { BeaconProcess } from '../support/process.js';

export interface Instruction {
  /** Upper-case keyword: FROM, RUN, COPY, ENV ... */
  keyword: string;
  args: string;
  /** Index of the build stage (FROM) the instruction belongs to. */
  stage: number;
}

/** Joins `\` continuations, drops comments and blank lines, and numbers the stages. */
export function parseDockerfile(text: string): Instruction[] {
  const logical: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || (line === '' && pending === '')) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    logical.push(`${pending}${line}`.trim());
    pending = '';
  }
  if (pending !== '') logical.push(pending.trim());
  let stage = -1;
  return logical
    .filter((l) => l !== '')
    .map((l) => {
      const [keyword = '', ...rest] = l.split(/\s+/);
      const upper = keyword.toUpperCase();
      if (upper === 'FROM') stage++;
      return { keyword: upper, args: rest.join(' '), stage };
    });
}

/** An exec-form argument list (`["a", "b"]`); shell form is refused, the image must not use it. */
export function execForm(args: string): string[] {
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string')) throw new Error(`not exec form: ${args}`);
  return parsed as string[];
}

/** `ENV A=1 B=2` (the only form the Dockerfile uses) as a record. */
export function envPairs(args: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of args.split(/\s+/)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`ENV in KEY=value form expected: ${pair}`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

export { spawnCommand } from '../support/process.js';

/** Resolves when stdout holds more than `already` lines matching `pattern`; rejects on exit or after `timeoutMs`. */
export function outputLine(p: BeaconProcess, pattern: RegExp, already: number, timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      const found = p.stdout().split('\n').filter((l) => matches(pattern, l));
      if (found.length > already) {
        done();
        resolve(found[already] as string);
      }
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`no ${pattern} on stdout within ${timeoutMs} ms; stderr: ${p.stderr()}`));
    }, timeoutMs);
    const done = (): void => {
      clearTimeout(timer);
      p.child.stdout?.off('data', check);
    };
    p.child.stdout?.on('data', check);
    void p.exited.then((code) => {
      done();
      reject(new Error(`exited (${code}) while waiting for ${pattern}: ${p.stderr()}`));
    });
    check();
  });
}

/** Number of stdout lines matching `pattern` so far. */
export function countLines(p: BeaconProcess, pattern: RegExp): number {
  return p.stdout().split('\n').filter((l) => matches(pattern, l)).length;
}

/** RegExp#test without the lastIndex state a /g pattern carries between calls. */
function matches(pattern: RegExp, line: string): boolean {
  pattern.lastIndex = 0;
  return pattern.test(line);
}

export interface Pems {
  cert: string;
  key: string;
}

export async function selfSignedPair(commonName: string): Promise<Pems> {
  const pems = await selfsigned.generate([{ name: 'commonName', value: commonName }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 86_400_000),
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  });
  return { cert: pems.cert, key: pems.private };
}

/** Replaces the files atomically (write aside, rename), as certbot's deploy step does; key mode 0600. */
export function installPair(pems: Pems, certFile: string, keyFile: string, keyMode = 0o600): void {
  writeFileSync(`${certFile}.new`, pems.cert);
  writeFileSync(`${keyFile}.new`, pems.key, { mode: keyMode });
  chmodSync(`${keyFile}.new`, keyMode);
  renameSync(`${certFile}.new`, certFile);
  renameSync(`${keyFile}.new`, keyFile);
}

export interface Handshake {
  protocol: string;
  fingerprint: string;
}

/**
 * One TLS handshake with 127.0.0.1:port. `ciphers` at SECLEVEL=0 lets this client offer
 * TLS 1.0/1.1 at all (OpenSSL 3 refuses to otherwise), so a refusal is the server's.
 */
export function handshake(port: number, versions: { min?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'; max?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3' } = {}): Promise<Handshake> {
  return new Promise((resolve, reject) => {
    const socket = connect(
      {
        host: '127.0.0.1',
        port,
        rejectUnauthorized: false,
        ciphers: 'DEFAULT:@SECLEVEL=0',
        ...(versions.min === undefined ? {} : { minVersion: versions.min }),
        ...(versions.max === undefined ? {} : { maxVersion: versions.max }),
      },
      () => {
        const result = { protocol: socket.getProtocol() ?? '', fingerprint: socket.getPeerCertificate().fingerprint256 };
        socket.end();
        resolve(result);
      },
    );
    socket.once('error', reject);
  });
}
