/**
 * The table of message ids already executed (SPEC §6 replay and dedupe):
 * entries expire, and the table never holds more than its capacity.
 */

export interface SeenTable {
  /** When `key` was recorded, if it was and has not expired. */
  readonly seenAt: (key: string, nowMs: number) => number | undefined
  /** Records `key` until `expiresAtMs`; returns how many live entries the capacity evicted to make room. */
  readonly record: (key: string, nowMs: number, expiresAtMs: number) => number
  readonly size: () => number
}

interface Entry {
  readonly at: number
  readonly expires: number
}

/**
 * A Map kept in insertion order: expired entries are swept from its front
 * on every record, and when it is full the oldest entry is evicted.
 */
export const makeSeenTable = (capacity: number): SeenTable => {
  const entries = new Map<string, Entry>()
  const sweep = (nowMs: number): void => {
    for (const [key, entry] of entries) {
      if (entry.expires > nowMs) return
      entries.delete(key)
    }
  }
  return {
    seenAt: (key, nowMs) => {
      const entry = entries.get(key)
      if (entry === undefined) return undefined
      if (entry.expires > nowMs) return entry.at
      entries.delete(key)
      return undefined
    },
    record: (key, nowMs, expiresAtMs) => {
      entries.delete(key)
      sweep(nowMs)
      let evicted = 0
      for (const oldest of entries.keys()) {
        if (entries.size < capacity) break
        entries.delete(oldest)
        evicted++
      }
      entries.set(key, { at: nowMs, expires: expiresAtMs })
      return evicted
    },
    size: () => entries.size
  }
}
