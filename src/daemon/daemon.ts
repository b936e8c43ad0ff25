/**
 * The daemon: hosts the embedded broker when configured, and runs every
 * server's supervised delivery stream through the pipeline into the executor.
 */
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type * as Scope from "effect/Scope"
import { makeBroker, type BrokerError } from "../broker/broker.js"
import type { Config, ServerConfig } from "../config/model.js"
import { Executor } from "../exec/executor.js"
import { Transport, serverName, type Delivery, type Endpoint } from "../transport/transport.js"
import { decide, planServer, type ServerPlan } from "./pipeline.js"

export const endpointOf = (server: ServerConfig, config: Config): Endpoint => ({
  host: server.host,
  port: server.port,
  channels: server.channels.map((channel) => channel.name),
  pingTimeoutMs: Math.round(server.ping_timeout * 1000),
  maxLineBytes: config.max_line_bytes
})

/** Takes one delivery through the pipeline; logs the outcome and never fails. */
const handleDelivery = (plan: ServerPlan, delivery: Delivery): Effect.Effect<void, never, Executor> => {
  const decision = decide(plan, delivery)
  const annotate = Effect.annotateLogs({ channel: delivery.channel })
  switch (decision._tag) {
    case "Ignore":
      return annotate(Effect.logDebug(`ignored: ${decision.reason}`))
    case "Reject":
      return annotate(
        (decision.stage === "filter" ? Effect.logInfo : Effect.logWarning)(
          `rejected at ${decision.stage}: ${decision.reason}`
        ).pipe(Effect.annotateLogs({ message: delivery.message }))
      )
    case "Execute":
      return Effect.gen(function* () {
        const executor = yield* Executor
        yield* Effect.logDebug("accepted").pipe(Effect.annotateLogs({ message: delivery.message }))
        const result = yield* executor.submit({
          argv: decision.argv,
          timeoutMs: Math.round(decision.channel.timeout * 1000),
          orderKey: decision.message.fields.get("ip") ?? delivery.message,
          server: delivery.server,
          channel: delivery.channel
        })
        if (result === "QueueFull")
          yield* Effect.logWarning("dropped: the action queue is full").pipe(Effect.annotateLogs({ message: delivery.message }))
      }).pipe(annotate)
  }
}

/** Runs one server's deliveries through the pipeline until interrupted. */
export const serveServer = (server: ServerConfig, config: Config): Effect.Effect<void, never, Transport | Executor> =>
  Effect.gen(function* () {
    const transport = yield* Transport
    const plan = planServer(server)
    yield* Stream.runForEach(transport.deliveries(endpointOf(server, config)), (delivery) => handleDelivery(plan, delivery))
  }).pipe(Effect.annotateLogs({ component: "daemon", server: serverName(server) }))

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
    // Each server is its own fiber: one server down never delays another.
    yield* Effect.forEach(config.servers, (server) => Effect.forkScoped(serveServer(server, config)), { discard: true })
    yield* Effect.logInfo(`daemon started with ${config.servers.length} server(s) from ${config.source}`).pipe(
      Effect.annotateLogs({ component: "daemon" })
    )
    return yield* Effect.never
  })
