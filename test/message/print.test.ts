/**
 * Examples of the canonical pair text (protocol.md): `k1=v1, k2=v2`.
 */
import { describe, expect, it } from "vitest"
import { printPairs } from "../../src/message/index.js"

describe("protocol.md canonical text", () => {
  it("joins pairs with \", \" and each pair with \"=\"", () => {
    expect(printPairs([["jail", "sshd"], ["action", "banip"], ["ip", "192.168.0.1"]])).toBe(
      "jail=sshd, action=banip, ip=192.168.0.1"
    )
  })

  it("prints an empty value as `k=`", () => {
    expect(printPairs([["a", ""], ["b", "x=y"]])).toBe("a=, b=x=y")
  })

  it("prints an empty list as the empty text", () => {
    expect(printPairs([])).toBe("")
  })
})
