/**
 * The quorum stage in `decide` and `decideChunk`: held, run once, skipped; a replay is a duplicate,
 * one origin never makes a quorum, a hold expires after its window — with the tables written as the daemon does.
 */
import * as LogLevel from "effect/LogLevel"
import { describe, expect, it } from "vitest"
import type { Hold } from "../../src/cluster/quorum.js"
import { decideChunk, type ChunkPlan } from "../../src/decide/chunk.js"
import { recordExecuted } from "../../src/decide/decision.js"
import type { Delivery } from "../../src/transport/transport.js"
import { appendSignature, makeSeenTable } from "../../src/trust/index.js"
import { decoded, deliveryOf, envelopeOf, NOW_MS, NOW_S, planOf, SECRET, signedText, withSecrets } from "./plans.js"

const config = withSecrets(
  decoded(`
node_name: receiver
servers:
  - host: hub1
    port: 1986
    channels:
      - name: Fail2ban
        action: "ban %jail% %action% %ip%"
        secret_file: /k
        filter:
          - key: jail
            values: [sshd]
        quorum: { origins: 2, window: 60s, actions: [banip] }
`),
  [SECRET]
)
const plan = planOf(config)
const WINDOW_MS = 60_000

let ids = 0
/** A signed message from `origin`, as `f2bc publish` on that host sends it (a fresh _id unless given). */
const from = (origin: string, text: string, atMs = NOW_MS, id = (++ids).toString(16).padStart(32, "0")): Delivery =>
  deliveryOf("Fail2ban", signedText("Fail2ban", text, envelopeOf({ id, origin, ts: Math.floor(atMs / 1000) }), SECRET))

const BAN = "jail=sshd, action=banip, ip=192.0.2.7"

/** The daemon's two tables, written as the interpreter writes them (every submit is taken as queued). */
const daemon = () => {
  const seen = makeSeenTable(1000)
  const holds = new Map<string, Hold>()
  const run = (deliveries: ReadonlyArray<Delivery>, nowMs = NOW_MS): ChunkPlan => {
    const plan_ = decideChunk({ plan, deliveries, nowMs, minLevel: LogLevel.Info, seen, quorum: { holdOf: (key) => holds.get(key) } })
    for (const step of plan_.steps) {
      if (step._tag !== "Submit" && step._tag !== "Remember") continue
      if (step.record !== undefined) recordExecuted(seen, step.record, nowMs)
      if (step.quorum !== undefined) holds.set(step.quorum.key, step.quorum.hold)
    }
    return plan_
  }
  return { run, holds }
}

const lines = (plan_: ChunkPlan): ReadonlyArray<string> => plan_.steps.flatMap((step) => (step._tag === "Log" ? step.lines.map((l) => l.message) : []))
const submits = (plan_: ChunkPlan): ReadonlyArray<string> =>
  plan_.steps.flatMap((step) => (step._tag === "Submit" ? [step.argv.join(" ")] : []))
const counts = (plan_: ChunkPlan): Record<string, number> => Object.fromEntries(plan_.counts.map((c) => [`${c.outcome}/${c.stage}`, c.n]))

describe("quorum: { origins: 2 } in the pipeline", () => {
  it("holds the first origin's ban (logged, its id and count remembered), runs it at the second's, skips a third's", () => {
    const d = daemon()
    const first = d.run([from("web-a", BAN)])
    expect(submits(first)).toEqual([])
    expect(lines(first)).toEqual(["held at quorum: 1 of 2 origins"])
    expect(counts(first)).toEqual({ "held/quorum": 1 })
    expect(first.steps.map((s) => s._tag)).toEqual(["Log", "Remember"])
    const second = d.run([from("web-b", BAN)], NOW_MS + 1000)
    expect(submits(second)).toEqual(["ban sshd banip 192.0.2.7"])
    expect(counts(second)).toEqual({ "executed/execute": 1 })
    const third = d.run([from("web-c", BAN)], NOW_MS + 2000)
    expect(submits(third)).toEqual([])
    expect(lines(third)).toEqual(["skipped at quorum: the quorum was reached and the action ran 1.0 s ago"])
    expect(counts(third)).toEqual({ "skipped/quorum": 1 })
  })

  it("two origins in one chunk make the quorum: the second sees the first's count before the table has it", () => {
    const d = daemon()
    expect(submits(d.run([from("web-a", BAN), from("web-b", BAN), from("web-c", BAN)]))).toEqual(["ban sshd banip 192.0.2.7"])
  })

  it("a replay of the first origin's message is a duplicate, not a second count", () => {
    const d = daemon()
    const message = from("web-a", BAN)
    d.run([message])
    const replay = d.run([message], NOW_MS + 1000)
    expect(lines(replay)[0]).toMatch(/^skipped at duplicate: /)
    expect(submits(replay)).toEqual([])
    // Still one origin counted: the second origin is what runs it.
    expect(submits(d.run([from("web-b", BAN)], NOW_MS + 2000))).toEqual(["ban sshd banip 192.0.2.7"])
  })

  it("messages from one origin never make a quorum, with fresh ids, in one chunk or many", () => {
    const d = daemon()
    expect(submits(d.run([from("web-a", BAN), from("web-a", BAN)]))).toEqual([])
    const again = d.run([from("web-a", BAN)], NOW_MS + 5000)
    expect(lines(again)).toEqual(["held at quorum: 1 of 2 origins (this origin was already counted)"])
    expect(submits(again)).toEqual([])
  })

  it("a hold expires after the window: a second origin later than that is held, not run", () => {
    const d = daemon()
    d.run([from("web-a", BAN)])
    const late = d.run([from("web-b", BAN, NOW_MS + WINDOW_MS)], NOW_MS + WINDOW_MS)
    expect(lines(late)).toEqual(["held at quorum: 1 of 2 origins"])
    expect(submits(d.run([from("web-c", BAN, NOW_MS + WINDOW_MS + 1)], NOW_MS + WINDOW_MS + 1))).toEqual(["ban sshd banip 192.0.2.7"])
  })

  it("counts the same rendered action only: another address, or another jail's action, is its own quorum", () => {
    const d = daemon()
    d.run([from("web-a", BAN)])
    expect(submits(d.run([from("web-b", "jail=sshd, action=banip, ip=192.0.2.8")]))).toEqual([])
    expect(d.holds.size).toBe(2)
  })

  it("a copy refused at an earlier stage never counts (here the filter)", () => {
    const d = daemon()
    expect(lines(d.run([from("web-a", "jail=nginx, action=banip, ip=192.0.2.7")]))[0]).toMatch(/^rejected at filter/)
    expect(d.holds.size).toBe(0)
    expect(lines(d.run([from("web-b", BAN)]))).toEqual(["held at quorum: 1 of 2 origins"])
  })

  it("an action outside quorum.actions runs at once; a message without action needs the quorum (fail closed)", () => {
    const d = daemon()
    expect(submits(d.run([from("web-a", "jail=sshd, action=unbanip, ip=192.0.2.7")]))).toEqual(["ban sshd unbanip 192.0.2.7"])
    const bare = withSecrets(decoded(`
servers:
  - host: hub1
    port: 1986
    channels:
      - name: Fail2ban
        action: "ban %jail% %action% %ip%"
        missing: empty
        secret_file: /k
        quorum: { origins: 2, actions: [banip] }
`), [SECRET])
    const out = decideChunk({ plan: planOf(bare), deliveries: [from("web-a", "jail=sshd, ip=192.0.2.7")], nowMs: NOW_MS, minLevel: LogLevel.Info, seen: makeSeenTable(10) })
    expect(lines(out)).toEqual(["held at quorum: 1 of 2 origins"])
  })

  it("refuses a message without _origin on a quorum channel: it has no origin to count", () => {
    const d = daemon()
    const delivery = deliveryOf("Fail2ban", appendSignature(SECRET, "Fail2ban", `${BAN}, _id=${"f".repeat(32)}, _ts=${NOW_S}`))
    const out = d.run([delivery])
    expect(lines(out)).toEqual(["rejected at envelope: _origin is missing (a channel with a quorum counts origins)"])
    expect(submits(out)).toEqual([])
  })
})

describe("quorum: { count: keys }: an origin is the secret that signed", () => {
  const WEB_A = new Uint8Array(Buffer.from("web-a's own secret, long enough"))
  const WEB_B = new Uint8Array(Buffer.from("web-b's own secret, long enough"))
  const keyed = withSecrets(decoded(`
servers:
  - host: hub1
    port: 1986
    channels:
      - name: Fail2ban
        action: "ban %ip%"
        secret_file: [/a.key, /b.key]
        quorum: { origins: 2, count: keys }
`), [WEB_A, WEB_B])
  const signed = (secret: Uint8Array, origin: string): Delivery =>
    deliveryOf("Fail2ban", signedText("Fail2ban", "ip=192.0.2.7", envelopeOf({ id: (++ids).toString(16).padStart(32, "0"), origin }), secret))

  it("one key writing two _origins is one origin; a second key makes the quorum", () => {
    const seen = makeSeenTable(100)
    const holds = new Map<string, Hold>()
    const run = (deliveries: ReadonlyArray<Delivery>) => {
      const out = decideChunk({ plan: planOf(keyed), deliveries, nowMs: NOW_MS, minLevel: LogLevel.Info, seen, quorum: { holdOf: (key) => holds.get(key) } })
      for (const step of out.steps) if ((step._tag === "Remember" || step._tag === "Submit") && step.quorum !== undefined) holds.set(step.quorum.key, step.quorum.hold)
      return out
    }
    expect(lines(run([signed(WEB_A, "web-a"), signed(WEB_A, "web-b")]))).toEqual([
      "held at quorum: 1 of 2 origins",
      "held at quorum: 1 of 2 origins (this origin was already counted)"
    ])
    expect(submits(run([signed(WEB_B, "web-b")]))).toEqual(["ban 192.0.2.7"])
  })
})
