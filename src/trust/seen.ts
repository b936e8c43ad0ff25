/**
 * The table of message ids already executed (SPEC §6 replay and dedupe):
 * entries expire, and the table never holds more than its capacity.
 */

export interface SeenTable {
  /** When `key` was recorded, if it was and has not expired. */
  readonly seenAt: (key: string, nowMs: number) => number | undefined
  /**
   * Records `key` until `expiresAtMs`; returns how many live entries the
   * capacity evicted to make room. A `pinned` entry (a signed channel's: it
   * is the replay guard) is evicted only to make room for another pinned one,
   * so unsigned traffic, which anyone can send, cannot flush it; an unpinned
   * key that finds the table full of pinned ones is not recorded.
   */
  readonly record: (key: string, nowMs: number, expiresAtMs: number, pinned?: boolean) => number
  readonly size: () => number
}

interface Entry {
  readonly at: number
  readonly expires: number
}

/**
 * Two Maps kept in insertion order (pinned and unpinned entries): expired
 * entries are swept from their fronts on every record, and when the table is
 * full the oldest unpinned entry is evicted first.
 * Expiries need not follow insertion order (a signed message is kept until
 * its _ts leaves the skew window), so before evicting a live entry a full
 * sweep drops expired ones further back; `earliestExpiry` (a lower bound)
 * limits full sweeps to when some entry may actually have expired.
 */
export const makeSeenTable = (capacity: number): SeenTable => {
  const pinned = new Map<string, Entry>()
  const loose = new Map<string, Entry>()
  const size = (): number => pinned.size + loose.size
  /** No entry expires before this; deletions leave it a valid (lower) bound. */
  let earliestExpiry = Number.POSITIVE_INFINITY
  const sweep = (entries: Map<string, Entry>, nowMs: number): void => {
    for (const [key, entry] of entries) {
      if (entry.expires > nowMs) return
      entries.delete(key)
    }
  }
  const sweepAll = (nowMs: number): void => {
    earliestExpiry = Number.POSITIVE_INFINITY
    for (const entries of [pinned, loose]) {
      for (const [key, entry] of entries) {
        if (entry.expires <= nowMs) entries.delete(key)
        else if (entry.expires < earliestExpiry) earliestExpiry = entry.expires
      }
    }
  }
  const evictOldest = (entries: Map<string, Entry>): void => {
    const oldest = entries.keys().next()
    if (oldest.done !== true) entries.delete(oldest.value)
  }
  return {
    seenAt: (key, nowMs) => {
      const entries = pinned.has(key) ? pinned : loose
      const entry = entries.get(key)
      if (entry === undefined) return undefined
      if (entry.expires > nowMs) return entry.at
      entries.delete(key)
      return undefined
    },
    record: (key, nowMs, expiresAtMs, isPinned = false) => {
      pinned.delete(key)
      loose.delete(key)
      sweep(pinned, nowMs)
      sweep(loose, nowMs)
      if (size() >= capacity && earliestExpiry <= nowMs) sweepAll(nowMs)
      let evicted = 0
      while (size() >= capacity) {
        if (loose.size > 0) evictOldest(loose)
        else if (isPinned) evictOldest(pinned)
        else return evicted
        evicted++
      }
      const entries = isPinned ? pinned : loose
      entries.set(key, { at: nowMs, expires: expiresAtMs })
      if (expiresAtMs < earliestExpiry) earliestExpiry = expiresAtMs
      return evicted
    },
    size
  }
}
