/**
 * Properties of `decideChunk`: a chunk decides exactly what deciding its deliveries
 * one by one would (each executed id recorded before the next), logs the same lines in arrival
 * order at any level, settles every settled delivery once, and never writes the table.
 */
import { FastCheck as fc } from "effect"
import * as Effect from "effect/Effect"
import * as LogLevel from "effect/LogLevel"
import { describe, expect, it } from "vitest"
import { decideChunk, type ChunkPlan } from "../../src/decide/chunk.js"
import { decisionLevel, decisionLine, outcomeOf } from "../../src/decide/outcome.js"
import { decide, recordExecuted } from "../../src/decide/pipeline.js"
import type { LogLine } from "../../src/log/batch.js"
import type { Delivery } from "../../src/transport/transport.js"
import { makeSeenTable, type SeenTable } from "../../src/trust/index.js"
import { decoded, NOW_MS, planOf } from "./plans.js"

const plan = planOf(decoded(`
node_name: receiver
servers:
  - host: hub1
    port: 1986
    filter:
      - key: action
        values: [banip, unbanip]
    channels:
      - name: Open
        action: "ban %ip%"
        filter:
          - key: jail
            values: [sshd]
`))

const IDS = ["0".repeat(32), "1".repeat(32), "2".repeat(32)]

/** Messages that reach every stage: run, filtered, bad type, own, bad grammar, bad envelope, missing key. */
const text = fc.tuple(
  fc.constantFrom(
    "jail=sshd, action=banip, ip=192.0.2.7",
    "jail=sshd, action=unbanip, ip=192.0.2.8",
    "jail=ftp, action=banip, ip=192.0.2.7",
    "jail=sshd, action=reload, ip=192.0.2.7",
    "jail=sshd, action=banip, ip=--help",
    "jail=sshd, action=banip",
    "a=1, a=2",
    "jail=sshd, action=banip, ip=192.0.2.7, _origin=receiver",
    "jail=sshd, action=banip, ip=192.0.2.7, _id=XYZ",
    "plain text"
  ),
  fc.option(fc.constantFrom(...IDS), { nil: undefined })
).map(([body, id]) => (id === undefined || body.includes("_id") || !body.includes("=") ? body : `${body}, _id=${id}`))

const delivery = fc.record({
  channel: fc.constantFrom("Open", "Open", "Open", "all", "Other"),
  message: text,
  settled: fc.boolean()
}).map(({ channel, message, settled }): Delivery => ({
  server: "hub1:1986",
  channel,
  message,
  // A settle hook of its own, so a step tells which delivery it settles.
  ...(settled ? { settle: { ack: Effect.void, retry: () => Effect.void } } : {})
}))

const LEVELS = [LogLevel.All, LogLevel.Debug, LogLevel.Info, LogLevel.Warning, LogLevel.Error]

const input = fc.record({
  deliveries: fc.array(delivery, { maxLength: 25 }),
  /** Ids already executed, some seconds ago. */
  remembered: fc.subarray(IDS),
  minLevel: fc.constantFrom(...LEVELS)
})

const tableWith = (ids: ReadonlyArray<string>): SeenTable => {
  const seen = makeSeenTable(100)
  for (const id of ids) seen.record(`Open!${id}`, NOW_MS - 5_000, NOW_MS + 60_000)
  return seen
}

/** The oracle: each delivery decided in turn, each executed id recorded before the next. */
const oneByOne = (deliveries: ReadonlyArray<Delivery>, seen: SeenTable, minLevel: LogLevel.LogLevel) =>
  deliveries.map((d) => {
    const decision = decide(plan, d, { nowMs: NOW_MS, seen })
    if (decision._tag === "Execute" && decision.record !== undefined) recordExecuted(seen, decision.record, NOW_MS)
    const line: LogLine | undefined = LogLevel.greaterThanEqual(decisionLevel(decision), minLevel) ? decisionLine(decision, d) : undefined
    return { executes: decision._tag === "Execute", label: outcomeOf(decision).label, line }
  })

const planned = (deliveries: ReadonlyArray<Delivery>, ids: ReadonlyArray<string>, minLevel: LogLevel.LogLevel): ChunkPlan =>
  decideChunk({ plan, deliveries, nowMs: NOW_MS, minLevel, seen: tableWith(ids) })

describe("decideChunk (properties)", () => {
  it("runs and counts what deciding one by one (recording each executed id) would", () => {
    fc.assert(fc.property(input, ({ deliveries, remembered, minLevel }) => {
      const expected = oneByOne(deliveries, tableWith(remembered), minLevel)
      const result = planned(deliveries, remembered, minLevel)
      const submitted = result.steps.flatMap((step) => (step._tag === "Submit" ? [deliveries.indexOf(step.delivery)] : []))
      expect(submitted).toEqual(expected.flatMap((e, i) => (e.executes ? [i] : [])))
      const counts = new Map<string, number>()
      for (const e of expected) counts.set(e.label, (counts.get(e.label) ?? 0) + 1)
      expect(new Map(result.counts.map((c) => [c.label, c.n]))).toEqual(counts)
    }))
  })

  it("logs the same lines, in arrival order, each before the step of a later delivery, at any level", () => {
    fc.assert(fc.property(input, ({ deliveries, remembered, minLevel }) => {
      const expected = oneByOne(deliveries, tableWith(remembered), minLevel)
      const result = planned(deliveries, remembered, minLevel)
      expect(result.steps.flatMap((step) => (step._tag === "Log" ? step.lines : []))).toEqual(expected.flatMap((e) => (e.line ? [e.line] : [])))
      // When the step of delivery i runs, exactly the lines of deliveries 0..i are out.
      let logged = 0
      for (const step of result.steps) {
        if (step._tag === "Log") logged += step.lines.length
        else if (step._tag !== "Remember") {
          const i = deliveries.findIndex((d) => (step._tag === "Submit" ? d === step.delivery : d.settle === step.settle))
          expect(logged).toBe(expected.slice(0, i + 1).filter((e) => e.line).length)
        }
      }
    }))
  })

  it("settles every settled delivery exactly once, by an action's ack or at once, and nothing else", () => {
    fc.assert(fc.property(input, ({ deliveries, remembered, minLevel }) => {
      const result = planned(deliveries, remembered, minLevel)
      const settledBy = result.steps.flatMap((step) =>
        step._tag === "Submit" ? (step.delivery.settle ? [step.delivery.settle] : []) : step._tag === "Settle" ? [step.settle] : []
      )
      expect(settledBy).toEqual(deliveries.flatMap((d) => (d.settle ? [d.settle] : [])))
    }))
  })

  it("never writes the table, and a removed server decides nothing", () => {
    fc.assert(fc.property(input, ({ deliveries, remembered, minLevel }) => {
      const seen = tableWith(remembered)
      decideChunk({ plan, deliveries, nowMs: NOW_MS, minLevel, seen })
      expect(seen.size()).toBe(remembered.length)
      const removed = decideChunk({ plan: undefined, deliveries, nowMs: NOW_MS, minLevel, seen })
      expect(removed.counts).toEqual([])
      expect(removed.steps.every((step) => step._tag === "Settle" && step.how === "Retry")).toBe(true)
    }))
  })
})
