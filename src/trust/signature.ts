/**
 * Message signatures (docs/protocol.md): `_sig` = base64url(HMAC-SHA256(secret,
 * `<channel>!<text before ", _sig=">`)), always the last pair, compared in constant time.
 */
import * as Either from "effect/Either"
import { createHash, createHmac, timingSafeEqual } from "node:crypto"

/** What precedes the signature in a signed text: it ends every signed message. */
export const SIG_SEPARATOR = ", _sig="

/** The exact bytes a signature covers. */
export const signedBytes = (channel: string, unsignedText: string): Buffer =>
  Buffer.from(`${channel}!${unsignedText}`, "utf8")

export const signature = (secret: Uint8Array, channel: string, unsignedText: string): string =>
  createHmac("sha256", secret).update(signedBytes(channel, unsignedText)).digest("base64url")

/** The text with its signature appended as the last pair. */
export const appendSignature = (secret: Uint8Array, channel: string, unsignedText: string): string =>
  `${unsignedText}${SIG_SEPARATOR}${signature(secret, channel, unsignedText)}`

/** The `signature` stage's rejection (its key is always `_sig`). */
export interface SignatureRejection {
  readonly _tag: "Signature"
  readonly reason: "Missing" | "NotLast" | "Mismatch"
}

const refused = (reason: SignatureRejection["reason"]): Either.Either<void, SignatureRejection> =>
  Either.left({ _tag: "Signature", reason })

/**
 * Checks the signature of `text` as received on `channel` against every
 * secret (any one may match: key rotation). `lastPair` is the message's last
 * pair as parsed. Every secret is tried, so the time taken does not tell
 * which one matched.
 */
export const verifySignature = (
  secrets: ReadonlyArray<Uint8Array>,
  channel: string,
  text: string,
  hasSig: boolean,
  lastPair: readonly [string, string] | undefined
): Either.Either<void, SignatureRejection> => {
  if (!hasSig) return refused("Missing")
  const at = text.lastIndexOf(SIG_SEPARATOR)
  if (at === -1 || lastPair === undefined || lastPair[0] !== "_sig") return refused("NotLast")
  const written = text.slice(at + SIG_SEPARATOR.length)
  // Nothing may follow the signature, not even blanks or an empty part.
  if (written !== lastPair[1]) return refused("NotLast")
  const given = Buffer.from(written, "utf8")
  const unsigned = text.slice(0, at)
  let matched = false
  for (const secret of secrets) {
    const expected = Buffer.from(signature(secret, channel, unsigned), "utf8")
    // Lengths are public (a signature is always 43 characters); contents are compared in constant time.
    if (expected.length === given.length && timingSafeEqual(expected, given)) matched = true
  }
  return matched ? Either.right(undefined) : refused("Mismatch")
}

/**
 * Which of `secrets` signed a text whose signature `verifySignature` accepted: a fingerprint of
 * that secret (SHA-256, 16 hex digits; never the secret), or undefined. A quorum that counts keys uses it.
 */
export const signerOf = (secrets: ReadonlyArray<Uint8Array>, channel: string, text: string): string | undefined => {
  const at = text.lastIndexOf(SIG_SEPARATOR)
  if (at === -1) return undefined
  const written = text.slice(at + SIG_SEPARATOR.length)
  const secret = secrets.find((candidate) => signature(candidate, channel, text.slice(0, at)) === written)
  return secret === undefined ? undefined : createHash("sha256").update(secret).digest("hex").slice(0, 16)
}
