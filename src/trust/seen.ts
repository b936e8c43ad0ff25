/**
 * The table of message ids already executed (docs/security.md: replay and dedupe):
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
  /** The pinned entries live at `nowMs`, in recording order (what the replay guard keeps on disk). */
  readonly pinnedEntries: (nowMs: number) => ReadonlyArray<SeenEntry>
}

/** One remembered id: recorded at `at`, remembered until `expires` (epoch ms). */
export interface SeenEntry {
  readonly key: string
  readonly at: number
  readonly expires: number
}

interface Entry {
  readonly at: number
  readonly expires: number
  /** Tells this recording apart from an earlier one of the same key still in the order queue. */
  readonly seq: number
}

/**
 * One class of entries: a Map for lookups and a queue of keys in recording
 * order. Taking the oldest entry of a Map (its first key) is not O(1) in V8:
 * deleted slots stay until a rehash and every scan from the front steps over
 * them, so a full table under a stream of fresh ids slowed to ~30k records/s.
 * The queue keeps that O(1) amortised; stale queue items (a key recorded
 * again, expired or evicted) are skipped by their `seq`.
 */
interface Ordered {
  readonly entries: Map<string, Entry>
  order: Array<readonly [string, number]>
  head: number
}

const ordered = (): Ordered => ({ entries: new Map(), order: [], head: 0 })

/** The oldest live entry's key, dropping stale queue items on the way. */
const oldest = (o: Ordered): string | undefined => {
  while (o.head < o.order.length) {
    const [key, seq] = o.order[o.head]!
    if (o.entries.get(key)?.seq === seq) return key
    o.head++
  }
  return undefined
}

/** Drops the consumed front of the queue once it is the larger part. */
const compact = (o: Ordered): void => {
  if (o.head > 1024 && o.head * 2 > o.order.length) {
    o.order = o.order.slice(o.head)
    o.head = 0
  }
}

/**
 * Two classes kept in recording order (pinned and unpinned entries):
 * expired entries are swept from their fronts on every record, and when the
 * table is full the oldest unpinned entry is evicted first.
 * Expiries need not follow recording order (a signed message is kept until
 * its _ts leaves the skew window), so before evicting a live entry a full
 * sweep drops expired ones further back; `earliestExpiry` (a lower bound)
 * limits full sweeps to when some entry may actually have expired.
 */
export const makeSeenTable = (capacity: number): SeenTable => {
  const pinned = ordered()
  const loose = ordered()
  let seq = 0
  const size = (): number => pinned.entries.size + loose.entries.size
  /** No entry expires before this; deletions leave it a valid (lower) bound. */
  let earliestExpiry = Number.POSITIVE_INFINITY
  const sweep = (o: Ordered, nowMs: number): void => {
    for (let key = oldest(o); key !== undefined; key = oldest(o)) {
      if (o.entries.get(key)!.expires > nowMs) break
      o.entries.delete(key)
      o.head++
    }
    compact(o)
  }
  const sweepAll = (nowMs: number): void => {
    earliestExpiry = Number.POSITIVE_INFINITY
    for (const o of [pinned, loose]) {
      for (const [key, entry] of o.entries) {
        if (entry.expires <= nowMs) o.entries.delete(key)
        else if (entry.expires < earliestExpiry) earliestExpiry = entry.expires
      }
    }
  }
  const evictOldest = (o: Ordered): void => {
    const key = oldest(o)
    if (key === undefined) return
    o.entries.delete(key)
    o.head++
    compact(o)
  }
  return {
    seenAt: (key, nowMs) => {
      const o = pinned.entries.has(key) ? pinned : loose
      const entry = o.entries.get(key)
      if (entry === undefined) return undefined
      if (entry.expires > nowMs) return entry.at
      o.entries.delete(key)
      return undefined
    },
    record: (key, nowMs, expiresAtMs, isPinned = false) => {
      pinned.entries.delete(key)
      loose.entries.delete(key)
      sweep(pinned, nowMs)
      sweep(loose, nowMs)
      if (size() >= capacity && earliestExpiry <= nowMs) sweepAll(nowMs)
      let evicted = 0
      while (size() >= capacity) {
        if (loose.entries.size > 0) evictOldest(loose)
        else if (isPinned) evictOldest(pinned)
        else return evicted
        evicted++
      }
      const o = isPinned ? pinned : loose
      seq++
      o.entries.set(key, { at: nowMs, expires: expiresAtMs, seq })
      o.order.push([key, seq])
      if (expiresAtMs < earliestExpiry) earliestExpiry = expiresAtMs
      return evicted
    },
    size,
    pinnedEntries: (nowMs) => {
      const live: Array<SeenEntry> = []
      for (const [key, entry] of pinned.entries) if (entry.expires > nowMs) live.push({ key, at: entry.at, expires: entry.expires })
      // A Map iterates in insertion order, and `record` re-inserts: that is recording order.
      return live
    }
  }
}
