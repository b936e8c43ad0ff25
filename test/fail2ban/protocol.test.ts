/**
 * fail2ban's answers as a real fail2ban-server 1.0.2 sent them (bytes captured from its socket),
 * read into what f2bc logs; and where an answer ends.
 */
import * as Either from "effect/Either"
import { describe, expect, it } from "vitest"
import { answerEnd, END, readAnswer } from "../../src/fail2ban/index.js"

const captured = (hex: string) => Buffer.from(hex, "hex")

/** `(0, 'pong')`: the answer to `ping`. */
const PONG = captured("8005950c000000000000004b008c04706f6e679486942e")
/** `(0, 2)`: `set cluster-sshd banip 192.0.2.1 192.0.2.2`, two newly banned. */
const BANNED_TWO = captured("80059507000000000000004b004b0286942e")
/** `(1, UnknownJailException('nojail'))`: `set nojail banip 1.2.3.4`. */
const UNKNOWN_JAIL = Buffer.from(
  "gAWVQQAAAAAAAABLAYwTZmFpbDJiYW4uZXhjZXB0aW9uc5SMFFVua25vd25KYWlsRXhjZXB0aW9ulJOUjAZub2phaWyUhZRSlIaULg==",
  "base64"
)
/** `"ERROR: pickle data was truncated"`: the server's answer to bytes it could not unpickle. */
const SERVER_ERROR = Buffer.from("gAWVJAAAAAAAAACMIEVSUk9SOiBwaWNrbGUgZGF0YSB3YXMgdHJ1bmNhdGVklC4=", "base64")

describe("readAnswer", () => {
  it("reads a result as Python writes it", () => {
    expect(readAnswer(PONG)).toEqual(Either.right({ _tag: "Done", result: "'pong'" }))
    expect(readAnswer(BANNED_TWO)).toEqual(Either.right({ _tag: "Done", result: "2" }))
  })

  it("reads fail2ban's exception as its class and arguments: a failure", () => {
    expect(readAnswer(UNKNOWN_JAIL)).toEqual(Either.right({ _tag: "Failed", error: "UnknownJailException('nojail')" }))
  })

  it("reads the server's own ERROR text as a failure", () => {
    expect(readAnswer(SERVER_ERROR)).toEqual(Either.right({ _tag: "Failed", error: "ERROR: pickle data was truncated" }))
  })

  it("refuses a pickle that is not (ack, result)", () => {
    // PROTO 5, BININT1 7, STOP
    expect(Either.isLeft(readAnswer(Buffer.from([0x80, 5, 0x4b, 7, 0x2e])))).toBe(true)
    // (2, None): no such ack
    expect(Either.isLeft(readAnswer(Buffer.from([0x80, 5, 0x4b, 2, 0x4e, 0x86, 0x2e])))).toBe(true)
  })
})

describe("answerEnd", () => {
  it("finds the answer once the received bytes end with the terminator", () => {
    expect(answerEnd(PONG)).toBeUndefined()
    expect(answerEnd(Buffer.concat([PONG, END.subarray(0, 5)]))).toBeUndefined()
    expect(answerEnd(Buffer.concat([PONG, END]))).toBe(PONG.length)
    expect(answerEnd(END)).toBe(0)
  })
})
