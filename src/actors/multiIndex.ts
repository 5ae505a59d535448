// An index from a key to one or more values that stores the common case (exactly one
// value: one connection per token, most users on one device) without allocating a Set,
// which matters at tens of thousands of idle connections.

export class MultiIndex<K, V extends object> {
  private readonly map = new Map<K, V | Set<V>>();

  add(key: K, value: V): void {
    const cur = this.map.get(key);
    if (cur === undefined) this.map.set(key, value);
    else if (cur instanceof Set) cur.add(value);
    else if (cur !== value) this.map.set(key, new Set([cur, value]));
  }

  remove(key: K, value: V): void {
    const cur = this.map.get(key);
    if (cur === undefined) return;
    if (!(cur instanceof Set)) {
      if (cur === value) this.map.delete(key);
      return;
    }
    cur.delete(value);
    if (cur.size === 1) this.map.set(key, cur.values().next().value as V);
    else if (cur.size === 0) this.map.delete(key);
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  /** A copy: callers may change the index while walking it. */
  get(key: K): V[] {
    const cur = this.map.get(key);
    if (cur === undefined) return [];
    return cur instanceof Set ? [...cur] : [cur];
  }

  get size(): number {
    return this.map.size;
  }
}
