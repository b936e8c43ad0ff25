/**
 * The outbox file's encoding as properties: whatever a crash leaves (any prefix of a valid file, or a
 * damaged byte) reads back as a prefix of the records appended, and compaction keeps the live set and its order.
 */
import { FastCheck as fc } from "effect"
import { describe, expect, it } from "vitest"
import { compactRecords, decodeRecords, encodeRecord, liveEntries, type OutboxRecord } from "../../src/outbox/record.js"

const servers = ["a:1986", "b:1986", "nats://c:4222", "é:1"]

const entryArb = (seq: number) =>
  fc.record({
    id: fc.hexaString({ minLength: 1, maxLength: 32 }),
    channel: fc.string({ minLength: 1, maxLength: 12 }),
    text: fc.string({ maxLength: 60, unit: "binary" }),
    plain: fc.boolean(),
    origin: fc.string({ maxLength: 10 }),
    acceptedMs: fc.nat(),
    targets: fc.subarray(servers, { minLength: 1 })
  }).map((fields): OutboxRecord => ({ _tag: "Entry", entry: { seq, ...fields } }))

/** A run of appends: entries in acceptance order, done marks for earlier entries (or none: seq 0) between them. */
const recordsArb = fc.array(fc.oneof(fc.constant("entry" as const), fc.tuple(fc.nat(40), fc.constantFrom(...servers))), { maxLength: 40 })
  .chain((steps) => {
    let seq = 0
    return fc.tuple(...steps.map((step) =>
      step === "entry" ? entryArb(++seq) : fc.constant<OutboxRecord>({ _tag: "Done", seq: seq === 0 ? 0 : (step[0] % seq) + 1, server: step[1] })
    ))
  })

const encodeAll = (records: ReadonlyArray<OutboxRecord>): Buffer => Buffer.concat(records.map(encodeRecord))

describe("outbox records", () => {
  it("a whole file reads back as the records appended", () => {
    fc.assert(fc.property(recordsArb, (records) => {
      const decoded = decodeRecords(encodeAll(records))
      expect(decoded.records).toEqual(records)
      expect(decoded.tornBytes).toBe(0)
    }))
  })

  it("any prefix of a file (a crash mid-write) reads back as the longest whole prefix of the records", () => {
    fc.assert(fc.property(recordsArb, fc.double({ min: 0, max: 1, noNaN: true }), (records, at) => {
      const bytes = encodeAll(records)
      const cut = Math.floor(bytes.length * at)
      const decoded = decodeRecords(bytes.subarray(0, cut))
      let whole = 0
      let length = 0
      for (const record of records) {
        const next = length + encodeRecord(record).length
        if (next > cut) break
        length = next
        whole++
      }
      expect(decoded.records).toEqual(records.slice(0, whole))
      expect(decoded.validBytes).toBe(length)
      expect(decoded.tornBytes).toBe(cut - length)
    }))
  })

  it("a damaged byte ends the readable part at the record that holds it", () => {
    fc.assert(fc.property(recordsArb.filter((r) => r.length > 0), fc.nat(), fc.integer({ min: 1, max: 255 }), (records, where, flip) => {
      const bytes = encodeAll(records)
      const at = where % bytes.length
      const damaged = Buffer.from(bytes)
      damaged[at] = damaged[at]! ^ flip
      const decoded = decodeRecords(damaged)
      // Every record before the damaged one survives; nothing after it is read.
      let start = 0
      let index = 0
      while (start + encodeRecord(records[index]!).length <= at) start += encodeRecord(records[index++]!).length
      expect(decoded.records).toEqual(records.slice(0, index))
    }))
  })

  it("compaction keeps the live entries, their remaining servers and their order", () => {
    fc.assert(fc.property(recordsArb, (records) => {
      const live = liveEntries(records)
      const compacted = decodeRecords(encodeAll(compactRecords(live)))
      expect(liveEntries(compacted.records)).toEqual(live.map(({ entry, remaining }) => ({ entry: { ...entry, targets: remaining }, remaining })))
      for (let i = 1; i < live.length; i++) expect(live[i]!.entry.seq).toBeGreaterThan(live[i - 1]!.entry.seq)
    }))
  })

  it("an entry is live until every one of its targets is marked done", () => {
    fc.assert(fc.property(recordsArb, (records) => {
      const done = new Set(records.flatMap((r) => (r._tag === "Done" ? [`${r.seq} ${r.server}`] : [])))
      const expected = records.flatMap((r) => {
        if (r._tag !== "Entry") return []
        const remaining = r.entry.targets.filter((t) => !done.has(`${r.entry.seq} ${t}`))
        return remaining.length === 0 ? [] : [{ entry: r.entry, remaining }]
      })
      expect(liveEntries(records)).toEqual(expected)
    }))
  })
})
