// A small typed event emitter: `on(name, handler)` returns the function that removes it.
// A handler that throws cannot break the client's own bookkeeping: its error is rethrown
// on a microtask, where the host reports it like any uncaught error.

export type Handler<T> = (data: T) => void;

export class Emitter<M> {
  readonly #handlers = new Map<keyof M, Set<Handler<never>>>();

  on<K extends keyof M>(name: K, handler: Handler<M[K]>): () => void {
    let set = this.#handlers.get(name);
    if (set === undefined) this.#handlers.set(name, (set = new Set()));
    set.add(handler as Handler<never>);
    return () => void set.delete(handler as Handler<never>);
  }

  /** Calls `handler` once, at the next `name`. */
  once<K extends keyof M>(name: K, handler: Handler<M[K]>): () => void {
    const off = this.on(name, (data) => {
      off();
      handler(data);
    });
    return off;
  }

  protected emit<K extends keyof M>(name: K, data: M[K]): void {
    for (const handler of [...(this.#handlers.get(name) ?? [])]) {
      try {
        (handler as Handler<M[K]>)(data);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}
