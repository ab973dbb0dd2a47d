// The per-process caches of what this process wrote or opened (live holds, known runs, id ->
// tenant): a Map that keeps at most `limit` entries, where storing a key makes it the newest
// and the oldest stored goes beyond the limit. Never the truth: each user checks what it takes
// against the store. No I/O.

/** Stores `value` under `key` as the newest entry; drops the oldest beyond `limit`. */
export function setBounded<K, V>(map: Map<K, V>, key: K, value: V, limit: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > limit) {
    const oldest = map.keys().next();
    if (oldest.done !== true) map.delete(oldest.value);
  }
}
