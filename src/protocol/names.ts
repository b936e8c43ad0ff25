/**
 * Validity rules of the fanout wire protocol (docs/protocol.md): what a channel name and
 * a message text may contain, and the error that names the offending part.
 */
import * as Either from "effect/Either"
import { quote } from "../text/untrusted.js"

/** Channels the server itself uses: every client is subscribed to `all`; `debug` carries server notices. */
export const RESERVED_CHANNELS: ReadonlySet<string> = new Set(["all", "debug"])

/** Whether `name` is one of the server's own channels (a config rule forbids them; the wire allows them). */
export const isReservedChannel = (name: string): boolean => RESERVED_CHANNELS.has(name)

/**
 * A channel name or message text that cannot travel on the wire. A plain Error with a `_tag`, not a
 * Data.TaggedError: it is only ever returned in an Either, and `f2bc publish`'s plain path, which
 * checks names with it, evaluates no Effect module (Data.TaggedError brings Effect's core, ~2 ms).
 */
export class ProtocolError extends Error {
  readonly _tag = "ProtocolError"
  readonly reason: "BadChannel" | "BadMessage"
  readonly value: string
  readonly detail: string

  constructor(fields: { readonly reason: ProtocolError["reason"]; readonly value: string; readonly detail: string }) {
    super(`${fields.reason === "BadChannel" ? "invalid channel name" : "invalid message"} ${quoteForHumans(fields.value)}: ${fields.detail}`)
    this.reason = fields.reason
    this.value = fields.value
    this.detail = fields.detail
  }
}
ProtocolError.prototype.name = "ProtocolError"

const forbiddenInChannel: ReadonlyArray<readonly [string, string]> = [
  ["!", `"!"`],
  [" ", "a space"],
  ["\t", "a tab"],
  ["\r", "a carriage return (CR)"],
  ["\n", "a line feed (LF)"],
  ["\0", "a NUL byte"]
]

const forbiddenInMessage: ReadonlyArray<readonly [string, string]> = [
  ["\r", "a carriage return (CR)"],
  ["\n", "a line feed (LF)"],
  ["\0", "a NUL byte"]
]

const firstForbidden = (
  text: string,
  forbidden: ReadonlyArray<readonly [string, string]>
): string | undefined => {
  for (const [char, description] of forbidden) {
    if (text.includes(char)) return description
  }
  return undefined
}

/**
 * A channel name is non-empty and contains no `!`, space, tab, CR, LF or NUL.
 * Reserved names (`all`, `debug`) pass: refusing them is the config's job.
 */
export const validateChannelName = (name: string): Either.Either<string, ProtocolError> => {
  if (name.length === 0) {
    return Either.left(new ProtocolError({ reason: "BadChannel", value: name, detail: "is empty" }))
  }
  const found = firstForbidden(name, forbiddenInChannel)
  return found === undefined
    ? Either.right(name)
    : Either.left(new ProtocolError({ reason: "BadChannel", value: name, detail: `contains ${found}` }))
}

/** A message is non-empty (the server drops empty ones) and contains no CR, LF or NUL; `!` and spaces are fine. */
export const validateMessageText = (text: string): Either.Either<string, ProtocolError> => {
  if (text.length === 0) {
    return Either.left(new ProtocolError({ reason: "BadMessage", value: text, detail: "is empty" }))
  }
  const found = firstForbidden(text, forbiddenInMessage)
  return found === undefined
    ? Either.right(text)
    : Either.left(new ProtocolError({ reason: "BadMessage", value: text, detail: `contains ${found}` }))
}

// Error messages end up in logs: escape control characters and keep them short.
const quoteForHumans = (value: string): string => quote(value, 80)
