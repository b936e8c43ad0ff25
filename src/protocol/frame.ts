/**
 * Server → client lines of the fanout protocol (docs/protocol.md): classifies one line
 * (terminator already removed) as a pong, a delivery, a server notice or other.
 */
import * as Either from "effect/Either"
import { validateChannelName } from "./names.js"

/** One line received from a fanout server. */
export type Frame =
  | { readonly _tag: "Pong"; readonly serverTime: number }
  | { readonly _tag: "Delivery"; readonly channel: string; readonly message: string }
  | { readonly _tag: "Debug"; readonly text: string }
  | { readonly _tag: "Other"; readonly line: string }

const digitsOnly = /^[0-9]+$/

/**
 * Classifies a line:
 * - only ASCII digits: `Pong` (the server's clock, unix seconds);
 * - otherwise split at the *first* `!`: channel `debug` gives `Debug`, any other
 *   valid channel with a non-empty message gives `Delivery` (the message keeps
 *   any further `!`); a channel that breaks the name rules, or an empty message, gives `Other`.
 *   A message with a CR or NUL is still a `Delivery`: the daemon's grammar
 *   stage rejects it, counted and logged like every bad message (not ignored here);
 * - anything else (e.g. `info` reply lines `uptime: …`) is `Other`.
 */
export const parseFrame = (line: string): Frame => {
  if (digitsOnly.test(line)) return { _tag: "Pong", serverTime: Number(line) }
  const bang = line.indexOf("!")
  if (bang === -1) return { _tag: "Other", line }
  const channel = line.slice(0, bang)
  const message = line.slice(bang + 1)
  if (channel === "debug") return { _tag: "Debug", text: message }
  if (message.length === 0 || Either.isLeft(validateChannelName(channel))) {
    return { _tag: "Other", line }
  }
  return { _tag: "Delivery", channel, message }
}
