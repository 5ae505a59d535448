// The password hash worker: computes argon2id (hash-wasm) and checks stored hashes, one
// job at a time on its own thread, so the main event loop never waits on a hash. Started
// only by passwords.ts, which parses stored hashes and owns the pool; this file trusts that.

import { pbkdf2Sync, scryptSync, timingSafeEqual } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { argon2id, argon2Verify } from 'hash-wasm';

export interface Argon2Params {
  readonly memoryKiB: number;
  readonly iterations: number;
  readonly parallelism: number;
  readonly hashBytes: number;
}

/**
 * A stored hash already parsed and bounds-checked by passwords.ts. Adding a scheme means a
 * member here, a parser in passwords.ts's `STORED_HASH_PARSERS`, and a case in `check`.
 */
export type StoredHash =
  | { readonly scheme: 'argon2id'; readonly encoded: string; readonly params: Argon2Params }
  | {
      readonly scheme: 'pbkdf2';
      readonly digest: 'sha1' | 'sha256' | 'sha512';
      readonly iterations: number;
      readonly salt: string;
      readonly expectedHex: string;
    }
  | {
      readonly scheme: 'scrypt';
      readonly n: number;
      readonly r: number;
      readonly p: number;
      readonly salt: string;
      readonly expectedHex: string;
    };

export type HashJob =
  | { readonly op: 'hash'; readonly password: string; readonly salt: Uint8Array; readonly params: Argon2Params }
  | { readonly op: 'verify'; readonly password: string; readonly stored: StoredHash };

export type HashRequest = HashJob & { readonly id: number };

export type HashResponse =
  | { readonly type: 'ready' }
  | { readonly type: 'done'; readonly id: number; readonly value: string | boolean }
  | { readonly type: 'failed'; readonly id: number; readonly error: string };

/** Werkzeug writes its digests as lowercase hex; compare bytes in constant time. */
function equalsHex(actual: Buffer, expectedHex: string): boolean {
  const expected = Buffer.from(expectedHex, 'hex');
  return expected.length === actual.length && timingSafeEqual(actual, expected);
}

// The legacy checks use the *Sync* crypto calls on purpose: blocking this thread is what
// the worker is for, and the async variants would run on libuv's process-wide threadpool
// (4 threads shared with fs and dns), outside the pool's queue bound and busy() count.
async function check(stored: StoredHash, password: string): Promise<boolean> {
  switch (stored.scheme) {
    case 'argon2id':
      // hash-wasm throws on an empty password and never hashes one, so none can match.
      return password !== '' && argon2Verify({ password, hash: stored.encoded });
    case 'pbkdf2': {
      const keyBytes = stored.expectedHex.length / 2;
      return equalsHex(pbkdf2Sync(password, stored.salt, stored.iterations, keyBytes, stored.digest), stored.expectedHex);
    }
    case 'scrypt': {
      const keyBytes = stored.expectedHex.length / 2;
      // Node refuses when 128·N·r reaches maxmem; twice that leaves room for the p blocks.
      const maxmem = 128 * stored.n * stored.r * 2;
      const key = scryptSync(password, stored.salt, keyBytes, { N: stored.n, r: stored.r, p: stored.p, maxmem });
      return equalsHex(key, stored.expectedHex);
    }
    default: {
      const unknown: never = stored;
      throw new Error(`unknown stored hash scheme ${JSON.stringify(unknown)}`);
    }
  }
}

async function run(job: HashJob): Promise<string | boolean> {
  if (job.op === 'verify') return check(job.stored, job.password);
  return argon2id({
    password: job.password,
    salt: job.salt,
    memorySize: job.params.memoryKiB,
    iterations: job.params.iterations,
    parallelism: job.params.parallelism,
    hashLength: job.params.hashBytes,
    outputType: 'encoded',
  });
}

const port = parentPort;
if (!port) throw new Error('hashWorker.ts must run in a worker thread (see passwords.ts)');

port.on('message', (request: HashRequest) => {
  run(request).then(
    (value) => port.postMessage({ type: 'done', id: request.id, value } satisfies HashResponse),
    (error: unknown) => port.postMessage({ type: 'failed', id: request.id, error: String(error) } satisfies HashResponse),
  );
});
// Proof of life: the pool counts workers that die before saying this as failed starts.
port.postMessage({ type: 'ready' } satisfies HashResponse);
