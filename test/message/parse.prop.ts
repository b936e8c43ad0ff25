/**
 * Property tests of the message grammar: the precise statement of protocol.md
 * (round trip, ignored noise, rejected parts, duplicate keys, fields/envelope split, totality).
 */
import { FastCheck as fc } from "effect"
import * as Either from "effect/Either"
import { describe, expect, it } from "vitest"
import { ENVELOPE_KEYS, parseMessage, printPairs } from "../../src/message/index.js"
import { blank, emptyParts, pairList, partWithoutEquals, value } from "./arbitraries.js"

const NUM_RUNS = 500

describe("protocol.md message grammar (properties)", () => {
  it("round trip: for every valid pair list, parse(print(pairs)).pairs = pairs", () => {
    fc.assert(
      fc.property(pairList, (pairs) => {
        const result = parseMessage(printPairs(pairs))
        expect(Either.isRight(result)).toBe(true)
        if (Either.isRight(result)) expect(result.right.pairs).toEqual(pairs)
      }),
      { numRuns: NUM_RUNS }
    )
  })

  it("empty parts and whitespace around keys and values do not change the parsed pairs", () => {
    const noisyPair = fc.tuple(emptyParts, blank, blank, blank, blank)
    fc.assert(
      fc.property(
        pairList.chain((pairs) =>
          fc.tuple(fc.constant(pairs), fc.array(noisyPair, { minLength: pairs.length, maxLength: pairs.length }), emptyParts)
        ),
        ([pairs, noise, trailing]) => {
          const text = pairs
            .map(([k, v], i) => {
              const [before, w1, w2, w3, w4] = noise[i]!
              return `${before}${w1}${k}${w2}=${w3}${v}${w4}`
            })
            .join(",") + (trailing === "" ? "" : `,${trailing}`)
          const result = parseMessage(text)
          expect(Either.isRight(result)).toBe(true)
          if (Either.isRight(result)) expect(result.right.pairs).toEqual(pairs)
        }
      ),
      { numRuns: NUM_RUNS }
    )
  })

  it("a text with \"=\" in which a non-empty part lacks \"=\" is rejected with PartWithoutEquals naming that part", () => {
    fc.assert(
      fc.property(
        pairList,
        fc.array(fc.tuple(fc.nat(), partWithoutEquals), { minLength: 1, maxLength: 3 }),
        (pairs, junk) => {
          const parts = pairs.map(([k, v]) => `${k}=${v}`)
          for (const [at, part] of junk) parts.splice(at % (parts.length + 1), 0, part)
          const firstBad = parts.findIndex((p) => !p.includes("="))
          const result = parseMessage(parts.join(","))
          expect(Either.isLeft(result)).toBe(true)
          if (Either.isLeft(result)) {
            expect(result.left.reason).toBe("PartWithoutEquals")
            expect(result.left.index).toBe(firstBad)
            expect(result.left.part).toBe(parts[firstBad]!.replace(/^[ \t]+|[ \t]+$/g, ""))
          }
        }
      ),
      { numRuns: NUM_RUNS }
    )
  })

  it("any text with \"=\" and a non-empty part without \"=\" is rejected, whatever the other parts hold", () => {
    const part = fc.string({ unit: fc.constantFrom("a", "=", " ", "_", "!", "\t", "é"), maxLength: 6 })
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 6 }), (parts) => {
        const text = parts.join(",")
        fc.pre(text.includes("="))
        fc.pre(parts.some((p) => p.trim() !== "" && !p.includes("=")))
        expect(Either.isLeft(parseMessage(text))).toBe(true)
      }),
      { numRuns: NUM_RUNS }
    )
  })

  it("duplicating any key of a valid pair list gives DuplicateKey at the second occurrence", () => {
    fc.assert(
      fc.property(pairList, fc.nat(), fc.nat(), value, (pairs, which, at, v) => {
        const key = pairs[which % pairs.length]![0]
        const list: Array<[string, string]> = [...pairs]
        list.splice(at % (list.length + 1), 0, [key, v])
        const second = list.findIndex(([k], i) => k === key && list.findIndex(([k2]) => k2 === key) < i)
        const result = parseMessage(printPairs(list))
        expect(Either.isLeft(result)).toBe(true)
        if (Either.isLeft(result)) {
          expect(result.left.reason).toBe("DuplicateKey")
          expect(result.left.part).toBe(key)
          expect(result.left.index).toBe(second)
        }
      }),
      { numRuns: NUM_RUNS }
    )
  })

  it("`%_msg%` is the same with and without the envelope publish appends (issue 14: check and the daemon agree)", () => {
    // A message publish accepts: no envelope keys of its own.
    const fieldsOnly = pairList.map((pairs) => pairs.filter(([k]) => !k.startsWith("_"))).filter((pairs) => pairs.length > 0)
    const text = fc.tuple(fieldsOnly, fc.array(fc.constantFrom(" ", "\t", ""), { minLength: 8, maxLength: 8 })).map(([pairs, pads]) =>
      pairs.map(([k, v], i) => `${pads[i % 8]}${k}${pads[(i + 1) % 8]}=${pads[(i + 2) % 8]}${v}${pads[(i + 3) % 8]}`).join(","))
    fc.assert(
      fc.property(text, (t) => {
        const bare = parseMessage(t)
        const enveloped = parseMessage(`${t}, _id=0123456789abcdef0123456789abcdef, _ts=1795605900, _origin=web1`)
        if (Either.isLeft(bare)) return
        expect(Either.isRight(enveloped)).toBe(true)
        if (Either.isRight(enveloped)) expect(enveloped.right.body).toBe(bare.right.body)
      }),
      { numRuns: NUM_RUNS }
    )
  })

  it("fields and envelope partition the pairs, in order; the body never holds an envelope pair", () => {
    const text = fc.oneof(
      pairList.map(printPairs),
      fc.string({ unit: fc.constantFrom("a", "=", ",", " ", "_", "i", "d", "!"), maxLength: 20 }),
      fc.string({ unit: "binary", maxLength: 30 })
    )
    fc.assert(
      fc.property(text, (t) => {
        const result = parseMessage(t)
        if (Either.isLeft(result)) return
        const m = result.right
        expect([...m.fields]).toEqual(m.pairs.filter(([k]) => !ENVELOPE_KEYS.has(k)))
        expect([...m.envelope]).toEqual(m.pairs.filter(([k]) => ENVELOPE_KEYS.has(k)))
        expect(m.fields.size + m.envelope.size).toBe(m.pairs.length)
        if (m.envelope.size === 0) expect(m.body).toBe(m.text)
        if (m.body !== "") {
          const body = parseMessage(m.body)
          expect(Either.isRight(body)).toBe(true)
          if (Either.isRight(body)) {
            expect(body.right.envelope.size).toBe(0)
            expect([...body.right.fields]).toEqual([...m.fields])
          }
        } else {
          expect(m.fields.size).toBe(0)
        }
      }),
      { numRuns: NUM_RUNS }
    )
  })

  it("parse is total: for arbitrary strings (full unicode, lone surrogates) it returns Right or Left and never throws", () => {
    const text = fc.oneof(
      fc.string({ unit: "binary", maxLength: 60 }),
      fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 30 }),
      fc.string({ unit: fc.constantFrom("=", ",", " ", "\t", "_", "a", "\n", "\r", "\0", "!", "é"), maxLength: 30 })
    )
    fc.assert(
      fc.property(text, (t) => {
        const result = parseMessage(t)
        expect(Either.isEither(result)).toBe(true)
        if (Either.isLeft(result)) expect(typeof result.left.message).toBe("string")
        else expect(result.right.text).toBe(t)
      }),
      { numRuns: 2000 }
    )
  })
})
