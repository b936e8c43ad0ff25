import { describe, expect, it } from "vitest"
import { parseRequestLine } from "../../src/broker/internal/requestLine.js"

describe("broker request lines (protocol.md, read the way fanout reads them)", () => {
  it("ping and info are exact words", () => {
    expect(parseRequestLine("ping")).toEqual({ _tag: "Ping" })
    expect(parseRequestLine("info")).toEqual({ _tag: "Info" })
    expect(parseRequestLine("ping ")).toBeUndefined()
    expect(parseRequestLine("PING")).toBeUndefined()
  })

  it("subscribe and unsubscribe take the second space-separated token as the channel, like fanout's strtok", () => {
    expect(parseRequestLine("subscribe bans")).toEqual({ _tag: "Subscribe", channel: "bans" })
    expect(parseRequestLine("unsubscribe bans")).toEqual({ _tag: "Unsubscribe", channel: "bans" })
    for (const line of ["subscribe a b", "subscribe  a", " subscribe a", "subscribe a "])
      expect(parseRequestLine(line)).toEqual({ _tag: "Subscribe", channel: "a" })
  })

  it("announce splits at the first space after the channel; the message keeps spaces and `!`", () => {
    expect(parseRequestLine("announce c jail=sshd, ip=192.0.2.7")).toEqual({
      _tag: "Announce",
      channel: "c",
      message: "jail=sshd, ip=192.0.2.7"
    })
    expect(parseRequestLine("announce c  two  spaces! ")).toEqual({
      _tag: "Announce",
      channel: "c",
      message: " two  spaces! "
    })
  })

  it("announce without a message has an empty message (dropped by the hub)", () => {
    expect(parseRequestLine("announce c")).toEqual({ _tag: "Announce", channel: "c", message: "" })
  })

  it("anything else is garbage", () => {
    for (const line of ["", "hello", "publish c m", "subscribe", "subscribe ", "   "]) {
      expect(parseRequestLine(line)).toBeUndefined()
    }
  })
})
