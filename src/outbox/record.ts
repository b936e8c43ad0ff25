/**
 * The outbox file's records, pure: how an entry and a done mark are written, how a file (or any prefix
 * of one, as `kill -9` may leave it) is read back, and which entries are still live.
 */
import { decodeFrames, encodeFrame, type Frames } from "../state/frame.js"

/** A message handed off and not yet confirmed by every target server. */
export interface Entry {
  /** Acceptance order, from 1: entries of one server go out in this order. */
  readonly seq: number
  /** The envelope's `_id` (every attempt keeps it); for a plain-text message, the outbox's own id. */
  readonly id: string
  readonly channel: string
  /** The message as handed off, without envelope. */
  readonly text: string
  readonly plain: boolean
  /** The `_origin` it was accepted under. */
  readonly origin: string
  /** Epoch milliseconds of acceptance (`outbox_max_age` counts from here). */
  readonly acceptedMs: number
  /** Names of the servers (`host:port`, NATS URLs) that must confirm it. */
  readonly targets: ReadonlyArray<string>
}

/** One record: an entry, or the end of an entry for one server (confirmed or dropped). */
export type OutboxRecord =
  | { readonly _tag: "Entry"; readonly entry: Entry }
  | { readonly _tag: "Done"; readonly seq: number; readonly server: string }

const bodyOf = (record: OutboxRecord): unknown =>
  record._tag === "Done"
    ? { d: [record.seq, record.server] }
    : { e: [record.entry.seq, record.entry.id, record.entry.channel, record.entry.text, record.entry.plain ? 1 : 0, record.entry.origin, record.entry.acceptedMs, record.entry.targets] }

/** One record as bytes (a journal frame of state/frame.ts). */
export const encodeRecord = (record: OutboxRecord): Buffer => encodeFrame(bodyOf(record))

const isStrings = (value: unknown): value is ReadonlyArray<string> => Array.isArray(value) && value.every((v) => typeof v === "string")

/** The record a checked body holds, or undefined when its shape is wrong. */
const recordOf = (json: unknown): OutboxRecord | undefined => {
  if (typeof json !== "object" || json === null) return undefined
  if ("d" in json && Array.isArray(json.d)) {
    const [seq, server] = json.d as ReadonlyArray<unknown>
    return typeof seq === "number" && typeof server === "string" ? { _tag: "Done", seq, server } : undefined
  }
  if (!("e" in json) || !Array.isArray(json.e)) return undefined
  const [seq, id, channel, text, plain, origin, acceptedMs, targets] = json.e as ReadonlyArray<unknown>
  if (typeof seq !== "number" || typeof id !== "string" || typeof channel !== "string" || typeof text !== "string") return undefined
  if (typeof origin !== "string" || typeof acceptedMs !== "number" || !isStrings(targets)) return undefined
  return { _tag: "Entry", entry: { seq, id, channel, text, plain: plain === 1, origin, acceptedMs, targets } }
}

/** What a file held: its records up to the first unreadable one, and how many bytes were readable. */
export type Decoded = Frames<OutboxRecord>

/** Reads records until the bytes end or one is torn or altered; nothing after that is trusted. */
export const decodeRecords = (bytes: Uint8Array): Decoded => decodeFrames(bytes, recordOf)

/** An entry still owed to some servers: `remaining` in the entry's target order. */
export interface LiveEntry {
  readonly entry: Entry
  readonly remaining: ReadonlyArray<string>
}

/**
 * The live entries after `records`, in acceptance order: an entry stays while one of its targets has
 * not been marked done. A repeated entry or a done mark for an unknown entry changes nothing.
 */
export const liveEntries = (records: ReadonlyArray<OutboxRecord>): ReadonlyArray<LiveEntry> => {
  const live = new Map<number, { entry: Entry; remaining: Set<string> }>()
  for (const record of records) {
    if (record._tag === "Entry") {
      if (!live.has(record.entry.seq) && record.entry.targets.length > 0) live.set(record.entry.seq, { entry: record.entry, remaining: new Set(record.entry.targets) })
      continue
    }
    const owed = live.get(record.seq)
    if (owed === undefined) continue
    owed.remaining.delete(record.server)
    if (owed.remaining.size === 0) live.delete(record.seq)
  }
  return [...live.values()]
    .sort((a, b) => a.entry.seq - b.entry.seq)
    .map(({ entry, remaining }) => ({ entry, remaining: entry.targets.filter((target) => remaining.has(target)) }))
}

/** The compacted file: each live entry once, with only the servers it is still owed to as targets. */
export const compactRecords = (live: ReadonlyArray<LiveEntry>): ReadonlyArray<OutboxRecord> =>
  live.map(({ entry, remaining }) => ({ _tag: "Entry", entry: { ...entry, targets: remaining } }))
