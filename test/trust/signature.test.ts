/**
 * security.md signatures: `_sig` = base64url(HMAC-SHA256(secret, `<channel>!<text
 * before ", _sig=">`)) as the last pair; missing, misplaced and wrong signatures, and key rotation.
 */
import * as Either from "effect/Either"
import { createHmac } from "node:crypto"
import { describe, expect, it } from "vitest"
import { parseMessage } from "../../src/message/index.js"
import {
  appendSignature,
  SIG_SEPARATOR,
  signature,
  signedBytes,
  verifySignature,
  type SignatureRejection
} from "../../src/trust/index.js"
import { renderRejection } from "../../src/decide/rejection.js"
import { OLD_SECRET, SECRET, WRONG_SECRET } from "../decide/plans.js"

const CHANNEL = "Fail2ban"
const UNSIGNED = "jail=sshd, action=banip, ip=192.0.2.7, _id=0123456789abcdef0123456789abcdef, _ts=1795605900, _origin=web-1"

/** Verifies a text as the pipeline does: the parsed message tells whether _sig is there and what the last pair is. */
type SignatureProblem = SignatureRejection["reason"]

const describeSignatureProblem = (reason: SignatureProblem): string => renderRejection({ _tag: "Signature", reason })

const verify = (secrets: ReadonlyArray<Uint8Array>, text: string, channel = CHANNEL): Either.Either<void, SignatureProblem> => {
  const message = Either.getOrThrow(parseMessage(text))
  return Either.mapLeft(
    verifySignature(secrets, channel, text, message.envelope.has("_sig"), message.pairs[message.pairs.length - 1]),
    (rejection) => rejection.reason
  )
}

describe("security.md signatures: what is signed", () => {
  it("the signed bytes are <channel>!<text>, UTF-8", () => {
    expect(signedBytes("ch", "a=é")).toEqual(Buffer.from("ch!a=\u00e9", "utf8"))
  })

  it("the signature is base64url HMAC-SHA256 of those bytes (43 characters, no padding)", () => {
    const expected = createHmac("sha256", SECRET).update(`${CHANNEL}!${UNSIGNED}`).digest("base64")
      .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")
    expect(signature(SECRET, CHANNEL, UNSIGNED)).toBe(expected)
    expect(expected).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })

  it("matches a fixed vector (the wire format cannot change by accident)", () => {
    expect(signature(new Uint8Array(Buffer.from("key")), "The quick brown fox", "jumps over the lazy dog")).toBe(
      createHmac("sha256", "key").update("The quick brown fox!jumps over the lazy dog").digest("base64url")
    )
    expect(signature(new Uint8Array(Buffer.from("0123456789abcdef")), "c", "a=1")).toBe("I4Ppg-7ip0LkTG-_9vbP-1wCVxuCBaZ3uUV072QZzu4")
  })

  it("appendSignature adds ', _sig=<signature>' as the last pair", () => {
    const text = appendSignature(SECRET, CHANNEL, UNSIGNED)
    expect(text).toBe(`${UNSIGNED}${SIG_SEPARATOR}${signature(SECRET, CHANNEL, UNSIGNED)}`)
    const message = Either.getOrThrow(parseMessage(text))
    expect(message.pairs[message.pairs.length - 1]).toEqual(["_sig", signature(SECRET, CHANNEL, UNSIGNED)])
  })
})

describe("security.md signatures: verifySignature", () => {
  it("accepts the text as signed", () => {
    expect(verify([SECRET], appendSignature(SECRET, CHANNEL, UNSIGNED))).toEqual(Either.right(undefined))
  })

  it("key rotation: a signature by any of the channel's secrets is accepted", () => {
    expect(verify([SECRET, OLD_SECRET], appendSignature(OLD_SECRET, CHANNEL, UNSIGNED))).toEqual(Either.right(undefined))
    expect(verify([OLD_SECRET, SECRET], appendSignature(SECRET, CHANNEL, UNSIGNED))).toEqual(Either.right(undefined))
  })

  it("Missing: no _sig pair", () => {
    expect(verify([SECRET], UNSIGNED)).toEqual(Either.left("Missing"))
  })

  it("Mismatch: another secret, another channel, a changed text", () => {
    expect(verify([SECRET], appendSignature(WRONG_SECRET, CHANNEL, UNSIGNED))).toEqual(Either.left("Mismatch"))
    expect(verify([SECRET], appendSignature(SECRET, "Other", UNSIGNED))).toEqual(Either.left("Mismatch"))
    const signed = appendSignature(SECRET, CHANNEL, UNSIGNED)
    expect(verify([SECRET], signed.replace("192.0.2.7", "192.0.2.8"))).toEqual(Either.left("Mismatch"))
    expect(verify([SECRET], signed.replace("jail=sshd", "jail =sshd"))).toEqual(Either.left("Mismatch"))
  })

  it("Mismatch: a channel whose secrets could not be read accepts nothing (fail closed)", () => {
    expect(verify([], appendSignature(SECRET, CHANNEL, UNSIGNED))).toEqual(Either.left("Mismatch"))
  })

  it("NotLast: _sig followed by another pair", () => {
    const sig = signature(SECRET, CHANNEL, "jail=sshd")
    expect(verify([SECRET], `jail=sshd, _sig=${sig}, ip=192.0.2.7`)).toEqual(Either.left("NotLast"))
    expect(verify([SECRET], `_sig=${sig}, jail=sshd`)).toEqual(Either.left("NotLast"))
  })

  it("NotLast: anything after the signature, even an empty part or a blank", () => {
    const signed = appendSignature(SECRET, CHANNEL, UNSIGNED)
    expect(verify([SECRET], `${signed},`)).toEqual(Either.left("NotLast"))
    expect(verify([SECRET], `${signed} `)).toEqual(Either.left("NotLast"))
    expect(verify([SECRET], `${signed}\t`)).toEqual(Either.left("NotLast"))
    expect(verify([SECRET], `${signed}, `)).toEqual(Either.left("NotLast"))
  })

  it("NotLast: a separator other than exactly ', _sig='", () => {
    const sig = signature(SECRET, CHANNEL, UNSIGNED)
    expect(verify([SECRET], `${UNSIGNED},_sig=${sig}`)).toEqual(Either.left("NotLast"))
    expect(verify([SECRET], `${UNSIGNED},  _sig=${sig}`)).toEqual(Either.left("NotLast"))
    expect(verify([SECRET], `${UNSIGNED}, _sig =${sig}`)).toEqual(Either.left("NotLast"))
    expect(verify([SECRET], `${UNSIGNED}, _sig= ${sig}`)).toEqual(Either.left("NotLast"))
  })

  it("a signature that is not 43 characters never matches", () => {
    const sig = signature(SECRET, CHANNEL, UNSIGNED)
    expect(verify([SECRET], `${UNSIGNED}, _sig=${sig}=`)).toEqual(Either.left("Mismatch"))
    expect(verify([SECRET], `${UNSIGNED}, _sig=${sig.slice(0, 42)}`)).toEqual(Either.left("Mismatch"))
  })

  it("describes each problem without the secret", () => {
    for (const problem of ["Missing", "NotLast", "Mismatch"] as const) {
      const text = describeSignatureProblem(problem)
      expect(text).toMatch(/_sig/)
      expect(text).not.toContain(Buffer.from(SECRET).toString("utf8"))
    }
  })
})
