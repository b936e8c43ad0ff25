/**
 * The daemon: hosts the embedded broker when configured, and runs every
 * server's supervised delivery stream through the pipeline into the executor.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import * as Stream from "effect/Stream"
import type * as Scope from "effect/Scope"
import { makeBroker, type BrokerError } from "../broker/broker.js"
import type { Config, ServerConfig } from "../config/model.js"
import { Executor } from "../exec/executor.js"
import { Transport, serverName, type Delivery, type Endpoint } from "../transport/transport.js"
import { makeSeenTable, type SeenTable } from "../trust/index.js"
import { countDecision, dedupeEvictions } from "./metrics.js"
import { decide, planServer, type Decision, type ServerPlan } from "./pipeline.js"

export const endpointOf = (server: ServerConfig, config: Config): Endpoint => ({
  host: server.host,
  port: server.port,
  channels: server.channels.map((channel) => channel.name),
  pingTimeoutMs: Math.round(server.ping_timeout * 1000),
  maxLineBytes: config.max_line_bytes
})

/** The dedupe table shared by every server, and how often its capacity has evicted. */
interface Shared {
  readonly seen: SeenTable
  readonly capacity: number
  evicted: number
}

/** The first eviction is logged, then one line per 10 000, so a flood cannot flood the log. */
const EVICTION_LOG_EVERY = 10_000

const logEvictions = (shared: Shared, evicted: number): Effect.Effect<void> => {
  if (evicted === 0) return Effect.void
  const before = shared.evicted
  shared.evicted += evicted
  const log = before === 0 || Math.floor(before / EVICTION_LOG_EVERY) !== Math.floor(shared.evicted / EVICTION_LOG_EVERY)
  return Effect.zipRight(
    Metric.incrementBy(dedupeEvictions, evicted),
    log
      ? Effect.logWarning(
        `dedupe table full (dedupe_max_entries ${shared.capacity}): ${shared.evicted} remembered id(s) evicted before expiry so far; ` +
          "an evicted id could run again if it is repeated: raise dedupe_max_entries"
      )
      : Effect.void
  )
}

const logDecision = (decision: Decision, delivery: Delivery): Effect.Effect<void> => {
  switch (decision._tag) {
    case "Ignore":
      return Effect.logDebug(`ignored: ${decision.reason}`)
    case "Skip":
      return Effect.logInfo(`skipped at ${decision.stage}: ${decision.reason}`).pipe(
        Effect.annotateLogs({ message: delivery.message })
      )
    case "Reject": {
      // An expected policy outcome is info; anything that looks like an attack or a broken publisher is a warning.
      const level = decision.stage === "filter" || decision.stage === "ignoreip" ? Effect.logInfo : Effect.logWarning
      const annotations: Record<string, string> = { message: delivery.message }
      if (decision.key !== undefined) annotations["key"] = decision.key
      return level(`rejected at ${decision.stage}: ${decision.reason}`).pipe(Effect.annotateLogs(annotations))
    }
    case "Execute":
      return Effect.logDebug("accepted").pipe(Effect.annotateLogs({ message: delivery.message }))
  }
}

/** Takes one delivery through the pipeline; logs and counts the outcome and never fails. */
const handleDelivery = (plan: ServerPlan, shared: Shared, delivery: Delivery): Effect.Effect<void, never, Executor> =>
  Effect.gen(function* () {
    const nowMs = yield* Clock.currentTimeMillis
    const decision = decide(plan, delivery, { nowMs, seen: shared.seen })
    yield* countDecision(decision)
    yield* logDecision(decision, delivery)
    if (decision._tag !== "Execute") return
    yield* logEvictions(shared, decision.evicted)
    const executor = yield* Executor
    const result = yield* executor.submit({
      argv: decision.argv,
      timeoutMs: Math.round(decision.channel.timeout * 1000),
      // Without an ip, the body orders repeats of one message (the raw text differs by its _id).
      orderKey: decision.message.fields.get("ip") ?? decision.message.body,
      server: delivery.server,
      channel: delivery.channel
    })
    if (result === "QueueFull")
      yield* Effect.logWarning("dropped: the action queue is full").pipe(Effect.annotateLogs({ message: delivery.message }))
  }).pipe(Effect.annotateLogs({ channel: delivery.channel }))

/** Runs one server's deliveries through the pipeline until interrupted. */
const serveServer = (server: ServerConfig, config: Config, shared: Shared): Effect.Effect<void, never, Transport | Executor> =>
  Effect.gen(function* () {
    const transport = yield* Transport
    const plan = planServer(server, config)
    yield* Stream.runForEach(transport.deliveries(endpointOf(server, config)), (delivery) => handleDelivery(plan, shared, delivery))
  }).pipe(Effect.annotateLogs({ component: "daemon", server: serverName(server) }))

/** Says once, at start-up, which channels accept unsigned messages (the original's behaviour). */
const warnUnsigned = (config: Config): Effect.Effect<void> =>
  Effect.forEach(config.servers, (server) =>
    Effect.forEach(server.channels.filter((channel) => channel.secret_files.length === 0), (channel) =>
      Effect.logWarning(
        "channel has no secret_file: it accepts unsigned messages from anyone who can reach the server (see docs/security.md)"
      ).pipe(Effect.annotateLogs({ server: serverName(server), channel: channel.name }))), { discard: true })

/** The whole daemon; runs until its scope is closed (a signal). */
export const runDaemon = (config: Config): Effect.Effect<never, BrokerError, Transport | Executor | Scope.Scope> =>
  Effect.gen(function* () {
    if (config.broker !== undefined) {
      yield* makeBroker({
        host: config.broker.host,
        port: config.broker.port,
        maxClients: config.broker.max_clients,
        maxLineBytes: config.broker.max_line_bytes,
        maxOutputBytes: config.broker.max_output_bytes,
        maxSubscriptions: config.broker.max_subscriptions
      })
    }
    yield* warnUnsigned(config).pipe(Effect.annotateLogs({ component: "daemon" }))
    const shared: Shared = { seen: makeSeenTable(config.dedupe_max_entries), capacity: config.dedupe_max_entries, evicted: 0 }
    // Each server is its own fiber: one server down never delays another.
    yield* Effect.forEach(config.servers, (server) => Effect.forkScoped(serveServer(server, config, shared)), { discard: true })
    yield* Effect.logInfo(`daemon started as node ${config.node_name} with ${config.servers.length} server(s) from ${config.source}`).pipe(
      Effect.annotateLogs({ component: "daemon" })
    )
    return yield* Effect.never
  })
