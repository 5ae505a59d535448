// The one-line start-up failures: what src/http/uws.ts and the config throw is what main.ts
// recognises (one shared class), so neither can drift into a "failed to start: ..." stack.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError } from '../src/config/index.js';
import { loadNativeTransport, NativeTransportError, NATIVE_BINARY } from '../src/http/uws.js';
import { StartupError, startupFailureLine } from '../src/startupError.js';

describe('startupFailureLine', () => {
  test('given a native binary that does not load, then the error is the shared class and printed as it is', () => {
    let caught: unknown;
    try {
      loadNativeTransport('uWebSockets.js/binaries/uws_no_such_platform.node');
    } catch (err) {
      caught = err;
    }
    assert.ok(caught instanceof NativeTransportError, String(caught));
    assert.ok(caught instanceof StartupError);
    assert.equal(caught.name, 'NativeTransportError');
    const line = startupFailureLine(caught);
    assert.match(line, /^uWebSockets\.js native binary uWebSockets\.js\/binaries\/uws_no_such_platform\.node did not load \(/);
    assert.match(line, /pure-JS fallback/);
    assert.ok(!line.includes('\n'));
  });

  test('given the binary of this platform, then it loads', () => {
    assert.equal(typeof loadNativeTransport(NATIVE_BINARY).App, 'function');
  });

  test('given a ConfigError, then its message is the line', () => {
    const err = new ConfigError('HTTP_PORT', 'must be an integer from 0 to 65535');
    assert.ok(err instanceof StartupError);
    assert.equal(err.name, 'ConfigError');
    assert.equal(startupFailureLine(err), 'HTTP_PORT: must be an integer from 0 to 65535');
  });

  test('given anything else, then the line says the start failed and why', () => {
    assert.equal(startupFailureLine(new Error('disk full')), 'failed to start: disk full');
    assert.equal(startupFailureLine('odd'), 'failed to start: odd');
  });
});
