/**
 * The daemon: hosts the embedded broker when configured, runs every
 * server's supervised delivery stream through the pipeline into the
 * executor, reloads a new config in place, and drains actions on shutdown.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { makeBroker, type BrokerError } from "../broker/broker.js"
import type { Config } from "../config/model.js"
import type { PublishAnswer, ReloadOutcome, StatusSnapshot } from "../control/protocol.js"
import { Executor } from "../exec/executor.js"
import { countAction, countEvictions, countMessage, setQueueLength } from "../metrics/metrics.js"
import { makeDelivery } from "../outbox/delivery.js"
import { handOff } from "../outbox/handoff.js"
import type { Outbox } from "../outbox/model.js"
import type { Expiries } from "../state/expiries.js"
import type { DaemonState } from "../state/state.js"
import { Transport } from "../transport/transport.js"
import { connectionKeys, makeCurrentCell } from "./connections.js"
import { makeDedupe } from "./dedupe.js"
import { makeDrain } from "./drain.js"
import { makeIngest } from "./ingest.js"
import { makeInterpreter } from "./interpret.js"
import { makeQuorumHolds, type QuorumFigures } from "./quorum.js"
import { makeReload } from "./reload.js"
import { makeServers, registerServers, warnUnsigned } from "./servers.js"
import { makeStatusBoard } from "./status.js"
import { makeTally } from "./tally.js"

export { endpointOf } from "../transport/endpoint.js"
export type { ReloadOutcome, StatusSnapshot } from "../control/protocol.js"

export interface DaemonHandle {
  readonly reload: (config: Config) => Effect.Effect<ReloadOutcome>
  readonly status: Effect.Effect<StatusSnapshot>
  /** The control socket's `publish`: records in the outbox, or refuses. */
  readonly publish: (channel: string, message: string) => Effect.Effect<PublishAnswer>
}

/** Whether a channel of the config has `quorum:` (then `daemon status` shows the held quorums). */
const hasQuorum = (config: Config): boolean => config.servers.some((server) => server.channels.some((channel) => channel.quorum !== undefined))

const quorumStatus = (figures: QuorumFigures, now: number): NonNullable<StatusSnapshot["quorum"]> => ({
  held: figures.held,
  oldest_age_seconds: figures.oldestMs === undefined ? 0 : Math.round((now - figures.oldestMs) / 1000)
})

const NO_OUTBOX: PublishAnswer = { ok: false, error: "this daemon has no outbox (it serves no control socket)" }

/** The embedded broker, in the daemon's scope, when the config has `broker:`. */
const hostBroker = (config: Config): Effect.Effect<void, BrokerError, Scope.Scope> => {
  const broker = config.broker
  if (broker === undefined) return Effect.void
  return Effect.asVoid(makeBroker({
    host: broker.host,
    port: broker.port,
    maxClients: broker.max_clients,
    maxLineBytes: broker.max_line_bytes,
    maxOutputBytes: broker.max_output_bytes,
    maxSubscriptions: broker.max_subscriptions,
    maxSubscriptionBytes: broker.max_subscription_bytes
  }))
}

/** Every series the daemon knows exists from the first scrape, not only after its first event. */
const registerMetrics = (config: Config): Effect.Effect<void> =>
  Effect.all([
    countAction("succeeded", 0),
    countAction("failed", 0),
    countAction("dropped", 0),
    countMessage("executed", "execute", 0),
    countEvictions(0),
    setQueueLength(0),
    ...(hasQuorum(config) ? [countMessage("held", "quorum", 0), countMessage("skipped", "quorum", 0)] : []),
    registerServers(config)
  ], { discard: true })

/**
 * Starts the daemon in the current scope and returns its handle. Closing
 * the scope stops taking deliveries, then lets queued and running actions
 * finish for up to `shutdown_timeout` before the executor kills the rest.
 */
/** What a reload cannot open: the state files are opened at start (state/state.ts). */
const warnStateNeedsRestart = (next: Config, state: DaemonState | undefined): Effect.Effect<void> => {
  const channels = next.servers.flatMap((server) => server.channels)
  const missing = [
    ...(state === undefined && channels.some((c) => c.secret_files.length > 0) ? ["the signed channels' replay guard stays in memory (state_dir)"] : []),
    ...(state?.expiries === undefined && channels.some((c) => c.expire !== undefined) ? ["expire_action schedules nothing"] : [])
  ]
  return missing.length === 0 ? Effect.void : Effect.logWarning(`until a restart, ${missing.join("; ")}: state_dir is opened at start`)
}

const expiriesFigures = (expiries: Expiries) => {
  const { scheduled, next_due_ms } = expiries.figures()
  return next_due_ms === undefined ? { scheduled } : { scheduled, next_due_ms }
}

export const startDaemon = (config: Config, outbox?: Outbox, state?: DaemonState): Effect.Effect<DaemonHandle, BrokerError, Transport | Executor | Scope.Scope> =>
  Effect.gen(function* () {
    const executor = yield* Executor
    yield* hostBroker(config)
    const current = makeCurrentCell(config)
    const dedupe = state?.dedupe ?? makeDedupe(config.dedupe_max_entries)
    const quorum = makeQuorumHolds(config.quorum_max_entries)
    const board = makeStatusBoard()
    const tally = makeTally()
    const startedAt = yield* Clock.currentTimeMillis
    // Registered before the server fibers, so it runs after they are interrupted: no new deliveries, then drain.
    const drain = yield* makeDrain(executor, () => current.get().config.shutdown_timeout)
    const interpreter = makeInterpreter(executor, dedupe, config.queue_limit, quorum, state?.expiries)
    const handleChunk = yield* makeIngest({ current, dedupe, tally, interpreter, quorum })
    const servers = yield* makeServers(board, handleChunk)
    // Runs first when the scope closes (finalizers run in reverse order).
    yield* drain.markStop
    // Expiries due while the daemon was down run now; the channel's timeout and batch are the current config's.
    if (state?.expiries !== undefined)
      yield* state.expiries.start(executor, (name) => current.get().config.servers.flatMap((s) => s.channels).find((c) => c.name === name))

    yield* warnUnsigned(config).pipe(Effect.annotateLogs({ component: "daemon" }))
    yield* registerMetrics(config)
    // Each server is its own fiber: one server down never delays another.
    yield* servers.start(config, connectionKeys(config), () => true)
    yield* Effect.logInfo(`daemon started as node ${config.node_name} with ${config.servers.length} server(s) from ${config.source}`).pipe(
      Effect.annotateLogs({ component: "daemon" })
    )

    // The outbox's servers are fibers of their own: a hand-off never waits for a server.
    const delivery = outbox === undefined ? undefined : yield* makeDelivery(outbox, () => current.get().config, (name) =>
      board.servers().find((server) => server.server === name && server.state === "connected")?.connectedSince)
    if (delivery !== undefined) yield* delivery.sync(config)

    const reloadServers = yield* makeReload(config, current, servers)
    const reload = (next: Config) =>
      Effect.tap(reloadServers(next), () =>
        Effect.zipRight(delivery === undefined ? Effect.void : delivery.sync(current.get().config), warnStateNeedsRestart(next, state)))
    const status: Effect.Effect<StatusSnapshot> = Effect.map(Effect.zip(executor.stats, Clock.currentTimeMillis), ([actions, now]) => ({
      pid: process.pid,
      node_name: current.get().config.node_name,
      config: current.get().config.source,
      started_at: startedAt,
      servers: board.servers(),
      messages: tally.snapshot(),
      actions,
      ...(outbox === undefined ? {} : { outbox: outbox.figures(now) }),
      ...(hasQuorum(current.get().config) ? { quorum: quorumStatus(quorum.figures(now), now) } : {}),
      ...(state?.expiries === undefined ? {} : { expiries: expiriesFigures(state.expiries) })
    }))
    const publish = (channel: string, message: string): Effect.Effect<PublishAnswer> =>
      outbox === undefined ? Effect.succeed(NO_OUTBOX) : handOff(outbox, current.get().config, channel, message)
    return { reload, status, publish }
  })
