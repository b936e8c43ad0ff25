/**
 * What may be published: the checks `f2bc publish` and the daemon's `publish` verb share, so both refuse
 * the same messages with the same texts (hostile characters shown escaped, as the log does).
 */
import * as Either from "effect/Either"
import { parseMessage, type Message } from "../message/index.js"
import { isReservedChannel, validateChannelName, validateMessageText } from "../protocol/names.js"
import { escapeUnsafe } from "../text/untrusted.js"
import { appendEnvelope, appendSignature, checkBody, checkFields, type NewEnvelope, type ValueType } from "../trust/index.js"
import { describeValueProblem } from "./rejection.js"

/** Refuses what the wire or the grammar would reject; the message otherwise. */
export const checkOutgoing = (channelName: string, text: string): Either.Either<Message, string> => {
  const name = validateChannelName(channelName)
  if (Either.isLeft(name)) return Either.left(escapeUnsafe(name.left.message))
  if (isReservedChannel(channelName)) return Either.left(escapeUnsafe(`channel "${channelName}" is reserved by the fanout protocol`))
  const body = validateMessageText(text)
  if (Either.isLeft(body)) return Either.left(escapeUnsafe(body.left.message))
  const parsed = parseMessage(text)
  if (Either.isLeft(parsed)) return Either.left(escapeUnsafe(`invalid message: ${parsed.left.message}`))
  if (parsed.right.envelope.size > 0) {
    const keys = [...parsed.right.envelope.keys()].join(", ")
    return Either.left(escapeUnsafe(`invalid message: ${keys} belong to the envelope, which publish adds itself`))
  }
  return Either.right(parsed.right)
}

/** Why a daemon with these types would reject `parsed` at its types stage, or undefined. */
export const checkOutgoingTypes = (parsed: Message, types: ReadonlyMap<string, ValueType>): string | undefined => {
  const bad = parsed.kind === "plain" ? checkBody(parsed.body) : checkFields(parsed.fields, types) ?? checkBody(parsed.body)
  return bad === undefined
    ? undefined
    : escapeUnsafe(`invalid message: ${bad.key}=${JSON.stringify(bad.value)} ${describeValueProblem(bad.problem)} (a daemon would reject it)`)
}

/** The refusal of a plain-text message on a channel that signs. */
export const PLAIN_SIGNED = "a plain-text message (no key=value pairs) cannot be signed: the channel has a secret"

/** The refusal of a request line longer than the servers take. */
export const tooLong = (bytes: number, limit: number): string =>
  `invalid message: the request line would be ${bytes} bytes as sent (with the envelope and any signature); servers accept at most ${limit}`

/** What a publisher sends to one server: a plain-text message as given; pairs with the envelope, then the signature where the channel has a secret. */
export const outgoingText = (channelName: string, text: string, plain: boolean, envelope: NewEnvelope, secret: Uint8Array | undefined): string => {
  if (plain) return text
  const enveloped = appendEnvelope(text, envelope)
  return secret === undefined ? enveloped : appendSignature(secret, channelName, enveloped)
}

/** The refusal of `line` when its announce request is longer than the servers take, or undefined. */
export const checkLineLength = (channelName: string, line: string, limit: number): string | undefined => {
  const bytes = Buffer.byteLength(`announce ${channelName} ${line}`, "utf8")
  return bytes > limit ? tooLong(bytes, limit) : undefined
}
