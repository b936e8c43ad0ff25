/**
 * The trust envelope (docs/protocol.md): `_id`, `_ts`, `_origin` appended by
 * `f2bc publish`, and their validation on receipt.
 */
import * as Either from "effect/Either"

export interface Envelope {
  /** 32 lowercase hex digits (128 random bits). */
  readonly id: string | undefined
  /** Unix seconds. */
  readonly ts: number | undefined
  /** The publisher's node_name. */
  readonly origin: string | undefined
  /** base64url HMAC-SHA256; checked by signature.ts. */
  readonly sig: string | undefined
}

export type EnvelopeKey = "_id" | "_ts" | "_origin" | "_sig"

/** The `envelope` stage's rejection: a malformed envelope value, or on a signed channel a missing `_id` or `_ts`. */
export interface EnvelopeRejection {
  readonly _tag: "Envelope"
  readonly reason: "Malformed" | "Missing"
  readonly key: EnvelopeKey
}

const ID = /^[0-9a-f]{32}$/
const TS = /^(0|[1-9][0-9]{0,11})$/
const ORIGIN = /^[A-Za-z0-9_.][A-Za-z0-9_.-]{0,254}$/
/** 32 bytes of HMAC-SHA256 in base64url without padding. */
const SIG = /^[A-Za-z0-9_-]{43}$/

/** `node_name` and `_origin` syntax: letters, digits, "_", ".", "-", not starting with "-", at most 255. */
export const isNodeName = (text: string): boolean => ORIGIN.test(text)

const formats: ReadonlyArray<readonly [EnvelopeKey, RegExp]> = [["_id", ID], ["_ts", TS], ["_origin", ORIGIN], ["_sig", SIG]]

/** Reads the envelope pairs of a parsed message, refusing any that is malformed. */
export const readEnvelope = (pairs: ReadonlyMap<string, string>): Either.Either<Envelope, EnvelopeRejection> => {
  for (const [key, pattern] of formats) {
    const value = pairs.get(key)
    if (value !== undefined && !pattern.test(value)) return Either.left({ _tag: "Envelope", reason: "Malformed", key })
  }
  const ts = pairs.get("_ts")
  return Either.right({
    id: pairs.get("_id"),
    ts: ts === undefined ? undefined : Number(ts),
    origin: pairs.get("_origin"),
    sig: pairs.get("_sig")
  })
}

export interface NewEnvelope {
  readonly id: string
  readonly ts: number
  readonly origin: string
}

/** A fresh envelope: `random` supplies the 16 bytes of the id. */
export const newEnvelope = (origin: string, nowMs: number, random: (bytes: number) => Uint8Array): NewEnvelope => ({
  id: Buffer.from(random(16)).toString("hex"),
  ts: Math.floor(nowMs / 1000),
  origin
})

/** The message text with the envelope pairs appended, in the canonical `, ` form. */
export const appendEnvelope = (text: string, envelope: NewEnvelope): string =>
  `${text}, _id=${envelope.id}, _ts=${envelope.ts}, _origin=${envelope.origin}`

/** The host name as a node name (the default `node_name`): characters outside the syntax become "_". */
export const nodeNameOf = (host: string): string => {
  if (isNodeName(host)) return host
  const cleaned = host.replace(/[^A-Za-z0-9_.-]/g, "_").replace(/^-/, "_").slice(0, 255)
  return cleaned === "" ? "unnamed" : cleaned
}
