import { FastCheck as fc } from "effect"
import { describe, expect, it } from "vitest"
import { parseFrame } from "../../src/protocol/frame.js"

const notIn = (forbidden: string) => fc.string({ unit: "binary", maxLength: 1 }).filter((c) => c.length > 0 && !forbidden.includes(c))
const channelArb = fc.string({ unit: notIn("! \t\r\n\0"), minLength: 1, maxLength: 20 })
const messageArb = fc.string({ unit: notIn("\r\n\0"), minLength: 1, maxLength: 40 })
/** Messages that contain at least one `!`, anywhere (also first or last). */
const bangMessageArb = fc.array(fc.string({ unit: notIn("\r\n\0"), maxLength: 10 }), { minLength: 2, maxLength: 5 }).map((parts) =>
  parts.join("!")
)

describe("protocol.md frame properties", () => {
  it("<channel>!<message> is a Delivery of exactly that channel and message, split at the first `!`", () => {
    fc.assert(
      fc.property(channelArb.filter((c) => c !== "debug"), fc.oneof(messageArb, bangMessageArb), (channel, message) => {
        expect(parseFrame(`${channel}!${message}`)).toEqual({ _tag: "Delivery", channel, message })
      }),
      { numRuns: 1000 }
    )
  })

  it("debug!<text> is a Debug notice carrying the text after the first `!`", () => {
    fc.assert(
      fc.property(fc.oneof(messageArb, bangMessageArb), (text) => {
        expect(parseFrame(`debug!${text}`)).toEqual({ _tag: "Debug", text })
      })
    )
  })

  it("a line of ASCII digits is a Pong with that number", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), (seconds) => {
        expect(parseFrame(String(seconds))).toEqual({ _tag: "Pong", serverTime: seconds })
      })
    )
  })

  it("a line without `!` that is not all digits is Other, unchanged", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 30 }).filter((s) => !s.includes("!") && !/^[0-9]+$/.test(s)), (line) => {
        expect(parseFrame(line)).toEqual({ _tag: "Other", line })
      })
    )
  })
})
