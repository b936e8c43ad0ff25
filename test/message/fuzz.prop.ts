/**
 * Fuzz properties of the message grammar (protocol.md, issue 3 "Trust"): whatever bytes reach
 * `parseMessage`, it returns a parsed message or a typed MessageError with a safe, bounded text.
 */
import { FastCheck as fc } from "effect"
import * as Either from "effect/Either"
import { describe, expect, it } from "vitest"
import { ENVELOPE_KEYS, MessageError, parseMessage } from "../../src/message/index.js"
import type { MessageErrorReason } from "../../src/message/index.js"
import { parseFrame } from "../../src/protocol/frame.js"
import { initialSplitter, splitChunk } from "../../src/protocol/lineSplitter.js"
import { decodeUtf8, hostileBytes, hugeBytes, shortPrinted } from "../protocol/bytes.js"

const REASONS: ReadonlyArray<MessageErrorReason> = [
  "Empty",
  "IllegalCharacter",
  "PartWithoutEquals",
  "BadKey",
  "DuplicateKey",
  "ReservedKey"
]

const KEY = /^[A-Za-z0-9_.-]+$/
// eslint-disable-next-line no-control-regex
const C0_CONTROL = /[\u0000-\u001f]/
const ILLEGAL = /[\r\n\0]/
/** Longest human text an error may have: it quotes at most 120 characters of input, JSON-escaped. */
const MAX_ERROR_TEXT = 1000

/**
 * Every text a peer can make the daemon parse from `data`: the whole decoded input,
 * each line the splitter yields, and the message of each line that decodes as a delivery.
 */
const textsFrom = (data: Uint8Array): Array<string> => {
  const texts = [decodeUtf8(data)]
  for (const event of splitChunk(initialSplitter, data, 1 << 20).events) {
    if (event._tag !== "Line") continue
    texts.push(event.line)
    const frame = parseFrame(event.line)
    if (frame._tag === "Delivery") texts.push(frame.message)
  }
  return texts
}

const checkParse = (text: string): void => {
  const result = parseMessage(text)
  expect(Either.isEither(result)).toBe(true)
  if (Either.isLeft(result)) {
    const error = result.left
    expect(error).toBeInstanceOf(MessageError)
    expect(error._tag).toBe("MessageError")
    expect(REASONS).toContain(error.reason)
    expect(Number.isInteger(error.index) && error.index >= -1).toBe(true)
    // Which reason is fixed by the order of checks: CR/LF/NUL first, then blank text.
    expect(error.reason === "IllegalCharacter").toBe(ILLEGAL.test(text))
    if (!ILLEGAL.test(text)) expect(error.reason === "Empty").toBe(/^[ \t]*$/.test(text))
    const human = error.message
    expect(typeof human).toBe("string")
    // The text goes to log lines: no raw CR, LF or any other C0 control, and bounded whatever the input.
    expect(human).not.toMatch(C0_CONTROL)
    expect(human.length).toBeLessThanOrEqual(MAX_ERROR_TEXT)
  } else {
    const message = result.right
    expect(message.text).toBe(text)
    expect(ILLEGAL.test(text)).toBe(false)
    expect(message.kind).toBe(text.includes("=") ? "pairs" : "plain")
    for (const [key, value] of message.pairs) {
      expect(key).toMatch(KEY)
      expect(key.startsWith("_")).toBe(ENVELOPE_KEYS.has(key))
      expect(value).not.toMatch(/[,\r\n\0]/)
      expect(value).not.toMatch(/^[ \t]|[ \t]$/)
    }
    expect(new Set(message.pairs.map(([key]) => key)).size).toBe(message.pairs.length)
    expect(message.fields.size + message.envelope.size).toBe(message.pairs.length)
    expect(typeof message.body).toBe("string")
  }
}

describe("protocol.md message parser under arbitrary bytes (fuzz)", () => {
  it("on any UTF-8 decoding of arbitrary bytes (NUL, CR, lone LF, invalid sequences), and on every line and delivery framed from them, returns a Message or a MessageError with a documented reason and a log-safe text", () => {
    fc.assert(
      fc.property(hostileBytes, (data) => {
        for (const text of textsFrom(data)) checkParse(text)
      }),
      { numRuns: 600 }
    )
  })

  it("is total on lone surrogates and other UTF-16 a socket cannot produce (a caller may pass any string)", () => {
    const unit = fc.oneof(
      fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
      fc.constantFrom("=", ",", " ", "\t", "_", "\ud800", "\udfff", "\u2028", "\u009b", "\u007f")
    )
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 80 }), (text) => checkParse(text)),
      { numRuns: 400 }
    )
  })

  it("stays total, and its error text bounded, on 50-200 KB texts: noise, and many key=value parts", () => {
    const manyPairs = fc
      .tuple(fc.integer({ min: 5_000, max: 20_000 }), fc.constantFrom("", ", k0=dup", ", bad key=1", ", _x=1", ", junk", ", a\0=b"))
      .map(([n, tail]) => {
        const parts: Array<string> = []
        for (let i = 0; i < n; i++) parts.push(`k${i}=value ${i}`)
        return parts.join(", ") + tail
      })
    fc.assert(
      fc.property(fc.oneof(hugeBytes.map(decodeUtf8), manyPairs), (text) => checkParse(text)),
      { numRuns: 8 }
    )
  })

  it("a 200 KB run of arbitrary bytes with no newline parses without throwing", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 150_000, maxLength: 200_000 }).map(shortPrinted), (data) => {
        checkParse(decodeUtf8(data))
      }),
      { numRuns: 2 }
    )
  })
})
