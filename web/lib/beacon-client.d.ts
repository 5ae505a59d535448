// Types of web/lib/beacon-client.js, the client library bundled from client/ by
// scripts/build.mjs: the console's modules import the bundle and are checked against the source.
export * from '../../client/src/index.js';
