/**
 * What `f2bc check` shows, as data: a message decided by the daemon's own `decide`, per server,
 * as it would arrive there (a bare `key=value` message with the envelope `f2bc publish` appends).
 */
import * as Either from "effect/Either"
import type { Config, ServerConfig } from "../config/model.js"
import { parseMessage } from "../message/index.js"
import { appendEnvelope, appendSignature, makeSeenTable, newEnvelope } from "../trust/index.js"
import { decide, planServer } from "./pipeline.js"
import type { Decision } from "./decision.js"

/** The `_origin` of a checked message: never a real node's name. */
export const CHECK_ORIGIN = "f2bc-check"

export interface CheckResult {
  /** Whether the message was wrapped the way `f2bc publish` on another host would send it. */
  readonly asPublished: boolean
  /** One decision per server that has the channel, in config order. */
  readonly servers: ReadonlyArray<{ readonly server: ServerConfig; readonly text: string; readonly decision: Decision }>
}

export const checkMessage = (
  config: Config,
  channel: string,
  message: string,
  nowMs: number,
  random: (size: number) => Uint8Array,
  serverName: (server: ServerConfig) => string
): CheckResult => {
  const parsed = parseMessage(message)
  // A message without envelope is checked as `f2bc publish` on another host would send it.
  const asPublished = Either.isRight(parsed) && parsed.right.kind === "pairs" && parsed.right.envelope.size === 0
  const enveloped = asPublished ? appendEnvelope(message, newEnvelope(CHECK_ORIGIN, nowMs, random)) : message
  const servers = config.servers.flatMap((server) => {
    const channelConfig = server.channels.find((c) => c.name === channel)
    if (channelConfig === undefined) return []
    const secret = channelConfig.secrets[0]
    const text = asPublished && secret !== undefined ? appendSignature(secret, channel, enveloped) : enveloped
    // A fresh table per server: each result shows what that server alone would do.
    const decision = decide(planServer(server, config), { channel, message: text, server: serverName(server) }, {
      nowMs,
      seen: makeSeenTable(1)
    })
    return [{ server, text, decision }]
  })
  return { asPublished, servers }
}
