// Starts connection actors under a few shared "shard" parents. XState gives every root
// actor its own actor system (~1.7 KB); children share their parent's. Shards of bounded
// size keep that saving while bounding the scheduler's per-stop scan (cancelAll walks
// every delayed event of the system) to one shard's actors.

import { createActor } from 'xstate';
import type { ActorLogic, AnyActorLogic, ActorRefFromLogic, InputFrom, InspectionEvent, Snapshot } from 'xstate';
import type { Timers } from './presenceFeed.js';

/** Connection actors per shard: memory shared by this many, stop cost proportional to it. */
export const ACTORS_PER_SHARD = 128;

const DONE_PREFIX = 'xstate.done.actor.';
const ERROR_PREFIX = 'xstate.error.actor.';

interface Shard {
  live: number;
  readonly parent: ReturnType<typeof createActor<ShardLogic>>;
}

type ShardEvent = { type: string; error?: unknown };
type ShardLogic = ActorLogic<Snapshot<undefined> & { status: 'active' }, ShardEvent, undefined>;

/**
 * What a started pool actor no longer needs, measured with heap snapshots of 4,000 idle
 * connections (`npm run bench -- --only=memory --heap-snapshots=DIR`, bench/tools/heapDiff.ts):
 * - `options`, the `{...defaultOptions, ...options}` copy XState keeps: created at a call site
 *   that V8 has made megamorphic, every copy got a hidden class and descriptor array of its
 *   own (about 550 bytes with the input it holds). XState reads it only while starting (`input`)
 *   and in attachDevTools (`devTools`), so after start one shared object with `devTools: false`
 *   stands in.
 * - `observers` and `eventListeners`: an empty Set and Map with their hash tables (about 340
 *   bytes). Nothing subscribes to a connection actor or listens to what it emits (the hub
 *   talks to it through events and its snapshot), so they are shared empty ones that refuse
 *   to grow: a future subscriber fails loudly instead of sharing.
 * Together about 0.9 KB of the ~4 KB each idle connection cost.
 */
const STARTED_OPTIONS = Object.freeze({ devTools: false });
class NoObservers extends Set<never> {
  override add(): this {
    throw new Error('connection actors take no observers: the hub reads their snapshots');
  }
}
class NoListeners extends Map<string, never> {
  override set(): this {
    throw new Error('connection actors take no emitted-event listeners');
  }
}
const NO_OBSERVERS = new NoObservers();
const NO_LISTENERS = new NoListeners();

interface TrimmableActor {
  options?: unknown;
  observers?: Set<unknown>;
  eventListeners?: Map<string, unknown>;
}

/** Drops what a started actor keeps but never uses again (see above); true when it applied. */
export function trimStartedActor(actor: object): boolean {
  const a = actor as TrimmableActor;
  // Only the shapes this was measured on: an XState that changed them is left alone (and the
  // pool's unit test, which asserts the trim, fails).
  if (!(a.observers instanceof Set) || a.observers.size !== 0 || !(a.eventListeners instanceof Map) || a.eventListeners.size !== 0 || typeof a.options !== 'object') return false;
  a.options = STARTED_OPTIONS;
  a.observers = NO_OBSERVERS;
  a.eventListeners = NO_LISTENERS;
  return true;
}

export interface ActorPool<TLogic extends AnyActorLogic> {
  /** Creates and starts an actor with the given id (the connection's sid). */
  start(id: string, input: InputFrom<TLogic>): ActorRefFromLogic<TLogic>;
  /** Shards created so far (for tests and metrics). */
  readonly shards: number;
}

export function createActorPool<TLogic extends AnyActorLogic>(opts: {
  logic: TLogic;
  timers: Timers;
  /** A child failed (a bug in an action): it will never reach its final state by itself. */
  onError(id: string, error: unknown): void;
  shardSize?: number;
  /** XState's inspection of every actor (the inspector's transition history); off when absent. */
  inspect?: (event: InspectionEvent) => void;
}): ActorPool<TLogic> {
  const shardSize = opts.shardSize ?? ACTORS_PER_SHARD;
  const shards: Shard[] = [];
  let cursor = 0;

  function newShard(): Shard {
    let shard: Shard | undefined;
    // The parent only counts its children out: done (final state reached) or error.
    const logic: ShardLogic = {
      config: undefined,
      transition: (snapshot, event) => {
        if (shard !== undefined && (event.type.startsWith(DONE_PREFIX) || event.type.startsWith(ERROR_PREFIX))) {
          shard.live -= 1;
          if (event.type.startsWith(ERROR_PREFIX)) opts.onError(event.type.slice(ERROR_PREFIX.length), event.error);
        }
        return snapshot;
      },
      getInitialSnapshot: () => ({ status: 'active', output: undefined, error: undefined }),
      getPersistedSnapshot: (snapshot) => snapshot,
    };
    // Inspection is system-wide in XState: set on the shard parent, it sees every child.
    const parent = createActor(logic, { clock: opts.timers, ...(opts.inspect === undefined ? {} : { inspect: opts.inspect }) });
    parent.start();
    shard = { live: 0, parent };
    shards.push(shard);
    return shard;
  }

  function pick(): Shard {
    const current = shards[cursor];
    if (current !== undefined && current.live < shardSize) return current;
    for (let i = 0; i < shards.length; i++) {
      const shard = shards[i];
      if (shard !== undefined && shard.live < shardSize) {
        cursor = i;
        return shard;
      }
    }
    cursor = shards.length;
    return newShard();
  }

  return {
    start(id, input) {
      const shard = pick();
      shard.live += 1;
      const actor = createActor(opts.logic, { id, input, parent: shard.parent });
      actor.start();
      trimStartedActor(actor);
      return actor as ActorRefFromLogic<TLogic>;
    },
    get shards() {
      return shards.length;
    },
  };
}
