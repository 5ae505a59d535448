// Password hashing: argon2id PHC strings computed in a pool of worker threads so the event
// loop never waits on a hash, plus checks of the Werkzeug pbkdf2/scrypt hashes inherited
// from the Flask application (callers rehash those on login, see needsRehash).

import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ARGON2_HASH_BYTES, ARGON2_ITERATIONS, ARGON2_MEMORY_KIB, ARGON2_PARALLELISM, ARGON2_SALT_BYTES, HASH_QUEUE_MAX } from '../constants.js';
import { BeaconError } from '../errors.js';
import type { Argon2Params, HashJob, HashResponse, StoredHash } from './hashWorker.js';

export interface PasswordHasher {
  /** A PHC argon2id string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`). */
  hash(password: string): Promise<string>;
  /** False on mismatch and for stored hashes in an unknown or malformed format. */
  verify(stored: string, password: string): Promise<boolean>;
  /** Same work as verify(), always false: used for unknown usernames so they cost what a wrong password costs. */
  verifyDummy(password: string): Promise<false>;
  /** Jobs waiting for a worker (for a Prometheus gauge). */
  queueDepth(): number;
  /** Workers running a job now (for a Prometheus gauge). */
  busy(): number;
  /** Terminates the workers; queued and running jobs reject with `unavailable`. */
  close(): Promise<void>;
}

export interface PasswordHasherOptions {
  workers?: number;
  queueMax?: number;
  argon2?: { memoryKiB: number; iterations: number; parallelism: number };
  /** Test seam: return a Worker to use for the n-th start (from 0), or undefined for the real one. */
  spawnWorker?: (n: number) => Worker | undefined;
}

export type StoredHashScheme = StoredHash['scheme'];

const DEFAULT_ARGON2: Argon2Params = {
  memoryKiB: ARGON2_MEMORY_KIB,
  iterations: ARGON2_ITERATIONS,
  parallelism: ARGON2_PARALLELISM,
  hashBytes: ARGON2_HASH_BYTES,
};

// Ceilings on the cost a *stored* hash may ask for, so one corrupt or planted row cannot
// make a login allocate gigabytes or spin for minutes. Generous against real-world hashes.
const STORED_ARGON2_MAX_MEMORY_KIB = 1024 * 1024;
const STORED_ARGON2_MAX_ITERATIONS = 64;
const STORED_ARGON2_MAX_PARALLELISM = 16;
const STORED_PBKDF2_MAX_ITERATIONS = 10_000_000;
const STORED_SCRYPT_MAX_BYTES = 256 * 1024 * 1024;
/** Worker exits in a row with no message from any worker between, after which the pool stops restarting them. */
const WORKER_START_FAILURES_MAX = 3;

const PBKDF2_DIGEST_BYTES = { sha1: 20, sha256: 32, sha512: 64 } as const;
const WERKZEUG_SCRYPT_KEY_BYTES = 64;

const ARGON2ID_PHC = /^\$argon2id\$v=19\$m=(\d{1,8}),t=(\d{1,4}),p=(\d{1,3})\$([A-Za-z0-9+/]{11,})\$([A-Za-z0-9+/]{6,})$/;
const WERKZEUG_PBKDF2 = /^pbkdf2:(sha1|sha256|sha512):(\d{1,9})\$([^$]+)\$([0-9a-f]+)$/;
const WERKZEUG_SCRYPT = /^scrypt:(\d{1,9}):(\d{1,3}):(\d{1,3})\$([^$]+)\$([0-9a-f]+)$/;

/** Unpadded base64 of length ≡ 1 (mod 4) cannot be decoded; hash-wasm would throw on it. */
const decodable = (b64: string): boolean => b64.length % 4 !== 1;

function parseArgon2id(stored: string): StoredHash | undefined {
  const [, m, t, p, salt, hash] = ARGON2ID_PHC.exec(stored) ?? [];
  if (m === undefined || t === undefined || p === undefined || salt === undefined || hash === undefined) return;
  const params = { memoryKiB: Number(m), iterations: Number(t), parallelism: Number(p), hashBytes: Math.floor((hash.length * 3) / 4) };
  const sane =
    params.parallelism >= 1 && params.parallelism <= STORED_ARGON2_MAX_PARALLELISM &&
    params.iterations >= 1 && params.iterations <= STORED_ARGON2_MAX_ITERATIONS &&
    params.memoryKiB >= 8 * params.parallelism && params.memoryKiB <= STORED_ARGON2_MAX_MEMORY_KIB;
  return sane && decodable(salt) && decodable(hash) ? { scheme: 'argon2id', encoded: stored, params } : undefined;
}

/** Werkzeug ≤ 2.x `pbkdf2:<digest>:<iterations>$salt$hex` (salt used as UTF-8 text, as-is). */
function parsePbkdf2(stored: string): StoredHash | undefined {
  const [, digest, iter, salt, expectedHex] = WERKZEUG_PBKDF2.exec(stored) ?? [];
  if (digest === undefined || iter === undefined || salt === undefined || expectedHex === undefined) return;
  const key = digest as keyof typeof PBKDF2_DIGEST_BYTES;
  const iterations = Number(iter);
  if (iterations < 1 || iterations > STORED_PBKDF2_MAX_ITERATIONS) return;
  if (expectedHex.length !== 2 * PBKDF2_DIGEST_BYTES[key]) return;
  return { scheme: 'pbkdf2', digest: key, iterations, salt, expectedHex };
}

/** Werkzeug 3 `scrypt:<N>:<r>:<p>$salt$hex` with a 64-byte key. */
function parseScrypt(stored: string): StoredHash | undefined {
  const [, nText, rText, pText, salt, expectedHex] = WERKZEUG_SCRYPT.exec(stored) ?? [];
  if (nText === undefined || rText === undefined || pText === undefined || salt === undefined || expectedHex === undefined) return;
  const [n, r, p] = [Number(nText), Number(rText), Number(pText)];
  const powerOfTwo = n > 1 && (n & (n - 1)) === 0;
  if (!powerOfTwo || r < 1 || p < 1 || 128 * n * r > STORED_SCRYPT_MAX_BYTES) return;
  if (expectedHex.length !== 2 * WERKZEUG_SCRYPT_KEY_BYTES) return;
  return { scheme: 'scrypt', n, r, p, salt, expectedHex };
}

/** The extension point for stored formats, keyed by the scheme name that opens the string. */
const STORED_HASH_PARSERS: Readonly<Record<string, (stored: string) => StoredHash | undefined>> = {
  $argon2id: parseArgon2id,
  pbkdf2: parsePbkdf2,
  scrypt: parseScrypt,
};

function parseStoredHash(stored: string): StoredHash | undefined {
  const prefix = /^\$?[^:$]*/.exec(stored)?.[0] ?? '';
  return Object.hasOwn(STORED_HASH_PARSERS, prefix) ? STORED_HASH_PARSERS[prefix]?.(stored) : undefined;
}

/** Which scheme a stored hash uses, or undefined when it is unknown or malformed (worth a log line). */
export function storedHashScheme(stored: string): StoredHashScheme | undefined {
  return parseStoredHash(stored)?.scheme;
}

/** True unless `stored` is argon2id at exactly the given (default: configured) parameters. */
export function needsRehash(stored: string, argon2: PasswordHasherOptions['argon2'] = DEFAULT_ARGON2): boolean {
  const parsed = parseStoredHash(stored);
  if (parsed?.scheme !== 'argon2id') return true;
  const { memoryKiB, iterations, parallelism, hashBytes } = parsed.params;
  return !(
    memoryKiB === argon2.memoryKiB && iterations === argon2.iterations &&
    parallelism === argon2.parallelism && hashBytes === ARGON2_HASH_BYTES
  );
}

// Node 20 does not apply loader hooks registered by `--import tsx` to a worker's entry
// module: an inherited execArgv, `execArgv: ['--import', 'tsx']` and the tsx CLI all fail
// with ERR_UNKNOWN_FILE_EXTENSION (tried on 20.20). Hooks registered *inside* the worker
// do apply to its later imports, so from TS source a tiny bootstrap registers tsx's public
// API and imports hashWorker.ts. Compiled, this file is passwords.js and loads hashWorker.js.
function spawnHashWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./hashWorker.js', import.meta.url));
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const entry = JSON.stringify(new URL('./hashWorker.ts', import.meta.url).href);
  const bootstrap = `import(${tsx}).then((tsx) => { tsx.register(); return import(${entry}); });`;
  // execArgv [] so a runtime that does hand the parent's tsx hooks on cannot stack two copies.
  return new Worker(bootstrap, { eval: true, execArgv: [] });
}

interface Job {
  readonly id: number;
  readonly work: HashJob;
  readonly resolve: (value: string | boolean) => void;
  readonly reject: (error: unknown) => void;
}

interface Slot {
  readonly worker: Worker;
  job: Job | undefined;
  failure: unknown;
}

export function createPasswordHasher(options: PasswordHasherOptions = {}): PasswordHasher {
  const size = Math.max(1, options.workers ?? availableParallelism() - 1);
  const queueMax = options.queueMax ?? HASH_QUEUE_MAX;
  const argon2: Argon2Params = { ...DEFAULT_ARGON2, ...options.argon2 };
  const slots = new Set<Slot>();
  const queue: Job[] = [];
  let closed = false;
  let closing: Promise<void> | undefined;
  let broken: unknown;
  let spawned = 0;
  let failedStarts = 0;
  let nextId = 1;

  const closedError = (): BeaconError => new BeaconError('unavailable', { message: 'Password hasher is closed' });

  function start(): void {
    const worker = options.spawnWorker?.(spawned++) ?? spawnHashWorker();
    const slot: Slot = { worker, job: undefined, failure: undefined };
    // Idle workers must not keep the process alive; a running job refs its worker.
    worker.unref();
    worker.on('message', (message: HashResponse) => onMessage(slot, message));
    worker.on('error', (error) => {
      slot.failure = error;
    });
    worker.on('exit', (code) => onExit(slot, code));
    slots.add(slot);
  }

  function assign(slot: Slot, job: Job): void {
    slot.job = job;
    slot.worker.ref();
    slot.worker.postMessage({ ...job.work, id: job.id });
  }

  function pump(): void {
    for (const slot of slots) {
      if (slot.job) continue;
      const job = queue.shift();
      if (!job) return;
      assign(slot, job);
    }
  }

  function onMessage(slot: Slot, message: HashResponse): void {
    failedStarts = 0;
    if (message.type === 'ready') return;
    const job = slot.job;
    if (job?.id !== message.id) return; // unreachable: a worker only ever holds one job
    slot.job = undefined;
    slot.worker.unref();
    if (message.type === 'done') job.resolve(message.value);
    else job.reject(new BeaconError('internal_error', { message: 'Password hash job failed', cause: new Error(message.error) }));
    pump();
  }

  function onExit(slot: Slot, code: number): void {
    slots.delete(slot);
    const job = slot.job;
    slot.job = undefined;
    if (closed) {
      job?.reject(closedError());
      return;
    }
    const cause = slot.failure ?? new Error(`hash worker exited with code ${code}`);
    job?.reject(new BeaconError('internal_error', { message: 'Password hash worker crashed', cause }));
    failedStarts += 1;
    // A worker that cannot even load (missing dependency, bad build) would otherwise be
    // restarted in a hot loop while every job fails one by one; give up and say so.
    if (failedStarts >= WORKER_START_FAILURES_MAX) {
      broken = cause;
      for (const queued of queue.splice(0)) queued.reject(new BeaconError('unavailable', { cause }));
      return;
    }
    start();
    pump();
  }

  function submit(work: HashJob): Promise<string | boolean> {
    return new Promise((resolve, reject) => {
      if (closed) return reject(closedError());
      if (broken !== undefined) return reject(new BeaconError('unavailable', { message: 'Password hash workers keep failing', cause: broken }));
      const job: Job = { id: nextId++, work, resolve, reject };
      const idle = [...slots].find((slot) => !slot.job);
      if (idle) assign(idle, job);
      else if (queue.length >= queueMax) reject(new BeaconError('unavailable', { message: 'Password hashing queue is full' }));
      else queue.push(job);
    });
  }

  async function hash(password: string): Promise<string> {
    // hash-wasm cannot hash ''; the length policy itself is the request schema's job.
    if (password === '') throw new BeaconError('invalid_request', { message: 'Password must not be empty' });
    const value = await submit({ op: 'hash', password, salt: randomBytes(ARGON2_SALT_BYTES), params: argon2 });
    if (typeof value !== 'string') throw new BeaconError('internal_error', { message: 'Hash worker answered a hash with a boolean' });
    return value;
  }

  let dummy: Promise<StoredHash> | undefined;
  function dummyHash(): Promise<StoredHash> {
    if (dummy) return dummy;
    const attempt = hash(randomBytes(32).toString('base64')).then((encoded) => {
      const parsed = parseStoredHash(encoded);
      if (!parsed) throw new BeaconError('internal_error', { message: `Unparseable dummy hash ${encoded}` });
      return parsed;
    });
    dummy = attempt;
    // Forget a failed attempt (a crash, a full queue) so the next unknown username retries;
    // the error itself still reaches whoever awaits `attempt`.
    attempt.catch(() => {
      if (dummy === attempt) dummy = undefined;
    });
    return attempt;
  }

  async function verifyDummy(password: string): Promise<false> {
    await submit({ op: 'verify', password, stored: await dummyHash() });
    return false;
  }

  for (let i = 0; i < size; i += 1) start();
  void dummyHash(); // at start, so the first unknown username costs no extra hash

  return {
    hash,
    verifyDummy,
    async verify(stored, password) {
      const parsed = parseStoredHash(stored);
      // A broken row still costs a real check, so it doesn't stand out by answering fast.
      if (!parsed) return verifyDummy(password);
      return (await submit({ op: 'verify', password, stored: parsed })) === true;
    },
    queueDepth: () => queue.length,
    busy: () => [...slots].filter((slot) => slot.job).length,
    close() {
      closed = true;
      for (const job of [...queue.splice(0), ...[...slots].map((slot) => slot.job)]) job?.reject(closedError());
      for (const slot of slots) slot.job = undefined;
      // Every caller of close() waits for the same termination.
      closing ??= Promise.all([...slots].map((slot) => slot.worker.terminate())).then(() => undefined);
      return closing;
    },
  };
}
