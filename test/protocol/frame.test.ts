import { describe, expect, it } from "vitest"
import { parseFrame } from "../../src/protocol/frame.js"

describe("protocol.md server → client lines", () => {
  it("a ping reply is the server clock in decimal unix seconds", () => {
    expect(parseFrame("1795605900")).toEqual({ _tag: "Pong", serverTime: 1795605900 })
    expect(parseFrame("0")).toEqual({ _tag: "Pong", serverTime: 0 })
  })

  it("a delivery is <channel>!<message>", () => {
    expect(parseFrame("Fail2ban!jail=sshd, action=banip, ip=192.0.2.7")).toEqual({
      _tag: "Delivery",
      channel: "Fail2ban",
      message: "jail=sshd, action=banip, ip=192.0.2.7"
    })
  })

  it("a delivery splits at the first `!`: the message keeps the others", () => {
    expect(parseFrame("c!a!b!")).toEqual({ _tag: "Delivery", channel: "c", message: "a!b!" })
    expect(parseFrame("c!!")).toEqual({ _tag: "Delivery", channel: "c", message: "!" })
  })

  it("a delivery on `all` is still a delivery (the daemon decides to ignore it)", () => {
    expect(parseFrame("all!hello")).toEqual({ _tag: "Delivery", channel: "all", message: "hello" })
  })

  it("the connect greeting and the busy notice are Debug frames", () => {
    expect(parseFrame("debug!connected...")).toEqual({ _tag: "Debug", text: "connected..." })
    expect(parseFrame("debug!busy")).toEqual({ _tag: "Debug", text: "busy" })
    expect(parseFrame("debug!a!b")).toEqual({ _tag: "Debug", text: "a!b" })
  })

  it("a delivery with an empty channel or an empty message is Other", () => {
    expect(parseFrame("!message")).toEqual({ _tag: "Other", line: "!message" })
    expect(parseFrame("channel!")).toEqual({ _tag: "Other", line: "channel!" })
    expect(parseFrame("!")).toEqual({ _tag: "Other", line: "!" })
  })

  it("a delivery whose channel breaks the name rules is Other", () => {
    expect(parseFrame("two words!m")).toEqual({ _tag: "Other", line: "two words!m" })
    expect(parseFrame("tab\there!m")).toEqual({ _tag: "Other", line: "tab\there!m" })
  })

  it("a delivery whose message holds a CR or NUL is a Delivery: the grammar stage rejects it, counted (not an ignored line)", () => {
    expect(parseFrame("c!a\rb")).toEqual({ _tag: "Delivery", channel: "c", message: "a\rb" })
    expect(parseFrame("c!a\0b")).toEqual({ _tag: "Delivery", channel: "c", message: "a\0b" })
  })

  it("info reply lines and anything else are Other", () => {
    for (const line of ["uptime: 0d 0h 1m 5s", "current connections: 3", "", " 123", "12a", "-1", "１２"]) {
      expect(parseFrame(line)).toEqual({ _tag: "Other", line })
    }
  })
})
