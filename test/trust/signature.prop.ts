/**
 * Property tests of security.md signatures: signing round-trips for any channel,
 * fields and secrets (key rotation included), and any one-byte or one-character change to a signed
 * line, taken through frame parsing and the daemon's decide, never reaches Execute.
 */
import { FastCheck as fc } from "effect"
import * as Either from "effect/Either"
import { describe, expect, it } from "vitest"
import type { ServerPlan } from "../../src/decide/pipeline.js"
import { parseMessage, printPairs } from "../../src/message/index.js"
import { parseFrame } from "../../src/protocol/index.js"
import { appendEnvelope, appendSignature, makeSeenTable, verifySignature } from "../../src/trust/index.js"
import { decideRecording as decide, decoded, envelopeOf, NOW_MS, planOf, SECRET, signedText, withSecrets, type Described as Decision } from "../decide/plans.js"
import { fieldKey, value } from "../message/arbitraries.js"

const NUM_RUNS = 300

/** Any valid channel name: non-empty, without "!", blanks, CR, LF or NUL. */
const channelName = fc.string({ unit: fc.oneof(fc.constantFrom("F", "a", "2", "-", "_", "é", "東"), fc.fullUnicode()), minLength: 1, maxLength: 12 })
  .filter((name) => !/[! \t\r\n\0]/.test(name))

const secret = fc.uint8Array({ minLength: 16, maxLength: 64 })
const secrets = fc.uniqueArray(secret, { minLength: 1, maxLength: 4, selector: (bytes) => Buffer.from(bytes).toString("hex") })
const fieldPairs = fc.uniqueArray(fc.tuple(fieldKey, value), { minLength: 1, maxLength: 6, selector: ([key]) => key })
const idHex = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((bytes) => Buffer.from(bytes).toString("hex"))

const verifyText = (keys: ReadonlyArray<Uint8Array>, channel: string, text: string) => {
  const message = Either.getOrThrow(parseMessage(text))
  return Either.mapLeft(
    verifySignature(keys, channel, text, message.envelope.has("_sig"), message.pairs[message.pairs.length - 1]),
    (rejection) => rejection.reason
  )
}

describe("security.md signatures (properties)", () => {
  it("a message signed with any one of a channel's secrets verifies against all of them, in any order", () => {
    fc.assert(
      fc.property(channelName, fieldPairs, idHex, secrets, fc.nat(), fc.nat(), (channel, pairs, id, keys, signer, shift) => {
        const unsigned = appendEnvelope(printPairs(pairs), envelopeOf({ id }))
        const text = appendSignature(keys[signer % keys.length]!, channel, unsigned)
        const rotated = keys.map((_, i) => keys[(i + shift) % keys.length]!)
        expect(verifyText(rotated, channel, text)).toEqual(Either.right(undefined))
      }),
      { numRuns: NUM_RUNS }
    )
  })

  it("a message signed with a secret the channel does not hold is a Mismatch", () => {
    fc.assert(
      fc.property(channelName, fieldPairs, secrets, (channel, pairs, keys) => {
        const [signer, ...others] = keys
        const text = appendSignature(signer!, channel, appendEnvelope(printPairs(pairs), envelopeOf()))
        expect(verifyText(others, channel, text)).toEqual(Either.left("Mismatch"))
      }),
      { numRuns: NUM_RUNS }
    )
  })
})

// ---------------------------------------------------------------------------
// Tampering: the whole delivery path after the socket (frame → decide).

const CHANNEL = "Fail2ban"

/** Two signed channels one byte apart, sharing a secret: a change to the channel name still lands on a signed channel. */
const plan: ServerPlan = planOf(withSecrets(decoded(`
node_name: receiver
servers:
  - host: hub1
    port: 1986
    channels:
      - name: ${CHANNEL}
        action: "/usr/bin/logger -- %_msg%"
        secret_file: /etc/f2bc/key
      - name: Fail2bam
        action: "/usr/bin/logger -- %_msg%"
        secret_file: /etc/f2bc/key
`), [SECRET]))

const safeKey = fc.stringMatching(/^[a-z][a-z0-9_.-]{0,7}$/).filter((key) => key !== "ip")
const safeValue = fc
  .string({ unit: fc.constantFrom("a", "Z", "9", ".", ":", "=", "!", "$", "'", "\"", ";", "é", "東", "🙂", " ", "%"), maxLength: 10 })
  .map((text) => text.trim())
const ip = fc.constantFrom("192.0.2.7", "2001:db8::1", "198.51.100.23")
/** Fields every stage after the signature accepts (the unchanged line executes). */
const cleanPairs = fc.tuple(fc.uniqueArray(fc.tuple(safeKey, safeValue), { maxLength: 4, selector: ([key]) => key }), ip)
  .map(([pairs, address]) => [...pairs, ["ip", address] as [string, string]])

const signedLine = fc.tuple(cleanPairs, idHex).map(([pairs, id]) =>
  `${CHANNEL}!${signedText(CHANNEL, printPairs(pairs), envelopeOf({ id }), SECRET)}`
)

/** What the daemon decides for each line a received byte stream holds (the splitter cuts at LF and drops a CR before it). */
const decisionsFor = (stream: string): ReadonlyArray<Decision> =>
  stream.split("\n").flatMap((line) => {
    const frame = parseFrame(line.endsWith("\r") ? line.slice(0, -1) : line)
    if (frame._tag !== "Delivery") return []
    return [decide(plan, { server: "hub1:1986", channel: frame.channel, message: frame.message }, { nowMs: NOW_MS, seen: makeSeenTable(100) })]
  })

/** A tampered line is stopped before anything that trusts its content: at the grammar, the envelope or the signature. */
const expectStopped = (decisions: ReadonlyArray<Decision>): void => {
  for (const decision of decisions) {
    expect(decision._tag).not.toBe("Execute")
    if (decision._tag === "Reject") expect(["grammar", "envelope", "signature"]).toContain(decision.stage)
    else expect(decision._tag).toBe("Ignore")
  }
}

describe("security.md signatures: any one-byte change to a signed message is rejected (properties)", () => {
  it("the unchanged line executes (so the properties below test the change, not the message)", () => {
    fc.assert(
      fc.property(signedLine, (line) => {
        expect(decisionsFor(line).map((decision) => decision._tag)).toEqual(["Execute"])
      }),
      { numRuns: 100 }
    )
  })

  it("replacing any byte of the line with any other byte never executes", () => {
    fc.assert(
      fc.property(signedLine, fc.nat(), fc.integer({ min: 1, max: 255 }), (line, at, delta) => {
        const bytes = Buffer.from(line, "utf8")
        const i = at % bytes.length
        bytes[i] = (bytes[i]! + delta) % 256
        const received = new TextDecoder("utf-8").decode(bytes)
        expect(received).not.toBe(line)
        expectStopped(decisionsFor(received))
      }),
      { numRuns: NUM_RUNS }
    )
  })

  it("replacing any character of the line with any other character never executes", () => {
    fc.assert(
      fc.property(signedLine, fc.nat(), fc.oneof(fc.fullUnicode(), fc.constantFrom(",", " ", "=", "!", "_", "\n", "\r", "\t", "0")), (line, at, c) => {
        const chars = [...line]
        const i = at % chars.length
        fc.pre(chars[i] !== c)
        chars[i] = c
        expectStopped(decisionsFor(chars.join("")))
      }),
      { numRuns: NUM_RUNS }
    )
  })

  it("deleting any one character of the line never executes", () => {
    fc.assert(
      fc.property(signedLine, fc.nat(), (line, at) => {
        const chars = [...line]
        chars.splice(at % chars.length, 1)
        expectStopped(decisionsFor(chars.join("")))
      }),
      { numRuns: NUM_RUNS }
    )
  })
})
