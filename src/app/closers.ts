// One list of what must be stopped, in the order it was started. Stopping walks it
// backwards twice: first every part stops taking new work (quiesce), then every part
// finishes and releases what it holds (close), so the log closes after the last request.

export interface Closer {
  readonly name: string;
  /** Stop taking new work: stop listening, tell clients, stop timers. */
  quiesce?(): void | Promise<void>;
  /** Finish what is in flight and release resources. */
  close?(): void | Promise<void>;
}

export interface Closers {
  add(closer: Closer): void;
  /** Quiesces, then closes, everything added, newest first. A failing part does not stop the rest. */
  stopAll(onError: (err: unknown, name: string) => void): Promise<void>;
}

export function createClosers(): Closers {
  const list: Closer[] = [];
  return {
    add: (closer) => void list.push(closer),
    async stopAll(onError) {
      const reversed = list.splice(0).reverse();
      for (const phase of ['quiesce', 'close'] as const) {
        for (const closer of reversed) {
          try {
            await closer[phase]?.();
          } catch (err) {
            onError(err, closer.name);
          }
        }
      }
    },
  };
}
