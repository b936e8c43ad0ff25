/**
 * security.md envelope: `_id` (128-bit hex), `_ts` (unix seconds), `_origin` (node
 * name) as publish appends them, and their validation on receipt.
 */
import * as Either from "effect/Either"
import { describe, expect, it } from "vitest"
import { parseMessage } from "../../src/message/index.js"
import {
  appendEnvelope,
  isNodeName,
  newEnvelope,
  nodeNameOf,
  readEnvelope,
  type Envelope,
  type EnvelopeRejection
} from "../../src/trust/index.js"
import { renderRejection } from "../../src/decide/rejection.js"

const ID = "0123456789abcdef0123456789abcdef"
const SIG = "A".repeat(42) + "_"

const envelopeOf = (pairs: Record<string, string>): Either.Either<Envelope, EnvelopeRejection> =>
  readEnvelope(new Map(Object.entries(pairs)))

/** The refused key and the reason as the log renders it. */
const problemOf = (pairs: Record<string, string>): { readonly key: string; readonly problem: string } =>
  Either.match(envelopeOf(pairs), {
    onLeft: (rejection) => ({ key: rejection.key, problem: renderRejection(rejection) }),
    onRight: () => {
      throw new Error(`expected ${JSON.stringify(pairs)} to be refused`)
    }
  })

describe("security.md envelope: readEnvelope", () => {
  it("a message without envelope pairs has an empty envelope (an old client)", () => {
    expect(envelopeOf({})).toEqual(Either.right({ id: undefined, ts: undefined, origin: undefined, sig: undefined }))
  })

  it("reads every pair, _ts as a number", () => {
    expect(envelopeOf({ _id: ID, _ts: "1795605900", _origin: "web-1.example.com", _sig: SIG })).toEqual(
      Either.right({ id: ID, ts: 1795605900, origin: "web-1.example.com", sig: SIG })
    )
    expect(envelopeOf({ _ts: "0" })).toEqual(Either.right({ id: undefined, ts: 0, origin: undefined, sig: undefined }))
  })

  it("_id must be 32 lowercase hex digits", () => {
    for (const id of ["", ID.slice(1), `${ID}0`, ID.toUpperCase(), `${ID.slice(1)}g`, ` ${ID.slice(1)}`]) {
      expect(problemOf({ _id: id })).toEqual({ key: "_id", problem: "_id must be 32 lowercase hex digits" })
    }
  })

  it("_ts must be unix seconds: digits, no leading zero, no sign, no fraction, at most 12 digits", () => {
    for (const ts of ["", "-1", "+1", "01", "1.5", "1e9", " 1", "0x10", "1234567890123"]) {
      expect(problemOf({ _ts: ts })).toEqual({ key: "_ts", problem: "_ts must be unix seconds (digits)" })
    }
    expect(Either.isRight(envelopeOf({ _ts: "999999999999" }))).toBe(true)
  })

  it("_origin must be a node name (no leading -, at most 255 characters)", () => {
    for (const origin of ["", "-x", "a b", "a/b", "é", "a".repeat(256), "$(id)"]) {
      expect(problemOf({ _origin: origin })).toEqual({ key: "_origin", problem: `_origin must be a node name of letters, digits, "_", "." or "-"` })
    }
    expect(Either.isRight(envelopeOf({ _origin: "a".repeat(255) }))).toBe(true)
  })

  it("_sig must be 43 base64url characters (no padding, no + or /)", () => {
    for (const sig of ["", SIG.slice(1), `${SIG}A`, `${SIG.slice(1)}=`, `${SIG.slice(1)}+`, `${SIG.slice(1)}/`]) {
      expect(problemOf({ _sig: sig })).toEqual({ key: "_sig", problem: "_sig must be 43 base64url characters (HMAC-SHA256)" })
    }
  })

  it("reports the first malformed pair in the order _id, _ts, _origin, _sig", () => {
    expect(problemOf({ _sig: "x", _origin: "-", _ts: "x", _id: "x" }).key).toBe("_id")
    expect(problemOf({ _sig: "x", _origin: "-", _ts: "x" }).key).toBe("_ts")
    expect(problemOf({ _sig: "x", _origin: "-" }).key).toBe("_origin")
  })
})

describe("security.md envelope: what publish appends", () => {
  it("newEnvelope: the id is the random bytes in hex, the time is whole unix seconds", () => {
    const bytes = Uint8Array.from({ length: 16 }, (_, i) => i * 17)
    const requested: Array<number> = []
    const envelope = newEnvelope("node-1", 1_795_605_900_999, (n) => {
      requested.push(n)
      return bytes
    })
    expect(requested).toEqual([16])
    expect(envelope).toEqual({ id: "00112233445566778899aabbccddeeff", ts: 1_795_605_900, origin: "node-1" })
  })

  it("appendEnvelope adds _id, _ts and _origin in the canonical ', ' form, after the text as given", () => {
    expect(appendEnvelope("jail=sshd, ip=192.0.2.7", { id: ID, ts: 17, origin: "n" })).toBe(
      `jail=sshd, ip=192.0.2.7, _id=${ID}, _ts=17, _origin=n`
    )
  })

  it("the receiver reads back the fields, the envelope, and as %_msg% the text as given, without envelope pairs", () => {
    const text = appendEnvelope("jail = sshd,ip=192.0.2.7,", { id: ID, ts: 1_795_605_900, origin: "web-1" })
    const message = Either.getOrThrow(parseMessage(text))
    expect([...message.fields]).toEqual([["jail", "sshd"], ["ip", "192.0.2.7"]])
    expect(readEnvelope(message.envelope)).toEqual(Either.right({ id: ID, ts: 1_795_605_900, origin: "web-1", sig: undefined }))
    expect(message.body).toBe("jail = sshd,ip=192.0.2.7,")
  })
})

describe("node names", () => {
  it("isNodeName: letters, digits, _ . -, not starting with -, 1 to 255 characters", () => {
    for (const name of ["web-1", "web-1.example.com", "_a", ".", "0", "a".repeat(255)]) expect(isNodeName(name)).toBe(true)
    for (const name of ["", "-a", "a b", "a:b", "é", "a".repeat(256)]) expect(isNodeName(name)).toBe(false)
  })

  it("nodeNameOf keeps a valid host name and turns any other into a valid node name", () => {
    expect(nodeNameOf("web-1.example.com")).toBe("web-1.example.com")
    expect(nodeNameOf("my host")).toBe("my_host")
    expect(nodeNameOf("-x")).toBe("_x")
    expect(nodeNameOf("")).toBe("unnamed")
    expect(nodeNameOf("a".repeat(300))).toBe("a".repeat(255))
  })
})
