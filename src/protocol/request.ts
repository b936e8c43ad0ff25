/**
 * Client → server requests of the fanout protocol (docs/protocol.md) and their encoding
 * as wire lines; encoding refuses a channel or message that would break framing.
 */
import * as Either from "effect/Either"
import { type ProtocolError, validateChannelName, validateMessageText } from "./names.js"

/** One request line a client sends to a fanout server. */
export type Request =
  | { readonly _tag: "Subscribe"; readonly channel: string }
  | { readonly _tag: "Unsubscribe"; readonly channel: string }
  | { readonly _tag: "Announce"; readonly channel: string; readonly message: string }
  | { readonly _tag: "Ping" }
  | { readonly _tag: "Info" }

/**
 * Constructors: `Request.subscribe("bans")`, `Request.announce("bans", "ip=192.0.2.7")`,
 * `Request.ping`, … They build values only; `encodeRequest` validates.
 */
export const Request: {
  readonly subscribe: (channel: string) => Request
  readonly unsubscribe: (channel: string) => Request
  readonly announce: (channel: string, message: string) => Request
  readonly ping: Request
  readonly info: Request
} = {
  subscribe: (channel) => ({ _tag: "Subscribe", channel }),
  unsubscribe: (channel) => ({ _tag: "Unsubscribe", channel }),
  announce: (channel, message) => ({ _tag: "Announce", channel, message }),
  ping: { _tag: "Ping" },
  info: { _tag: "Info" }
}

/** The full wire line of `req`, trailing `\n` included, or why it cannot be sent. */
export const encodeRequest = (req: Request): Either.Either<string, ProtocolError> => {
  switch (req._tag) {
    case "Subscribe":
      return Either.map(validateChannelName(req.channel), (channel) => `subscribe ${channel}\n`)
    case "Unsubscribe":
      return Either.map(validateChannelName(req.channel), (channel) => `unsubscribe ${channel}\n`)
    case "Announce":
      return Either.flatMap(
        validateChannelName(req.channel),
        (channel) => Either.map(validateMessageText(req.message), (message) => `announce ${channel} ${message}\n`)
      )
    case "Ping":
      return Either.right("ping\n")
    case "Info":
      return Either.right("info\n")
  }
}
