// Reads a request body with a hard size cap, refusing by Content-Length before reading
// when it can, and copies uWS's chunks (they are neutered when the callback returns).

import type { HttpResponse } from 'uWebSockets.js';
import { BeaconError } from '../errors.js';

export function readBody(res: HttpResponse, declaredLength: string, maxBytes: number): Promise<Buffer> {
  if (declaredLength !== '') {
    const n = Number(declaredLength);
    if (!Number.isSafeInteger(n) || n < 0) return Promise.reject(new BeaconError('invalid_request', { message: 'Bad Content-Length' }));
    if (n > maxBytes) return Promise.reject(new BeaconError('payload_too_large'));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    res.onData((chunk, isLast) => {
      if (done) return;
      size += chunk.byteLength;
      if (size > maxBytes) {
        done = true;
        reject(new BeaconError('payload_too_large'));
        return;
      }
      chunks.push(Buffer.from(chunk.slice(0)));
      if (isLast) {
        done = true;
        resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
      }
    });
  });
}

/** Parses JSON strictly as UTF-8; malformed JSON is a 400 `invalid_request`. */
export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    throw new BeaconError('invalid_request', { message: 'Malformed JSON body' });
  }
}
