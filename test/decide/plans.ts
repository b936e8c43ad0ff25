/**
 * Helpers for pipeline tests: configs decoded from YAML with secrets set
 * directly (decodeConfig reads no file), plans, deliveries and signed message texts.
 */
import * as Either from "effect/Either"
import { decodeConfig, type Config } from "../../src/config/index.js"
import { decide, planServer, recordExecuted, type DecideState, type Execute, type ServerPlan } from "../../src/decide/pipeline.js"
import { keyOf, outcomeOf, renderRejection, stageOf, type Rejection } from "../../src/decide/rejection.js"
import type { Delivery } from "../../src/transport/transport.js"
import { appendEnvelope, appendSignature, makeSeenTable, type NewEnvelope, type SeenTable } from "../../src/trust/index.js"

/** Two secrets of the minimum useful length, as a file would hold them. */
export const SECRET = new Uint8Array(Buffer.from("correct horse battery staple 01"))
export const OLD_SECRET = new Uint8Array(Buffer.from("an older secret, still accepted"))
export const WRONG_SECRET = new Uint8Array(Buffer.from("not the channel's secret at all"))

/** A time well inside the range of _ts, on a whole second. */
export const NOW_MS = 1_795_605_900_000
export const NOW_S = NOW_MS / 1000

export const decoded = (yaml: string): Config =>
  Either.getOrElse(decodeConfig(yaml, "<inline>"), (error) => {
    throw new Error(`expected the config to load, got:\n${error.message}`)
  })

/** The config with `secrets` on every channel that names secret files (what loadConfig would read). */
export const withSecrets = (config: Config, secrets: ReadonlyArray<Uint8Array>): Config => ({
  ...config,
  servers: config.servers.map((server) => ({
    ...server,
    channels: server.channels.map((channel) => (channel.secret_files.length > 0 ? { ...channel, secrets } : channel))
  }))
})

export const planOf = (config: Config, server = 0): ServerPlan => planServer(config.servers[server]!, config)

export const deliveryOf = (channel: string, message: string, server = "hub1:1986"): Delivery => ({ server, channel, message })

export const envelopeOf = (overrides: Partial<NewEnvelope> = {}): NewEnvelope => ({
  id: "0123456789abcdef0123456789abcdef",
  ts: NOW_S,
  origin: "web-1",
  ...overrides
})

/** What `f2bc publish` sends on a channel with `secret`: the text, the envelope, then `_sig`. */
export const signedText = (channel: string, text: string, envelope: NewEnvelope, secret: Uint8Array): string =>
  appendSignature(secret, channel, appendEnvelope(text, envelope))

/**
 * A decision as the log tells it: an Execute (with the live ids its recording
 * evicted), or `Ignore`/`Skip`/`Reject` with the stage, the rendered reason and the key.
 */
export type Described =
  | (Execute & { readonly evicted: number })
  | { readonly _tag: "Ignore"; readonly reason: string }
  | { readonly _tag: "Skip"; readonly stage: string; readonly reason: string }
  | { readonly _tag: "Hold"; readonly reason: string }
  | { readonly _tag: "Reject"; readonly stage: string; readonly reason: string; readonly key?: string }

export const describeRejection = (rejection: Rejection): Exclude<Described, Execute> => {
  const reason = renderRejection(rejection)
  const stage = stageOf(rejection)
  switch (outcomeOf(rejection)) {
    case "ignored":
      return { _tag: "Ignore", reason }
    case "skipped":
      return { _tag: "Skip", stage, reason }
    case "held":
      return { _tag: "Hold", reason }
    case "rejected": {
      const key = keyOf(rejection)
      return key === undefined ? { _tag: "Reject", stage, reason } : { _tag: "Reject", stage, reason, key }
    }
  }
}

/**
 * `decide`, then what the daemon does once an Execute is queued: its id is
 * recorded in `seen` (so the next call sees a duplicate).
 */
export const decideRecording = (plan: ServerPlan, delivery: Delivery, state: { readonly nowMs: number; readonly seen: SeenTable }): Described => {
  const decision = decide(plan, delivery, state satisfies DecideState)
  if (decision._tag !== "Execute") return describeRejection(decision.rejection)
  const evicted = decision.record === undefined ? 0 : recordExecuted(state.seen, decision.record, state.nowMs)
  return { ...decision, evicted }
}

/** One decision with a fresh table of executed ids, at `nowMs`. */
export const decideOnce = (plan: ServerPlan, delivery: Delivery, nowMs = NOW_MS, seen: SeenTable = makeSeenTable(1000)): Described =>
  decideRecording(plan, delivery, { nowMs, seen })
