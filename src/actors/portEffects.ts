// The connection machine's transport effects bound to its port: greet, reply, noReply,
// push, farewell and close. A port that throws is logged and the actor carries on: an
// action that threw would stop the actor before `closed`, leaking its indexes.

import type { ConnectionContext, SendParams } from './connectionTypes.js';
import type { Farewell, Greeting } from './ports.js';

interface PortEffectLogger {
  warn(obj: object, msg: string): void;
}

/** What every effect reads of an action's arguments. */
interface EffectArgs {
  context: ConnectionContext;
}

export function portEffects(logger: PortEffectLogger) {
  // Inline try/catch rather than a helper: reply runs for every answer, without a closure per call.
  return {
    greet: ({ context }: EffectArgs, greeting: Greeting) => {
      try {
        context.port.greet(greeting);
      } catch (err) {
        logger.warn({ err }, 'port greet failed');
      }
    },
    reply: ({ context }: EffectArgs, p: SendParams) => {
      try {
        context.port.reply(p.event, p.data, p.id);
      } catch (err) {
        logger.warn({ err }, 'port reply failed');
      }
    },
    noReply: ({ context }: EffectArgs, p: { id: number | undefined }) => {
      if (p.id === undefined) return;
      try {
        context.port.noReply(p.id);
      } catch (err) {
        logger.warn({ err }, 'port noReply failed');
      }
    },
    push: ({ context }: EffectArgs, p: { event: string; data: unknown }) => {
      try {
        context.port.push(p.event, p.data);
      } catch (err) {
        logger.warn({ err }, 'port push failed');
      }
    },
    farewell: ({ context }: EffectArgs, farewell: Farewell) => {
      try {
        context.port.farewell(farewell);
      } catch (err) {
        logger.warn({ err }, 'port farewell failed');
      }
    },
    close: ({ context }: EffectArgs, p: { code: number; reason: string }) => {
      try {
        context.port.close(p.code, p.reason);
      } catch (err) {
        logger.warn({ err }, 'port close failed');
      }
    },
  };
}
