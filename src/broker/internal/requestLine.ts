/**
 * How the broker reads one request line, the way the fanout server does:
 * exact `ping`/`info`, otherwise `<verb> <channel>[ <message>]` split at single spaces.
 */
import { Request } from "../../protocol/request.js"

/**
 * The request a line asks for, or `undefined` for garbage (ignored, as fanout does).
 * Only the syntax is read here: the hub checks the channel and message rules.
 */
export const parseRequestLine = (line: string): Request | undefined => {
  if (line === "ping") return Request.ping
  if (line === "info") return Request.info
  const space = line.indexOf(" ")
  if (space === -1) return undefined
  const rest = line.slice(space + 1)
  switch (line.slice(0, space)) {
    case "subscribe":
      return Request.subscribe(rest)
    case "unsubscribe":
      return Request.unsubscribe(rest)
    case "announce": {
      // The message is everything after the first space that follows the channel: it may hold spaces and `!`.
      const split = rest.indexOf(" ")
      return split === -1 ? Request.announce(rest, "") : Request.announce(rest.slice(0, split), rest.slice(split + 1))
    }
    default:
      return undefined
  }
}
