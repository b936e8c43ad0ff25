import * as Either from "effect/Either"
import { describe, expect, it } from "vitest"
import {
  isReservedChannel,
  ProtocolError,
  RESERVED_CHANNELS,
  validateChannelName,
  validateMessageText
} from "../../src/protocol/names.js"

const leftOf = <A>(result: Either.Either<A, ProtocolError>): ProtocolError => {
  if (Either.isRight(result)) throw new Error(`expected a ProtocolError, got ${JSON.stringify(result.right)}`)
  return result.left
}

describe("protocol.md channel names", () => {
  it("accepts ordinary names, including ones with punctuation, dots and non-ASCII letters", () => {
    for (const name of ["Fail2ban", "bans.eu-west_1", "a", "ç/ñ", "x:y=z"]) {
      expect(validateChannelName(name)).toEqual(Either.right(name))
    }
  })

  it("accepts the reserved names on the wire (refusing them is a config rule)", () => {
    expect(validateChannelName("all")).toEqual(Either.right("all"))
    expect(validateChannelName("debug")).toEqual(Either.right("debug"))
  })

  it("rejects the empty name", () => {
    const error = leftOf(validateChannelName(""))
    expect(error.reason).toBe("BadChannel")
    expect(error.detail).toBe("is empty")
  })

  it.each([
    ["a!b", `"!"`],
    ["a b", "a space"],
    ["a\tb", "a tab"],
    ["a\rb", "a carriage return (CR)"],
    ["a\nb", "a line feed (LF)"],
    ["a\0b", "a NUL byte"]
  ])("rejects %j because it contains %s", (name, description) => {
    const error = leftOf(validateChannelName(name))
    expect(error).toBeInstanceOf(ProtocolError)
    expect(error._tag).toBe("ProtocolError")
    expect(error.reason).toBe("BadChannel")
    expect(error.value).toBe(name)
    expect(error.detail).toBe(`contains ${description}`)
  })
})

describe("protocol.md reserved channels", () => {
  it("are exactly all and debug", () => {
    expect([...RESERVED_CHANNELS].sort()).toEqual(["all", "debug"])
    expect(isReservedChannel("all")).toBe(true)
    expect(isReservedChannel("debug")).toBe(true)
    expect(isReservedChannel("All")).toBe(false)
    expect(isReservedChannel("bans")).toBe(false)
  })
})

describe("protocol.md message text", () => {
  it("accepts `!`, spaces, tabs and `=` (a message may contain `!`)", () => {
    for (const text of ["jail=sshd, action=banip, ip=192.0.2.7", "hello world!", "a!b!c", "tab\there", "ünïcödé ✓"]) {
      expect(validateMessageText(text)).toEqual(Either.right(text))
    }
  })

  it("rejects the empty message (the server would drop it)", () => {
    const error = leftOf(validateMessageText(""))
    expect(error.reason).toBe("BadMessage")
    expect(error.detail).toBe("is empty")
  })

  it.each([
    ["a\rb", "a carriage return (CR)"],
    ["a\nb", "a line feed (LF)"],
    ["a\0b", "a NUL byte"]
  ])("rejects %j because it contains %s", (text, description) => {
    const error = leftOf(validateMessageText(text))
    expect(error.reason).toBe("BadMessage")
    expect(error.detail).toBe(`contains ${description}`)
  })
})

describe("ProtocolError message", () => {
  it("names the kind of value, shows it escaped and says what is wrong", () => {
    expect(leftOf(validateChannelName("a\nb")).message).toBe(`invalid channel name "a\\nb": contains a line feed (LF)`)
    expect(leftOf(validateMessageText("")).message).toBe(`invalid message "": is empty`)
  })

  it("shortens a long value so a log line stays readable", () => {
    const message = leftOf(validateMessageText("x".repeat(1000) + "\n")).message
    expect(message.length).toBeLessThan(200)
    expect(message).toContain("…")
  })
})
