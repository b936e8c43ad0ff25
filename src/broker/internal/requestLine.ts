/**
 * How the broker reads one request line, the way the fanout server does:
 * exact `ping`/`info`, otherwise `<verb> <channel>[ <message>]` split at runs of spaces.
 */
import { Request } from "../../protocol/request.js"

/**
 * The request a line asks for, or `undefined` for garbage (ignored, as fanout does).
 * Only the syntax is read here: the hub checks the channel and message rules.
 */
// Like fanout's strtok(line, " "): runs of spaces separate the verb and the
// channel; the message is what follows the channel and one space.
const REQUEST = /^ *([^ ]+) +([^ ]+)(?: (.*))?$/s

export const parseRequestLine = (line: string): Request | undefined => {
  if (line === "ping") return Request.ping
  if (line === "info") return Request.info
  const match = REQUEST.exec(line)
  if (match === null) return undefined
  const channel = match[2]!
  switch (match[1]) {
    case "subscribe":
      return Request.subscribe(channel)
    case "unsubscribe":
      return Request.unsubscribe(channel)
    case "announce":
      // The message may hold spaces and `!`.
      return Request.announce(channel, match[3] ?? "")
    default:
      return undefined
  }
}
