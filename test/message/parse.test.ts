/**
 * Examples of the message grammar (protocol.md): one test per rule and per error reason.
 */
import * as Either from "effect/Either"
import { describe, expect, it } from "vitest"
import { parseMessage } from "../../src/message/index.js"
import type { Message, MessageError, MessageErrorReason } from "../../src/message/index.js"

const parsed = (text: string): Message => {
  const result = parseMessage(text)
  if (Either.isLeft(result)) throw new Error(`expected ${JSON.stringify(text)} to parse, got: ${result.left.message}`)
  return result.right
}

const rejected = (text: string): MessageError => {
  const result = parseMessage(text)
  if (Either.isRight(result)) throw new Error(`expected ${JSON.stringify(text)} to be rejected`)
  return result.left
}

const expectError = (text: string, reason: MessageErrorReason, part: string, index: number): MessageError => {
  const error = rejected(text)
  expect(error._tag).toBe("MessageError")
  expect({ reason: error.reason, part: error.part, index: error.index }).toEqual({ reason, part, index })
  return error
}

describe("protocol.md message grammar: valid messages", () => {
  it("parses the seed example `jail=sshd, action=banip, ip=192.168.0.1` into three fields", () => {
    const m = parsed("jail=sshd, action=banip, ip=192.168.0.1")
    expect(m.kind).toBe("pairs")
    expect(m.pairs).toEqual([["jail", "sshd"], ["action", "banip"], ["ip", "192.168.0.1"]])
    expect([...m.fields]).toEqual([["jail", "sshd"], ["action", "banip"], ["ip", "192.168.0.1"]])
    expect(m.envelope.size).toBe(0)
    expect(m.text).toBe("jail=sshd, action=banip, ip=192.168.0.1")
    expect(m.body).toBe("jail=sshd, action=banip, ip=192.168.0.1")
  })

  it("splits a pair at its first \"=\", so a value may contain \"=\"", () => {
    expect(parsed("q=a=b==c, x==").pairs).toEqual([["q", "a=b==c"], ["x", "="]])
  })

  it("accepts \"!\" anywhere in a value (a delivery is split at the first \"!\" only)", () => {
    expect(parsed("msg=hello!world!, k=!").pairs).toEqual([["msg", "hello!world!"], ["k", "!"]])
  })

  it("trims spaces and tabs around keys and values, keeping inner whitespace", () => {
    expect(parsed(" \tjail \t=\t ssh d  ,ip=1").pairs).toEqual([["jail", "ssh d"], ["ip", "1"]])
  })

  it("ignores empty parts: doubled, leading and trailing commas, and whitespace-only parts", () => {
    expect(parsed(",a=1,,b=2, \t ,").pairs).toEqual([["a", "1"], ["b", "2"]])
  })

  it("accepts an empty value (`a=` gives a -> \"\")", () => {
    expect(parsed("a=, b=  ").pairs).toEqual([["a", ""], ["b", ""]])
  })

  it("accepts keys made of letters, digits, \"_\", \".\" and \"-\"", () => {
    expect(parsed("A.b-C_9=1, 0=2, -=3, .=4").pairs).toEqual([["A.b-C_9", "1"], ["0", "2"], ["-", "3"], [".", "4"]])
  })

  it("keeps unicode values as they are", () => {
    expect(parsed("who=Zoë 🙂, where=東京").pairs).toEqual([["who", "Zoë 🙂"], ["where", "東京"]])
  })

  it("treats a text without \"=\" as plain: no pairs, body is the text", () => {
    const m = parsed("  server 192.0.2.7 banned, again! ")
    expect(m.kind).toBe("plain")
    expect(m.pairs).toEqual([])
    expect(m.fields.size).toBe(0)
    expect(m.envelope.size).toBe(0)
    expect(m.body).toBe("  server 192.0.2.7 banned, again! ")
  })

  it("puts the envelope keys _id, _ts, _origin, _sig in `envelope`, the rest in `fields`", () => {
    const m = parsed("jail=sshd, ip=192.0.2.7, _id=abc, _ts=1795605900, _origin=node1, _sig=xyz")
    expect([...m.fields]).toEqual([["jail", "sshd"], ["ip", "192.0.2.7"]])
    expect([...m.envelope]).toEqual([["_id", "abc"], ["_ts", "1795605900"], ["_origin", "node1"], ["_sig", "xyz"]])
    expect(m.pairs).toHaveLength(6)
  })

  it("gives `%_msg%` (body) the text without its envelope parts, the others as received", () => {
    const m = parsed("jail=sshd,ip = 192.0.2.7, _id=abc,_ts=1")
    expect(m.body).toBe("jail=sshd,ip = 192.0.2.7")
    expect(parsed("_id=abc, jail=sshd,\tip=192.0.2.7").body).toBe(" jail=sshd,\tip=192.0.2.7")
    expect(m.text).toBe("jail=sshd,ip = 192.0.2.7, _id=abc,_ts=1")
  })

  it("gives `%_msg%` the text exactly as received when there is no envelope", () => {
    expect(parsed("jail=sshd,ip = 192.0.2.7 ,").body).toBe("jail=sshd,ip = 192.0.2.7 ,")
  })

  it("gives an empty body when the message holds only envelope pairs", () => {
    const m = parsed("_id=abc")
    expect(m.fields.size).toBe(0)
    expect(m.body).toBe("")
  })
})

describe("protocol.md message grammar: rejected messages name the wrong part", () => {
  it("Empty: the empty text", () => {
    expectError("", "Empty", "", -1)
  })

  it("Empty: a text of only spaces and tabs", () => {
    expectError(" \t ", "Empty", " \t ", -1)
  })

  it("Empty is not reported for a text of only commas (it is plain text)", () => {
    expect(parsed(",,").kind).toBe("plain")
  })

  it("IllegalCharacter: a line feed (the wire cannot carry it)", () => {
    const error = expectError("a=1\nb=2", "IllegalCharacter", "a=1\nb=2", -1)
    expect(error.message).toContain("line feed")
    expect(error.message).not.toContain("\n")
  })

  it("IllegalCharacter: a carriage return, even in plain text", () => {
    expectError("hello\r", "IllegalCharacter", "hello\r", -1)
  })

  it("IllegalCharacter: a NUL character", () => {
    expectError("a=\0", "IllegalCharacter", "a=\0", -1)
  })

  it("IllegalCharacter wins over Empty", () => {
    expectError("\n", "IllegalCharacter", "\n", -1)
  })

  it("PartWithoutEquals: a non-empty part without \"=\" in a message that has \"=\"", () => {
    const error = expectError("jail=sshd, banip , ip=1", "PartWithoutEquals", "banip", 1)
    expect(error.message).toBe(
      "part 2 \"banip\" has no \"=\" (a message with \"=\" must be a list of key=value pairs)"
    )
  })

  it("PartWithoutEquals: the part comes before the first \"=\"", () => {
    expectError("hello, a=1", "PartWithoutEquals", "hello", 0)
  })

  it("PartWithoutEquals: the index counts empty parts too", () => {
    expectError("a=1,,,oops", "PartWithoutEquals", "oops", 3)
  })

  it("BadKey: an empty key", () => {
    const error = expectError("a=1, =2", "BadKey", "", 1)
    expect(error.message).toContain("[A-Za-z0-9_.-]+")
  })

  it("BadKey: a key with a space inside", () => {
    const error = expectError("a b=1", "BadKey", "a b", 0)
    expect(error.message).toBe("bad key \"a b\" in part 1 (keys are [A-Za-z0-9_.-]+)")
  })

  it("BadKey: a key with a non-ASCII letter or a \"!\"", () => {
    expectError("x=1, clé=2", "BadKey", "clé", 1)
    expectError("a!=1", "BadKey", "a!", 0)
  })

  it("DuplicateKey: a key given twice", () => {
    const error = expectError("jail=sshd, action=banip, ip=1, ip=2", "DuplicateKey", "ip", 3)
    expect(error.message).toBe("duplicate key \"ip\" in part 4")
  })

  it("DuplicateKey: the same value twice is still a duplicate", () => {
    expectError("a=1, a=1", "DuplicateKey", "a", 1)
  })

  it("DuplicateKey: an envelope key given twice", () => {
    expectError("a=1, _id=x, _id=y", "DuplicateKey", "_id", 2)
  })

  it("ReservedKey: the computed key _msg", () => {
    const error = expectError("a=1, _msg=x", "ReservedKey", "_msg", 1)
    expect(error.message).toContain("reserved key \"_msg\"")
  })

  it("ReservedKey: the computed key _channel", () => {
    expectError("_channel=Fail2ban", "ReservedKey", "_channel", 0)
  })

  it("ReservedKey: any other key starting with \"_\"", () => {
    expectError("a=1, _foo=x", "ReservedKey", "_foo", 1)
    expectError("_=x", "ReservedKey", "_", 0)
  })

  it("reports the first wrong part from the left", () => {
    expectError("_x=1, a b=2, c", "ReservedKey", "_x", 0)
    expectError("a=1, a=2, _x=3", "DuplicateKey", "a", 1)
  })

  it("quotes the part in the error text with escapes and a bounded length", () => {
    const long = "x".repeat(1000)
    const error = rejected(`a=1, ${long}`)
    expect(error.part).toBe(long)
    expect(error.message.length).toBeLessThan(300)
  })
})
