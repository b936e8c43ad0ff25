import * as Either from "effect/Either"
import { describe, expect, it } from "vitest"
import { encodeRequest, Request } from "../../src/protocol/request.js"

describe("protocol.md client → server lines", () => {
  it("subscribe <channel>", () => {
    expect(encodeRequest(Request.subscribe("Fail2ban"))).toEqual(Either.right("subscribe Fail2ban\n"))
  })

  it("unsubscribe <channel>", () => {
    expect(encodeRequest(Request.unsubscribe("Fail2ban"))).toEqual(Either.right("unsubscribe Fail2ban\n"))
  })

  it("announce <channel> <message>, the message kept whole with its spaces and `!`", () => {
    expect(encodeRequest(Request.announce("Fail2ban", "jail=sshd, action=banip, ip=192.0.2.7"))).toEqual(
      Either.right("announce Fail2ban jail=sshd, action=banip, ip=192.0.2.7\n")
    )
    expect(encodeRequest(Request.announce("c", "hi! there!"))).toEqual(Either.right("announce c hi! there!\n"))
  })

  it("ping and info", () => {
    expect(encodeRequest(Request.ping)).toEqual(Either.right("ping\n"))
    expect(encodeRequest(Request.info)).toEqual(Either.right("info\n"))
  })

  it("constructors build plain tagged values", () => {
    expect(Request.announce("c", "m")).toEqual({ _tag: "Announce", channel: "c", message: "m" })
    expect(Request.subscribe("c")).toEqual({ _tag: "Subscribe", channel: "c" })
    expect(Request.ping).toEqual({ _tag: "Ping" })
  })
})

describe("protocol.md encoding refuses what would break framing", () => {
  it("a channel with a space would be read as part of the message", () => {
    const result = encodeRequest(Request.announce("a b", "m"))
    expect(Either.isLeft(result) && result.left.reason).toBe("BadChannel")
  })

  it("a channel with `!` would be split wrongly on delivery", () => {
    const result = encodeRequest(Request.subscribe("a!b"))
    expect(Either.isLeft(result) && result.left.reason).toBe("BadChannel")
  })

  it("an empty channel", () => {
    const result = encodeRequest(Request.unsubscribe(""))
    expect(Either.isLeft(result) && result.left.reason).toBe("BadChannel")
  })

  it("a message with a line feed would inject a second request", () => {
    const result = encodeRequest(Request.announce("c", "x\nannounce other evil"))
    expect(Either.isLeft(result) && result.left.reason).toBe("BadMessage")
  })

  it("an empty message (the server drops it, so sending it cannot be confirmed)", () => {
    const result = encodeRequest(Request.announce("c", ""))
    expect(Either.isLeft(result) && result.left.reason).toBe("BadMessage")
  })

  it("the channel is checked before the message", () => {
    const result = encodeRequest(Request.announce("", ""))
    expect(Either.isLeft(result) && result.left.reason).toBe("BadChannel")
  })
})
