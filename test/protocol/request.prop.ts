import * as Either from "effect/Either"
import { FastCheck as fc } from "effect"
import { describe, expect, it } from "vitest"
import { encodeRequest, Request } from "../../src/protocol/request.js"

const notIn = (forbidden: string) => fc.string({ unit: "binary", maxLength: 1 }).filter((c) => c.length > 0 && !forbidden.includes(c))
const anyText = fc.string({ unit: "binary", maxLength: 20 })
const validChannel = fc.string({ unit: notIn("! \t\r\n\0"), minLength: 1, maxLength: 20 })
const validMessage = fc.string({ unit: notIn("\r\n\0"), minLength: 1, maxLength: 40 })

/** Any text with at least one of `chars` somewhere in it. */
const containing = (chars: string) =>
  fc.tuple(anyText, fc.constantFrom(...chars.split("")), anyText).map(([before, char, after]) => before + char + after)

const reason = (result: Either.Either<string, { readonly reason: string }>): string | undefined =>
  Either.isLeft(result) ? result.left.reason : undefined

describe("protocol.md request encoding properties", () => {
  it("every channel containing `!`, space, tab, CR, LF or NUL is refused, in every request that names one", () => {
    fc.assert(
      fc.property(containing("! \t\r\n\0"), validMessage, (channel, message) => {
        expect(reason(encodeRequest(Request.subscribe(channel)))).toBe("BadChannel")
        expect(reason(encodeRequest(Request.unsubscribe(channel)))).toBe("BadChannel")
        expect(reason(encodeRequest(Request.announce(channel, message)))).toBe("BadChannel")
      }),
      { numRuns: 500 }
    )
  })

  it("every message containing CR, LF or NUL is refused", () => {
    fc.assert(
      fc.property(validChannel, containing("\r\n\0"), (channel, message) => {
        expect(reason(encodeRequest(Request.announce(channel, message)))).toBe("BadMessage")
      }),
      { numRuns: 500 }
    )
  })

  it("a valid announce encodes to exactly one line: `announce <channel> <message>\\n`", () => {
    fc.assert(
      fc.property(validChannel, validMessage, (channel, message) => {
        const line = encodeRequest(Request.announce(channel, message))
        expect(line).toEqual(Either.right(`announce ${channel} ${message}\n`))
        expect(Either.getOrThrow(line).indexOf("\n")).toBe(Either.getOrThrow(line).length - 1)
      }),
      { numRuns: 500 }
    )
  })

  it("a valid subscribe/unsubscribe encodes to exactly one line", () => {
    fc.assert(
      fc.property(validChannel, (channel) => {
        expect(encodeRequest(Request.subscribe(channel))).toEqual(Either.right(`subscribe ${channel}\n`))
        expect(encodeRequest(Request.unsubscribe(channel))).toEqual(Either.right(`unsubscribe ${channel}\n`))
      })
    )
  })
})
