/**
 * Property tests of the security.md envelope: what publish appends is read back
 * exactly on receipt, and `%_msg%` never carries envelope pairs wherever they stand.
 */
import { FastCheck as fc } from "effect"
import * as Either from "effect/Either"
import { describe, expect, it } from "vitest"
import { ENVELOPE_KEYS, parseMessage, printPairs } from "../../src/message/index.js"
import { appendEnvelope, isNodeName, newEnvelope, nodeNameOf, readEnvelope } from "../../src/trust/index.js"
import { fieldKey, pairList, value } from "../message/arbitraries.js"

const NUM_RUNS = 300

const fieldPairs = fc.uniqueArray(fc.tuple(fieldKey, value), { minLength: 1, maxLength: 6, selector: ([key]) => key })
const nodeName = fc.stringMatching(/^[A-Za-z0-9_.][A-Za-z0-9_.-]{0,30}$/)
const nowMs = fc.integer({ min: 0, max: 4_102_444_800_000 })
const idBytes = fc.uint8Array({ minLength: 16, maxLength: 16 })

describe("security.md envelope (properties)", () => {
  it("appendEnvelope then parseMessage gives back the fields, the envelope, and the text as given as %_msg%", () => {
    fc.assert(
      fc.property(fieldPairs, nodeName, nowMs, idBytes, (pairs, origin, now, bytes) => {
        const envelope = newEnvelope(origin, now, () => bytes)
        const message = Either.getOrThrow(parseMessage(appendEnvelope(printPairs(pairs), envelope)))
        expect([...message.fields]).toEqual(pairs)
        expect(readEnvelope(message.envelope)).toEqual(
          Either.right({ id: envelope.id, ts: envelope.ts, origin, sig: undefined })
        )
        expect(envelope.id).toMatch(/^[0-9a-f]{32}$/)
        expect(envelope.ts).toBe(Math.floor(now / 1000))
        expect(message.body).toBe(printPairs(pairs))
      }),
      { numRuns: NUM_RUNS }
    )
  })

  it("%_msg% holds exactly the non-envelope pairs, wherever the envelope pairs stood", () => {
    fc.assert(
      fc.property(pairList, (pairs) => {
        const message = Either.getOrThrow(parseMessage(printPairs(pairs)))
        const fields = pairs.filter(([key]) => !ENVELOPE_KEYS.has(key))
        if (fields.length === pairs.length) {
          expect(message.body).toBe(message.text)
          return
        }
        // The other parts as received: the text the publisher wrote, without the envelope's parts.
        expect(message.body === "").toBe(fields.length === 0)
        if (message.body !== "") {
          const reparsed = Either.getOrThrow(parseMessage(message.body))
          expect(reparsed.envelope.size).toBe(0)
          expect([...reparsed.fields]).toEqual(fields)
        }
      }),
      { numRuns: NUM_RUNS }
    )
  })

  it("nodeNameOf turns any host name into a valid node name, and keeps one that already is", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), nodeName), (host) => {
        const name = nodeNameOf(host)
        expect(isNodeName(name)).toBe(true)
        if (isNodeName(host)) expect(name).toBe(host)
      }),
      { numRuns: NUM_RUNS }
    )
  })
})
