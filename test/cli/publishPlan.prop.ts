/**
 * Properties of publish's plain steps (src/cli/publishPlan.ts), which the Effect publish and the plain
 * path both run: `--ban-until`, the command line's checks, and the lines sent to each server.
 */
import { FastCheck as fc } from "effect"
import * as Either from "effect/Either"
import { describe, expect, it } from "vitest"
import { checkLineLength, checkOutgoing, checkOutgoingTypes, PLAIN_SIGNED } from "../../src/decide/outgoing.js"
import { parseMessage, printPairs } from "../../src/message/index.js"
import { checkCommandLine, isRefusal, linesFor, messageWithBanUntil, notConfirmed, type Signing } from "../../src/cli/publishPlan.js"
import { DEFAULT_TYPES, isNodeName, verifySignature, type NewEnvelope } from "../../src/trust/index.js"
import { fieldKey, value } from "../message/arbitraries.js"

const NUM_RUNS = 300

const channelName = fc.string({ unit: fc.oneof(fc.constantFrom("F", "a", "2", "-", "_", "!", " ", "é"), fc.fullUnicode()), minLength: 0, maxLength: 12 })
const fieldPairs = fc.uniqueArray(fc.tuple(fieldKey, value), { minLength: 1, maxLength: 6, selector: ([key]) => key })
const text = fc.oneof(fieldPairs.map(printPairs), fc.string({ maxLength: 40 }), fc.constantFrom("hello from web1", "ip=192.0.2.7", "a=1, =x", "a=1\rb"))
const envelope: fc.Arbitrary<NewEnvelope> = fc.record({
  id: fc.uint8Array({ minLength: 16, maxLength: 16 }).map((bytes) => Buffer.from(bytes).toString("hex")),
  ts: fc.integer({ min: 0, max: 4_000_000_000 }),
  origin: fc.constantFrom("web1", "a.b-c_d", "x")
})
const signing: fc.Arbitrary<Signing> = fc.record({
  secret: fc.option(fc.uint8Array({ minLength: 16, maxLength: 32 }), { nil: undefined }),
  types: fc.constant(DEFAULT_TYPES)
})

describe("publish's plain steps (properties)", () => {
  it("--ban-until appends `, ban_until=N` to a key=value message, and refuses N < -1 or a plain message", () => {
    fc.assert(
      fc.property(text, fc.option(fc.integer({ min: -5, max: 2 ** 40 }), { nil: undefined }), (message, banUntil) => {
        const result = messageWithBanUntil(message, banUntil)
        if (banUntil === undefined) expect(result).toBe(message)
        else if (banUntil < -1 || !message.includes("=")) expect(isRefusal(result) && result.code).toBe(2)
        else expect(result).toBe(`${message}, ban_until=${banUntil}`)
      }),
      { numRuns: NUM_RUNS }
    )
  })

  it("the command line's checks: checkOutgoing's refusal first, then --timeout's range, then --node-name's syntax", () => {
    fc.assert(
      fc.property(channelName, text, fc.integer({ min: -2, max: 4000 }), fc.option(fc.constantFrom("web1", "-x", "web 1", "a.b"), { nil: undefined }), (channel, message, timeout, nodeName) => {
        const result = checkCommandLine(channel, message, timeout, nodeName)
        const outgoing = checkOutgoing(channel, message)
        if (Either.isLeft(outgoing)) expect(result).toEqual({ _tag: "Refusal", code: 2, text: outgoing.left })
        else if (timeout < 1 || timeout > 3600) expect(isRefusal(result) && result.text).toBe(`--timeout must be from 1 to 3600 seconds, got ${timeout}`)
        else if (nodeName !== undefined && !isNodeName(nodeName)) expect(isRefusal(result) && result.text).toMatch(/^--node-name must be/)
        else expect(result).toEqual(outgoing.right)
      }),
      { numRuns: NUM_RUNS }
    )
  })

  it("each server's line is the text with the one envelope, signed where it has a secret, or the refusal of a too long line", () => {
    // A value a daemon would reject is refused first (the last test), then a line too long.
    fc.assert(
      fc.property(fieldPairs, fc.array(signing, { minLength: 1, maxLength: 3 }), envelope, fc.integer({ min: 50, max: 400 }), (pairs, targets, stamp, limit) => {
        const message = printPairs(pairs)
        const parsed = Either.getOrThrow(parseMessage(message))
        const result = linesFor("Fail2ban", message, parsed, targets, stamp, limit)
        const unsigned = `${message}, _id=${stamp.id}, _ts=${stamp.ts}, _origin=${stamp.origin}`
        const longest = targets.map((target) => (target.secret === undefined ? unsigned : `${unsigned}, _sig=${"x".repeat(43)}`))
        const badValue = checkOutgoingTypes(parsed, DEFAULT_TYPES)
        const tooLong = longest.map((line) => checkLineLength("Fail2ban", line, limit)).find((refused) => refused !== undefined)
        if (badValue !== undefined) {
          expect(result).toEqual({ _tag: "Refusal", code: 2, text: badValue })
          return
        }
        if (tooLong !== undefined) {
          expect(result).toEqual({ _tag: "Refusal", code: 2, text: tooLong })
          return
        }
        if (isRefusal(result)) throw new Error(`refused: ${result.text}`)
        targets.forEach((target, i) => {
          const line = result[i]!
          if (target.secret === undefined) {
            expect(line).toBe(unsigned)
            return
          }
          expect(line.startsWith(`${unsigned}, _sig=`)).toBe(true)
          const sent = Either.getOrThrow(parseMessage(line))
          expect(verifySignature([target.secret], "Fail2ban", line, true, sent.pairs[sent.pairs.length - 1])).toEqual(Either.right(undefined))
        })
      }),
      { numRuns: NUM_RUNS }
    )
  })

  it("a plain message goes as given, and is refused when any server's channel signs", () => {
    fc.assert(
      fc.property(fc.array(signing, { minLength: 1, maxLength: 3 }), envelope, (targets, stamp) => {
        const parsed = Either.getOrThrow(parseMessage("hello from web1"))
        const result = linesFor("Fail2ban", "hello from web1", parsed, targets, stamp, 65_536)
        if (targets.some((target) => target.secret !== undefined)) expect(result).toEqual({ _tag: "Refusal", code: 2, text: PLAIN_SIGNED })
        else expect(result).toEqual(targets.map(() => "hello from web1"))
      }),
      { numRuns: 100 }
    )
  })

  it("what a daemon's types stage would reject is refused before anything else of the lines", () => {
    const parsed = Either.getOrThrow(parseMessage("jail=sshd, action=banip, ip=not-an-address"))
    const result = linesFor("Fail2ban", parsed.text, parsed, [{ secret: undefined, types: DEFAULT_TYPES }], { id: "0".repeat(32), ts: 1, origin: "x" }, 10)
    expect(isRefusal(result) && result.text).toMatch(/a daemon would reject it/)
    expect(notConfirmed(["a (x)", "b (y)"], 3)).toEqual({ _tag: "Refusal", code: 1, text: "not confirmed by 2 of 3 server(s): a (x), b (y)" })
  })
})
