/**
 * `f2bc check` and the daemon agree on every message (issue 14): what check
 * says of a message is what the daemon decides when that message arrives on
 * the wire — bare from any publisher, or with the envelope `f2bc publish` appends.
 */
import { FastCheck as fc } from "effect"
import { describe, expect, it } from "vitest"
import { checkMessage } from "../../src/decide/check.js"
import { outcomeOf } from "../../src/decide/outcome.js"
import { decide } from "../../src/decide/pipeline.js"
import { parseFrame } from "../../src/protocol/frame.js"
import { initialSplitter, splitChunk } from "../../src/protocol/lineSplitter.js"
import { makeSeenTable } from "../../src/trust/index.js"
import { decoded, NOW_MS, planOf } from "./plans.js"

const config = decoded(`
node_name: receiver
types:
  port: int
servers:
  - host: hub1
    port: 1986
    channels:
      - name: Fail2ban
        action: "ban %ip% %_msg%"
        missing: empty
`)
const plan = planOf(config)
const random = (n: number) => new Uint8Array(n).fill(7)

/** What the daemon decides of `message` received on the wire: framed, classified, decided. */
const daemonOutcome = (message: string): { label: string; argv?: ReadonlyArray<string> } => {
  const events = splitChunk(initialSplitter, new TextEncoder().encode(`Fail2ban!${message}\n`), 65_536).events
  const event = events[0]
  if (events.length !== 1 || event?._tag !== "Line") return { label: "not a line" }
  const frame = parseFrame(event.line)
  if (frame._tag !== "Delivery") return { label: `frame ${frame._tag}` }
  const decision = decide(plan, { server: "hub1:1986", ...frame }, { nowMs: NOW_MS, seen: makeSeenTable(1) })
  return decision._tag === "Execute" ? { label: "executed", argv: decision.argv } : { label: outcomeOf(decision).label }
}

const checkOutcome = (message: string): { label: string; argv?: ReadonlyArray<string> } => {
  const { decision } = checkMessage(config, "Fail2ban", message, NOW_MS, random, () => "hub1:1986").servers[0]!
  return decision._tag === "Execute" ? { label: "executed", argv: decision.argv } : { label: outcomeOf(decision).label }
}

const piece = fc.constantFrom(
  "ip=192.0.2.7", "ip = 192.0.2.8", "port=22", "port=x", "jail=sshd", "-rf=1", "note=a\u0085b", "note=\u202eb", "x=\u2028",
  "note=zero\u200bwidth", "plain text", "", " ", "\t", "\tjail=sshd\t", "a=b=c", "_ts=1795605900", "_id=0123456789abcdef0123456789abcdef",
  "_origin=web1", "_origin=receiver", "ip=192.0.2.9\r", "bad key=1", "dup=1", "dup=2"
)
const message = fc.array(piece, { minLength: 1, maxLength: 6 }).chain((parts) =>
  fc.array(fc.constantFrom(",", ", ", ",\t", "\t,", " "), { minLength: parts.length, maxLength: parts.length }).map((seps) =>
    parts.map((part, i) => (i === 0 ? part : seps[i]! + part)).join("")))

describe("f2bc check agrees with the daemon (issue 14)", () => {
  it("a tab next to a separator: the grammar trims it, `%_msg%` keeps it, and both refuse it at types", () => {
    const m = "ip=192.0.2.7,\tjail=sshd"
    expect(daemonOutcome(m)).toEqual({ label: "rejected at types" })
    expect(checkOutcome(m)).toEqual(daemonOutcome(m))
  })

  it("for arbitrary messages on an unsigned channel: the same outcome, stage and argv", () => {
    fc.assert(
      fc.property(message, (m) => {
        const daemon = daemonOutcome(m)
        // An empty message never reaches the daemon (the server drops it); check says it is empty.
        // The wire strips one CR before the LF: a message ending with CR cannot be sent as such.
        if (daemon.label === "frame Other" || m.endsWith("\r")) return
        expect(checkOutcome(m)).toEqual(daemon)
      }),
      { numRuns: 2000 }
    )
  })
})
