/**
 * The daemon: hosts the embedded broker when configured, runs every
 * server's supervised delivery stream through the pipeline into the
 * executor, reloads a new config in place, and drains actions on shutdown.
 */
import { createHash } from "node:crypto"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as FiberMap from "effect/FiberMap"
import * as FiberRef from "effect/FiberRef"
import * as LogLevel from "effect/LogLevel"
import * as Stream from "effect/Stream"
import type * as Scope from "effect/Scope"
import { makeBroker, type BrokerError } from "../broker/broker.js"
import type { Config, ServerConfig } from "../config/model.js"
import { Executor, type ExecutorStats } from "../exec/executor.js"
import {
  countAction,
  countDroppedDeliveries,
  countEvictions,
  countMessage,
  countReconnect,
  setConnected,
  setQueueLength
} from "../metrics/metrics.js"
import { Transport, serverName, type Delivery, type Settle } from "../transport/transport.js"
import { logLines, type LogLine } from "../log/batch.js"
import { makeSeenTable } from "../trust/index.js"
import { endpointOf } from "./endpoint.js"
import { forgetting } from "./forgetting.js"
import { outcomeOf } from "./outcome.js"
import { decide, planServer, type Decision, type ServerPlan } from "./pipeline.js"
import { makeStatusBoard, type ServerState } from "./status.js"

export { endpointOf } from "./endpoint.js"

/** What identifies a server's connection: its address, or a NATS server's URLs, credentials, TLS and JetStream settings. */
const connectionIdentity = (server: ServerConfig): ReadonlyArray<unknown> => {
  if (server.transport !== "nats") return [server.host, server.port]
  const { secrets } = server
  // Secrets by a digest of their text, so a key in this string never shows their values.
  const digest = (value: string | Uint8Array | undefined) =>
    value === undefined ? null : createHash("sha256").update(value).digest("hex").slice(0, 16)
  return [
    "nats",
    server.urls,
    server.subject_prefix,
    server.auth,
    server.tls ?? null,
    server.jetstream ?? null,
    [secrets.token, secrets.password, secrets.creds, secrets.nkeySeed, secrets.tlsKey, secrets.tlsCert, secrets.tlsCa].map(digest)
  ]
}

/**
 * What makes a connection: a server whose key is unchanged by a reload keeps
 * its connection (its plan — actions, filters, secrets, types — is swapped in place).
 */
const connectionKeys = (config: Config): ReadonlyArray<string> => {
  const seen = new Map<string, number>()
  return config.servers.map((server) => {
    const base = JSON.stringify([...connectionIdentity(server), server.ping_timeout, server.channels.map((c) => c.name), config.max_line_bytes])
    const n = seen.get(base) ?? 0
    seen.set(base, n + 1)
    return `${base}#${n}`
  })
}

/** The config in force and each connection's plan, swapped whole by a reload. */
interface Current {
  readonly config: Config
  readonly plans: ReadonlyMap<string, ServerPlan>
}

const currentOf = (config: Config): Current => {
  const keys = connectionKeys(config)
  return { config, plans: new Map(config.servers.map((server, i) => [keys[i]!, planServer(server, config)])) }
}

/** The first eviction is logged, then one line per 10 000, so a flood cannot flood the log. */
const EVICTION_LOG_EVERY = 10_000
/** The same for actions dropped because the queue is full. */
const DROP_LOG_EVERY = 1_000

const crossed = (before: number, after: number, every: number): boolean =>
  before === 0 || Math.floor(before / every) !== Math.floor(after / every)

/** The level a decision is logged at: what `logDecision` uses, so a chunk can skip what the level filters out. */
const decisionLevel = (decision: Decision): LogLevel.LogLevel => {
  switch (decision._tag) {
    case "Ignore":
    case "Execute":
      return LogLevel.Debug
    case "Skip":
      return LogLevel.Info
    case "Reject":
      // An expected policy outcome is info; anything that looks like an attack or a broken publisher is a warning.
      return decision.stage === "filter" || decision.stage === "ignoreip" ? LogLevel.Info : LogLevel.Warning
  }
}

/** The log line of a decision (its level is `decisionLevel`). */
const decisionLine = (decision: Decision, delivery: Delivery): LogLine => {
  const level = decisionLevel(decision)
  switch (decision._tag) {
    case "Ignore":
      return { level, message: `ignored: ${decision.reason}`, annotations: {} }
    case "Skip":
      return { level, message: `skipped at ${decision.stage}: ${decision.reason}`, annotations: { message: delivery.message } }
    case "Reject":
      return {
        level,
        message: `rejected at ${decision.stage}: ${decision.reason}`,
        annotations: decision.key === undefined ? { message: delivery.message } : { message: delivery.message, key: decision.key }
      }
    case "Execute":
      return { level, message: "accepted", annotations: { message: delivery.message } }
  }
}

const logDecision = (decision: Decision, delivery: Delivery): Effect.Effect<void> => {
  const line = decisionLine(decision, delivery)
  return Effect.logWithLevel(line.level, line.message).pipe(Effect.annotateLogs(line.annotations))
}

/** Keys whose change a reload cannot apply: they are read once at start. */
const RESTART_KEYS = [
  "broker",
  "log_level",
  "log_file",
  "pid_file",
  "control_socket",
  "metrics",
  "queue_limit",
  "concurrency",
  "dedupe_max_entries"
] as const satisfies ReadonlyArray<keyof Config>

export interface ReloadOutcome {
  readonly kept: number
  readonly started: number
  readonly stopped: number
  /** Changed keys that only a restart applies. */
  readonly needRestart: ReadonlyArray<string>
}

export interface StatusSnapshot {
  readonly pid: number
  readonly node_name: string
  readonly config: string
  readonly started_at: number
  readonly servers: ReadonlyArray<ServerState>
  readonly messages: Readonly<Record<string, number>>
  readonly actions: ExecutorStats
}

export interface DaemonHandle {
  readonly reload: (config: Config) => Effect.Effect<ReloadOutcome>
  readonly status: Effect.Effect<StatusSnapshot>
}

/** Every server's series exist from the start: connected 0, no reconnects, nothing dropped. */
const registerServers = (config: Config): Effect.Effect<void> =>
  Effect.forEach(
    config.servers,
    (server) =>
      Effect.all([setConnected(serverName(server), false), countReconnect(serverName(server), 0), countDroppedDeliveries(serverName(server), 0)], {
        discard: true
      }),
    { discard: true }
  )

/** Says once, at start-up, which channels accept unsigned messages (the original's behaviour). */
const warnUnsigned = (config: Config): Effect.Effect<void> =>
  Effect.forEach(config.servers, (server) =>
    Effect.forEach(server.channels.filter((channel) => channel.secret_files.length === 0), (channel) =>
      Effect.logWarning(
        "channel has no secret_file: it accepts unsigned messages from anyone who can reach the server (see docs/security.md)"
      ).pipe(Effect.annotateLogs({ server: serverName(server), channel: channel.name }))), { discard: true })

/**
 * Starts the daemon in the current scope and returns its handle. Closing
 * the scope stops taking deliveries, then lets queued and running actions
 * finish for up to `shutdown_timeout` before the executor kills the rest.
 */
export const startDaemon = (config: Config): Effect.Effect<DaemonHandle, BrokerError, Transport | Executor | Scope.Scope> =>
  Effect.gen(function* () {
    const transport = yield* Transport
    const executor = yield* Executor
    if (config.broker !== undefined) {
      yield* makeBroker({
        host: config.broker.host,
        port: config.broker.port,
        maxClients: config.broker.max_clients,
        maxLineBytes: config.broker.max_line_bytes,
        maxOutputBytes: config.broker.max_output_bytes,
        maxSubscriptions: config.broker.max_subscriptions,
        maxSubscriptionBytes: config.broker.max_subscription_bytes
      })
    }
    let current = currentOf(config)
    const seen = forgetting(makeSeenTable(config.dedupe_max_entries))
    const board = makeStatusBoard()
    const messages: Record<string, number> = {}
    let evicted = 0
    let dropped = 0
    const startedAt = yield* Clock.currentTimeMillis

    /** When the stop began: before the server fibers are interrupted. */
    let stopStartedAt: number | undefined
    // Registered before the server fibers, so it runs after they are interrupted: no new deliveries, then drain.
    yield* Effect.addFinalizer(() =>
      Effect.gen(function* () {
        const timeout = current.config.shutdown_timeout
        // A JetStream server keeps its connection open while its queued actions finish (to acknowledge
        // them): that wait counts against shutdown_timeout too.
        const spentMs = stopStartedAt === undefined ? 0 : (yield* Clock.currentTimeMillis) - stopStartedAt
        const leftMs = Math.max(0, timeout * 1000 - spentMs)
        const { pending } = yield* executor.stats
        if (pending > 0) yield* Effect.logInfo(`stopping: waiting up to ${Math.round(leftMs / 100) / 10} s for ${pending} action(s)`)
        const outcome = yield* executor.drain(leftMs)
        if (!outcome.finished)
          yield* Effect.logWarning(`shutdown_timeout (${timeout} s) reached: killing ${outcome.left} action(s) still waiting or running`)
      }).pipe(Effect.annotateLogs({ component: "daemon" }))
    )

    /** How long a JetStream message whose action could not be queued waits before it is delivered again. */
    const RETRY_FULL_MS = 1000

    /** Counts a decision in the status tally; the metric is counted by the caller (one call per delivery or per chunk). */
    const tally = (decision: Decision) => {
      const counted = outcomeOf(decision)
      messages[counted.label] = (messages[counted.label] ?? 0) + 1
      return counted
    }

    /** What follows a decision: its log line, and for an Execute the dedupe bookkeeping and the executor. */
    const follow = (delivery: Delivery, decision: Decision, nowMs: number): Effect.Effect<void> =>
      Effect.gen(function* () {
        const settle = delivery.settle
        yield* logDecision(decision, delivery)
        // A final decision without an action settles the message now.
        if (decision._tag !== "Execute") return settle === undefined ? undefined : yield* settle.ack
        if (decision.evicted > 0) {
          const before = evicted
          evicted += decision.evicted
          yield* countEvictions(decision.evicted)
          if (crossed(before, evicted, EVICTION_LOG_EVERY))
            yield* Effect.logWarning(
              `dedupe table full (dedupe_max_entries ${current.config.dedupe_max_entries}): ${evicted} remembered id(s) evicted before expiry so far; ` +
                "an evicted id could run again if it is repeated: raise dedupe_max_entries"
            )
        }
        const orderKey = decision.message.fields.get(current.config.order_key)
        const result = yield* executor.submit({
          argv: decision.argv,
          timeoutMs: Math.round(decision.channel.timeout * 1000),
          // Without the order key, the body orders repeats of one message (the raw text differs by its _id).
          orderKey: orderKey === undefined ? `\u0000${decision.message.body}` : orderKey,
          server: delivery.server,
          channel: delivery.channel,
          // Acknowledged once the action has finished, failed included: a failing action is logged, not retried forever.
          ...(settle === undefined ? {} : { onDone: settle.ack })
        })
        if (result === "Queued") return
        // Not queued: a message that comes back (JetStream) must not then be skipped as a duplicate.
        if (settle !== undefined && decision.dedupeKey !== undefined) seen.forget(decision.dedupeKey, nowMs)
        if (result === "QueueFull") {
          const before = dropped
          dropped++
          if (settle !== undefined) yield* settle.retry(RETRY_FULL_MS)
          if (crossed(before, dropped, DROP_LOG_EVERY))
            yield* Effect.logWarning(
              settle === undefined
                ? `dropped: the action queue is full (queue_limit ${current.config.queue_limit}); ${dropped} action(s) dropped so far`
                : `the action queue is full (queue_limit ${current.config.queue_limit}): the server delivers the message again in ${RETRY_FULL_MS / 1000} s; ${dropped} so far`
            ).pipe(Effect.annotateLogs({ message: delivery.message }))
        } else {
          if (settle !== undefined) yield* settle.retry(0)
          yield* Effect.logWarning(
            settle === undefined ? "dropped: the daemon is shutting down" : "not run: the daemon is shutting down; the server delivers it again after a restart"
          ).pipe(Effect.annotateLogs({ message: delivery.message }))
        }
      }).pipe(Effect.annotateLogs({ channel: delivery.channel }))

    /** One delivery of an acknowledging transport (JetStream): decided, followed and settled as one uninterruptible step. */
    const handleSettled = (key: string, delivery: Delivery, settle: Settle): Effect.Effect<void> =>
      Effect.uninterruptible(
        Effect.gen(function* () {
          const plan = current.plans.get(key)
          // A server removed by a reload: its message goes back to be read again.
          if (plan === undefined) return yield* settle.retry(0)
          const nowMs = yield* Clock.currentTimeMillis
          const decision = decide(plan, delivery, { nowMs, seen })
          const counted = tally(decision)
          yield* countMessage(counted.outcome, counted.stage)
          yield* follow(delivery, decision, nowMs)
        })
      )

    /**
     * A chunk of deliveries, as the transport hands them over: every one is
     * decided in a plain loop (one clock reading, one metric update per
     * outcome), and only what has an effect — a log line the level lets
     * through, an action — becomes an Effect, run in order. A flood of
     * filtered messages at log_level 1 costs no Effect per message.
     */
    const handleChunk = (key: string, chunk: Chunk.Chunk<Delivery>): Effect.Effect<void> =>
      Effect.flatMap(Effect.zip(Clock.currentTimeMillis, FiberRef.get(FiberRef.currentMinimumLogLevel)), ([nowMs, minLevel]) => {
        const plan = current.plans.get(key)
        const work: Array<Effect.Effect<void>> = []
        let lines: Array<LogLine> = []
        /** The lines logged so far come out before what follows them. */
        const flushLines = () => {
          if (lines.length > 0) work.push(logLines(lines, nowMs))
          lines = []
        }
        const counts = new Map<string, { readonly outcome: string; readonly stage: string; n: number }>()
        const deliveries = Chunk.toReadonlyArray(chunk)
        for (let i = 0; i < deliveries.length; i++) {
          const delivery = deliveries[i]!
          if (delivery.settle !== undefined) {
            flushLines()
            work.push(handleSettled(key, delivery, delivery.settle))
            continue
          }
          if (plan === undefined) continue
          const decision = decide(plan, delivery, { nowMs, seen })
          const counted = tally(decision)
          const count = counts.get(counted.label)
          if (count === undefined) counts.set(counted.label, { outcome: counted.outcome, stage: counted.stage, n: 1 })
          else count.n++
          if (decision._tag === "Execute") {
            flushLines()
            work.push(follow(delivery, decision, nowMs))
          } else if (LogLevel.greaterThanEqual(decisionLevel(decision), minLevel)) {
            const line = decisionLine(decision, delivery)
            lines.push({ ...line, annotations: { channel: delivery.channel, ...line.annotations } })
          }
        }
        flushLines()
        const metrics = Effect.forEach(counts.values(), (count) => countMessage(count.outcome, count.stage, count.n), { discard: true })
        // Decided is recorded (the dedupe table): what follows runs whole, so an interruption (a reload
        // stopping this server) cannot leave a message recorded as executed but never submitted.
        // Nothing in it waits: submit answers at once, log lines are written by the sink.
        return work.length === 0 ? metrics : Effect.uninterruptible(Effect.zipRight(metrics, Effect.all(work, { discard: true })))
      })

    const serve = (key: string, server: ServerConfig, cfg: Config): Effect.Effect<void> => {
      const name = serverName(server)
      const endpoint = endpointOf(server, cfg)
      return Stream.runForEachChunk(transport.deliveries(endpoint, board.observe(key, name, endpoint.channels)), (chunk) => handleChunk(key, chunk)).pipe(
        Effect.annotateLogs({ component: "daemon", server: name })
      )
    }

    const fibers = yield* FiberMap.make<string>()
    // Runs first when the scope closes (finalizers run in reverse order).
    yield* Effect.addFinalizer(() => Effect.map(Clock.currentTimeMillis, (now) => {
      stopStartedAt = now
    }))
    const startServers = (cfg: Config, keys: ReadonlyArray<string>, only: (key: string) => boolean) =>
      Effect.forEach(cfg.servers, (server, i) => (only(keys[i]!) ? FiberMap.run(fibers, keys[i]!, serve(keys[i]!, server, cfg)) : Effect.void), {
        discard: true
      })

    yield* warnUnsigned(config).pipe(Effect.annotateLogs({ component: "daemon" }))
    // Every series exists from the first scrape, not only after its first event.
    yield* Effect.all([
      countAction("succeeded", 0),
      countAction("failed", 0),
      countAction("dropped", 0),
      countMessage("executed", "execute", 0),
      countEvictions(0),
      setQueueLength(0),
      registerServers(config)
    ], { discard: true })
    // Each server is its own fiber: one server down never delays another.
    yield* startServers(config, connectionKeys(config), () => true)
    yield* Effect.logInfo(`daemon started as node ${config.node_name} with ${config.servers.length} server(s) from ${config.source}`).pipe(
      Effect.annotateLogs({ component: "daemon" })
    )

    const lock = yield* Effect.makeSemaphore(1)
    const reload = (next: Config): Effect.Effect<ReloadOutcome> =>
      lock.withPermits(1)(
        Effect.gen(function* () {
          const before = current
          const oldKeys = new Set(before.plans.keys())
          const nextKeys = connectionKeys(next)
          const nextSet = new Set(nextKeys)
          const stopped = [...oldKeys].filter((key) => !nextSet.has(key))
          for (const key of stopped) {
            yield* FiberMap.remove(fibers, key)
            board.forget(key)
          }
          // What was read once at start stays as it was until a restart; the rest is the new config.
          const needRestart = RESTART_KEYS.filter((key) => JSON.stringify(config[key]) !== JSON.stringify(next[key]))
          const applied: Config = { ...next, ...Object.fromEntries(RESTART_KEYS.map((key) => [key, config[key]])) }
          current = currentOf(applied)
          const nowServing = new Set(applied.servers.map(serverName))
          yield* Effect.forEach(before.config.servers.filter((server) => !nowServing.has(serverName(server))), (server) =>
            setConnected(serverName(server), false), { discard: true })
          // Only new servers start from "not connected": a kept one stays connected.
          yield* registerServers({ ...applied, servers: applied.servers.filter((_, i) => !oldKeys.has(nextKeys[i]!)) })
          yield* startServers(applied, nextKeys, (key) => !oldKeys.has(key))
          const outcome: ReloadOutcome = {
            kept: nextKeys.filter((key) => oldKeys.has(key)).length,
            started: nextKeys.filter((key) => !oldKeys.has(key)).length,
            stopped: stopped.length,
            needRestart
          }
          yield* warnUnsigned(next)
          yield* Effect.logInfo(
            `config reloaded from ${next.source}: ${outcome.kept} server(s) kept their connection, ${outcome.started} (re)connecting, ${outcome.stopped} stopped`
          )
          if (needRestart.length > 0)
            yield* Effect.logWarning(`changed keys that apply only after a restart: ${needRestart.join(", ")}`)
          return outcome
        }).pipe(Effect.annotateLogs({ component: "daemon" }))
      )

    const status: Effect.Effect<StatusSnapshot> = Effect.map(executor.stats, (actions) => ({
      pid: process.pid,
      node_name: current.config.node_name,
      config: current.config.source,
      started_at: startedAt,
      servers: board.servers(),
      messages: { ...messages },
      actions
    }))

    return { reload, status }
  })
