// This node's copy of the other nodes' connections, kept from the published presence
// changes and re-based on a snapshot whenever the stream may have had a gap (start, the
// subscriber reconnected). Each change is told to the local listeners once: a change is
// applied only if it moves the copy, and only if it is newer than the snapshot it follows.
// Own connections are not here: the node tells its listeners of them itself, at once.

import { CloseCode } from '../../constants.js';
import type { Clock } from '../../clock.js';
import type { EventOf } from '../../events/index.js';
import type { PresenceChange } from '../../ports/index.js';
import { parsePublished, type PublishedChanges, type Snapshot } from './presenceWire.js';

export const NODE_LOST_REASON = 'node lost';

export interface ClusterView {
  /** A raw message from the presence channel. */
  message(raw: string): void;
  /** The stream may have a gap: buffer changes until the next snapshot. */
  invalidate(): void;
  /** Re-bases the copy on `snapshot` and applies the buffered changes that follow it. */
  rebase(snapshot: Snapshot): void;
  readonly synced: boolean;
  /** When a node missing from Redis may be taken as gone (a rebase is due then), if any. */
  orphansDueAt(): number | undefined;
  /** Other nodes' connections known now. */
  readonly size: number;
  /** Each of them as the change that brought it (for a listener that arrives late). */
  current(): IterableIterator<EventOf<'ConnectionAuthenticated'>>;
}

export interface ClusterViewOptions {
  nodeId: string;
  clock: Clock;
  /**
   * How long a node absent from a snapshot keeps its connections here: after Redis lost its
   * data, every live node registers again within a heartbeat, so only one that has not done
   * so by then is gone (without this, everyone would flap offline and online again).
   */
  graceMs: number;
  emit(change: PresenceChange): void;
  onBad(raw: unknown): void;
  /**
   * A change was skipped (every change takes the next seq, so a jump means the subscriber
   * lost messages): the view is invalid until the next rebase, which the caller starts.
   */
  onGap(): void;
}

interface Entry {
  readonly node: string;
  readonly up: EventOf<'ConnectionAuthenticated'>;
}

export function createClusterView(options: ClusterViewOptions): ClusterView {
  const { nodeId, clock, emit } = options;
  const sids = new Map<string, Entry>();
  /** Nodes missing from the last snapshot, with the time their connections are dropped. */
  const orphans = new Map<string, number>();
  let lastSeq = 0;
  let synced = false;
  let buffer: PublishedChanges[] = [];

  const lost = (sid: string, entry: Entry): void => {
    sids.delete(sid);
    const userId = entry.up.data.userId;
    emit({ type: 'ConnectionClosed', data: { sid, userId, code: CloseCode.goingAway, reason: NODE_LOST_REASON } });
  };

  const apply = (p: PublishedChanges): void => {
    if (p.seq <= lastSeq) return;
    if (p.seq > lastSeq + 1) {
      synced = false;
      buffer.push(p);
      return options.onGap();
    }
    lastSeq = p.seq;
    // Own changes only keep the count: the node told its listeners of them already.
    if (p.node === nodeId) return;
    for (const { change } of p.changes) {
      if (change.type === 'ConnectionAuthenticated') {
        if (sids.has(change.data.sid)) continue;
        sids.set(change.data.sid, { node: p.node, up: change });
        emit(change);
      } else if (sids.delete(change.data.sid)) {
        emit(change);
      }
    }
  };

  return {
    message(raw) {
      const p = parsePublished(raw);
      if (p === undefined) return options.onBad(raw);
      if (!synced) buffer.push(p);
      else apply(p);
    },
    invalidate() {
      synced = false;
    },
    rebase(snapshot) {
      const now = clock.now();
      const present = new Set<string>();
      // Ups before downs: a user whose connection moved between sids never dips to none here.
      for (const [node, ups] of snapshot.nodes) {
        if (node === nodeId) continue;
        orphans.delete(node);
        for (const up of ups) {
          present.add(up.data.sid);
          if (sids.has(up.data.sid)) continue;
          sids.set(up.data.sid, { node, up });
          emit(up);
        }
      }
      for (const [sid, entry] of sids) {
        if (present.has(sid)) continue;
        if (snapshot.nodes.has(entry.node)) {
          lost(sid, entry);
          continue;
        }
        const due = orphans.get(entry.node);
        if (due === undefined) orphans.set(entry.node, now + options.graceMs);
        else if (due <= now) lost(sid, entry);
      }
      for (const [node, due] of orphans) if (due <= now) orphans.delete(node);
      lastSeq = snapshot.seq;
      synced = true;
      const held = buffer;
      buffer = [];
      for (const p of held) {
        if (synced) apply(p);
        else buffer.push(p);
      }
    },
    get synced() {
      return synced;
    },
    orphansDueAt() {
      let first: number | undefined;
      for (const due of orphans.values()) if (first === undefined || due < first) first = due;
      return first;
    },
    get size() {
      return sids.size;
    },
    *current() {
      for (const entry of sids.values()) yield entry.up;
    },
  };
}
