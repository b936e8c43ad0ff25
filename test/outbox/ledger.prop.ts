/**
 * The ledger's live size, which compaction reads at every append: it must
 * always equal the live entries' record bytes, however entries are settled.
 */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { makeLedger } from "../../src/outbox/ledger.js"
import { encodeRecord, type Entry } from "../../src/outbox/record.js"

const SERVERS = ["a:1986", "b:1986", "c:4222"]

const entryOf = (seq: number, text: string, targets: ReadonlyArray<string>): Entry => ({
  seq,
  id: seq.toString(16).padStart(32, "0"),
  channel: "Fail2ban",
  text,
  plain: false,
  origin: "web1",
  acceptedMs: 1_800_000_000_000 + seq,
  targets
})

const ops = fc.array(
  fc.oneof(
    fc.record({ op: fc.constant("owe" as const), text: fc.string({ maxLength: 40 }), targets: fc.subarray(SERVERS, { minLength: 1 }) }),
    fc.record({ op: fc.constant("settle" as const), server: fc.constantFrom(...SERVERS), max: fc.integer({ min: 1, max: 5 }), how: fc.constantFrom("delivered" as const, "dropped" as const) })
  ),
  { maxLength: 60 }
)

describe("the outbox ledger", () => {
  it("keeps liveBytes equal to the bytes of the live entries' records", () => {
    fc.assert(
      fc.property(ops, (history) => {
        const ledger = makeLedger()
        let seq = 1
        for (const step of history) {
          if (step.op === "owe") ledger.owe(entryOf(seq++, step.text, step.targets), step.targets)
          else ledger.settle(step.server, ledger.pending(step.server, step.max), step.how)
          const expected = ledger.live().reduce((sum, { entry }) => sum + encodeRecord({ _tag: "Entry", entry }).length, 0)
          expect(ledger.liveBytes()).toBe(expected)
        }
      })
    )
  })
})
