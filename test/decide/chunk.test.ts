/**
 * `decideChunk`: a chunk of deliveries as counts and ordered steps (log lines,
 * submits, settles), decided without sockets or fibers and without writing the table.
 */
import * as Effect from "effect/Effect"
import * as LogLevel from "effect/LogLevel"
import { describe, expect, it } from "vitest"
import { decideChunk, type Step } from "../../src/decide/chunk.js"
import type { Delivery, Settle } from "../../src/transport/transport.js"
import { makeSeenTable } from "../../src/trust/index.js"
import { decoded, deliveryOf, NOW_MS, planOf } from "./plans.js"

const config = decoded(`
node_name: receiver
servers:
  - host: hub1
    port: 1986
    channels:
      - name: Open
        action: "ban %ip%"
        filter:
          - key: jail
            values: [sshd]
`)
const plan = planOf(config)
const ID = "0123456789abcdef0123456789abcdef"
const ban = (ip: string, id = ID) => `jail=sshd, action=banip, ip=${ip}, _id=${id}`
const settle: Settle = { ack: Effect.void, retry: () => Effect.void }
const settled = (delivery: Delivery): Delivery => ({ ...delivery, settle })

const shape = (step: Step): string => {
  switch (step._tag) {
    case "Log":
      return `log ${step.lines.map((line) => line.message).join(" | ")}`
    case "Submit":
      return `submit ${step.argv.join(" ")}${step.record === undefined ? "" : ` record ${step.record.key}`}`
    case "Settle":
      return `settle ${step.how}`
    case "Remember":
      return `remember${step.record === undefined ? "" : ` ${step.record.key}`}${step.quorum === undefined ? "" : ` quorum ${[...step.quorum.hold.origins.keys()].join(",")}`}`
  }
}

describe("decideChunk", () => {
  it("two copies of one _id in a chunk run once; the second is a duplicate, and the table is not written", () => {
    const seen = makeSeenTable(100)
    const plan0 = decideChunk({
      plan,
      deliveries: [deliveryOf("Open", ban("192.0.2.1")), deliveryOf("Open", ban("192.0.2.1"))],
      nowMs: NOW_MS,
      minLevel: LogLevel.Info,
      seen
    })
    expect(plan0.steps.map(shape)).toEqual([
      `submit ban 192.0.2.1 record Open!${ID}`,
      `log skipped at duplicate: duplicate of _id=${ID} executed 0.0 s ago (received through another server, or replayed)`
    ])
    expect(plan0.counts).toEqual([
      { outcome: "executed", stage: "execute", label: "executed", n: 1 },
      { outcome: "skipped", stage: "duplicate", label: "skipped at duplicate", n: 1 }
    ])
    expect(seen.size()).toBe(0)
  })

  it("an id already in the table is a duplicate", () => {
    const seen = makeSeenTable(100)
    seen.record(`Open!${ID}`, NOW_MS - 2_000, NOW_MS + 60_000)
    const { steps } = decideChunk({ plan, deliveries: [deliveryOf("Open", ban("192.0.2.1"))], nowMs: NOW_MS, minLevel: LogLevel.Info, seen })
    expect(steps.map(shape)).toEqual([`log skipped at duplicate: duplicate of _id=${ID} executed 2.0 s ago (received through another server, or replayed)`])
  })

  it("a flood the level does not log is counts only: no step at all", () => {
    const deliveries = Array.from({ length: 1000 }, (_, i) => deliveryOf("Open", `jail=ftp, ip=192.0.2.${i % 250}`))
    const result = decideChunk({ plan, deliveries, nowMs: NOW_MS, minLevel: LogLevel.Error, seen: makeSeenTable(10) })
    expect(result.steps).toEqual([])
    expect(result.counts).toEqual([{ outcome: "rejected", stage: "filter", label: "rejected at filter", n: 1000 }])
  })

  it("keeps arrival order: lines before an action are flushed before it, a settled message's line before its ack", () => {
    const { steps } = decideChunk({
      plan,
      deliveries: [
        deliveryOf("Open", "jail=ftp, ip=192.0.2.1"),
        deliveryOf("all", "x"),
        deliveryOf("Open", ban("192.0.2.2")),
        settled(deliveryOf("Open", "jail=sshd, ip=--x")),
        deliveryOf("Open", "jail=ftp, ip=192.0.2.3")
      ],
      nowMs: NOW_MS,
      minLevel: LogLevel.Debug,
      seen: makeSeenTable(10)
    })
    expect(steps.map(shape)).toEqual([
      `log rejected at filter: jail="ftp" is not one of [sshd] (channel filter) | ignored: delivery on reserved channel "all" | accepted`,
      `submit ban 192.0.2.2 record Open!${ID}`,
      `log rejected at types: ip="--x" starts with "-" (it could pass as an option)`,
      "settle Ack",
      `log rejected at filter: jail="ftp" is not one of [sshd] (channel filter)`
    ])
  })

  it("annotates each line with its channel, its message and the key its stage blames", () => {
    const { steps } = decideChunk({
      plan,
      deliveries: [deliveryOf("Open", "jail=sshd, ip=nope")],
      nowMs: NOW_MS,
      minLevel: LogLevel.Info,
      seen: makeSeenTable(10)
    })
    expect(steps[0]).toEqual({
      _tag: "Log",
      lines: [{ level: LogLevel.Warning, message: "rejected at types: ip=\"nope\" is not an IP address", annotations: { channel: "Open", message: "jail=sshd, ip=nope", key: "ip" } }]
    })
  })

  it("a server removed by a reload: nothing is decided or counted, a settled message goes back", () => {
    const result = decideChunk({
      plan: undefined,
      deliveries: [deliveryOf("Open", ban("192.0.2.1")), settled(deliveryOf("Open", ban("192.0.2.2")))],
      nowMs: NOW_MS,
      minLevel: LogLevel.Debug,
      seen: makeSeenTable(10)
    })
    expect(result.counts).toEqual([])
    expect(result.steps.map(shape)).toEqual(["settle Retry"])
  })

  it("a submit carries the order key's value, else the body behind a NUL", () => {
    const byHost = planOf({ ...config, order_key: "host" })
    const deliveries = [deliveryOf("Open", "jail=sshd, ip=192.0.2.9"), deliveryOf("Open", "jail=sshd, ip=192.0.2.8, host=web1")]
    const orderKeys = (p: typeof plan) =>
      decideChunk({ plan: p, deliveries, nowMs: NOW_MS, minLevel: LogLevel.Error, seen: makeSeenTable(10) }).steps.map((step) =>
        step._tag === "Submit" ? step.orderKey : step._tag
      )
    expect(orderKeys(plan)).toEqual(["192.0.2.9", "192.0.2.8"])
    expect(orderKeys(byHost)).toEqual(["\u0000jail=sshd, ip=192.0.2.9", "web1"])
  })
})
