/**
 * The control socket's `publish <channel> <message>`: checked exactly as `f2bc publish` checks it,
 * stamped, recorded durably in the outbox, and only then answered; a refusal records nothing.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { randomBytes } from "node:crypto"
import type { Config } from "../config/model.js"
import type { PublishAnswer } from "../control/protocol.js"
import { checkOutgoing, checkOutgoingTypes, PLAIN_SIGNED, checkLineLength } from "../decide/outgoing.js"
import { escapeUnsafe } from "../text/untrusted.js"
import type { Outbox } from "./model.js"
import { targetsOf, wireText } from "./targets.js"

const refused = (error: string): PublishAnswer => ({ ok: false, error })

/** Why `text` on `channelName` cannot be handed off with `config`, or the entry's fields (id, targets) when it can. */
export const checkHandOff = (config: Config, channelName: string, text: string, nowMs: number, id: string) => {
  const checked = checkOutgoing(channelName, text)
  if (Either.isLeft(checked)) return Either.left(checked.left)
  const parsed = checked.right
  const targets = targetsOf(config, channelName)
  if (targets.length === 0) return Either.left(escapeUnsafe(`no server in ${config.source} has a channel named "${channelName}"`))
  for (const target of targets) {
    const bad = checkOutgoingTypes(parsed, target.channel.types)
    if (bad !== undefined) return Either.left(bad)
  }
  const plain = parsed.kind === "plain"
  if (plain && targets.some((target) => target.channel.secrets.length > 0)) return Either.left(PLAIN_SIGNED)
  const entry = { id, channel: channelName, text, plain, origin: config.node_name, acceptedMs: nowMs, targets: targets.map((t) => t.name) }
  for (const target of targets) {
    const long = checkLineLength(channelName, wireText(entry, target.channel.secrets[0], nowMs), config.max_line_bytes)
    if (long !== undefined) return Either.left(long)
  }
  return Either.right(entry)
}

/** Answers `publish`: `{ok: true, id}` once the entry is on disk, `{ok: false, error}` with nothing recorded. */
export const handOff = (outbox: Outbox, config: Config, channelName: string, text: string): Effect.Effect<PublishAnswer> =>
  Effect.gen(function* () {
    const nowMs = yield* Clock.currentTimeMillis
    const checked = checkHandOff(config, channelName, text, nowMs, randomBytes(16).toString("hex"))
    if (Either.isLeft(checked)) {
      yield* Effect.logInfo(`publish refused: ${checked.left}`)
      return refused(checked.left)
    }
    return yield* outbox.record(checked.right).pipe(
      Effect.map((entry): PublishAnswer => ({ ok: true, id: entry.id })),
      Effect.catchAll((error) => Effect.as(Effect.logWarning(`publish refused: ${error.message}`), refused(error.message)))
    )
  }).pipe(Effect.annotateLogs({ component: "outbox" }))
