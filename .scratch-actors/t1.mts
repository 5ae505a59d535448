import { createActor, fromPromise } from 'xstate';
import { connectionMachine } from '../src/actors/connectionMachine.ts';
const sent: unknown[] = [];
const port = { transport: 'websocket' as const, remoteAddress: '1.2.3.4', send: () => true, close: () => {}, subscribe() {}, unsubscribe() {}, isAlive: () => true };
const m = connectionMachine.provide({
  actions: { send: (_, p) => { sent.push(p); }, close: (_, p) => sent.push(['close', p]) , sessionStarted: () => sent.push('started'), connectionClosed: ({context}) => sent.push(['closed', context.closing]) },
  actors: { verifyToken: fromPromise(async ({ input }) => ({ username: input.username, userId: 7, jti: 'j1', exp: Math.floor(Date.now()/1000) + 100 })) },
});
const a = createActor(m, { input: { sid: 's1', port, connectedAt: Date.now() } });
a.start();
a.send({ type: 'message', data: { x: 1 }, id: 3 });
a.send({ type: 'register_user', data: { token: 't', username: 'bob' }, id: 4 });
await new Promise((r) => setTimeout(r, 10));
console.log(a.getSnapshot().value);
a.send({ type: 'debug_connection', data: undefined, id: 5 });
a.send({ type: 'register_user', data: { token: 't', username: 'bob' }, id: 6 });
await new Promise((r) => setTimeout(r, 10));
console.log(a.getSnapshot().value, Object.keys(a.getSnapshot().children));
a.send({ type: 'REVOKE', code: 'session_replaced' });
console.log(a.getSnapshot().value);
a.send({ type: 'SOCKET_CLOSED', code: 1006, reason: '' });
console.log(a.getSnapshot().value, a.getSnapshot().status);
console.log(JSON.stringify(sent, null, 0));
