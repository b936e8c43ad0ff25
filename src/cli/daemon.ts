/**
 * `f2bc daemon [run|start|stop|restart|status]`: the foreground daemon and
 * its pid-file controls. Daemon code is loaded only when this runs.
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as path from "node:path"
import { resolveConfigPath } from "../config/index.js"
import { askControl } from "../control/client.js"
import { controlSocketBeside, ReloadAnswer, StatusSnapshot } from "../control/protocol.js"
import { relayStartup } from "../daemon/readiness.js"
import { CliExit, runtimeError, usageError } from "./exit.js"
import { configText, loadConfigFrom } from "./options.js"

const DEFAULT_PID_FILE = "/run/f2bc.pid"

const mode = Args.choice(
  [
    ["run", "run"],
    ["start", "start"],
    ["stop", "stop"],
    ["restart", "restart"],
    ["status", "status"],
    ["reload", "reload"]
  ] as const,
  { name: "mode" }
).pipe(Args.withDescription("run (default, foreground) | start | stop | restart | status | reload"), Args.withDefault("run" as const))

// `-c` is --config here, as in the original daemon (publish uses -c for --channel).
const config = configText.pipe(Options.withAlias("c"), Options.optional)
const pidFile = Options.text("pid-file").pipe(
  Options.withDescription(`pid file (default: the config's pid_file, else ${DEFAULT_PID_FILE} for start/stop/status)`),
  Options.optional
)

const STOP_WAIT_MS = 30_000
const START_WAIT_MS = 10_000

/** Waits for the daemon's drain (shutdown_timeout) and the kill grace of what is left, with a margin. */
const stopWaitMs = (shutdownTimeout: number): number => Math.max(STOP_WAIT_MS, (shutdownTimeout + 15) * 1000)

const stopDaemon = (pidPath: string, waitMs = STOP_WAIT_MS) =>
  Effect.gen(function* () {
    const { stop } = yield* Effect.promise(() => import("../daemon/control.js"))
    const outcome = yield* stop(pidPath, waitMs)
    if (outcome._tag === "StillRunning")
      return yield* Effect.fail(runtimeError(`f2bc daemon (pid ${outcome.pid}) did not stop within ${waitMs / 1000} s`))
    yield* Console.log(outcome._tag === "Stopped" ? `stopped (pid ${outcome.pid})` : "not running")
  })

const ASK_TIMEOUT_MS = 5_000

const when = (ms: number | undefined, now: number): string =>
  ms === undefined ? "never" : `${DateTime.formatIso(DateTime.unsafeMake(ms))} (${Math.round((now - ms) / 1000)} s ago)`

/** The running daemon's own account, read from its control socket; `now` (epoch ms) says how long ago. */
const describeStatus = (status: StatusSnapshot, now: number): ReadonlyArray<string> => {
  const lines = [`node ${status.node_name}, config ${status.config}, up since ${when(status.started_at, now)}`]
  for (const server of status.servers) {
    lines.push(
      `server ${server.server} [${server.channels.join(", ")}]: ${server.state}` +
        (server.state === "connected" ? ` since ${when(server.connectedSince, now)}, last pong ${when(server.lastPong, now)}` : "") +
        `, reconnects ${server.reconnects}` +
        (server.lastError !== undefined ? `, last error: ${server.lastError}` : "")
    )
  }
  const messages = Object.entries(status.messages).sort(([a], [b]) => a.localeCompare(b))
  lines.push(`messages: ${messages.length === 0 ? "none yet" : messages.map(([k, v]) => `${k} ${v}`).join(", ")}`)
  const actions = status.actions
  lines.push(`actions: ${actions.executed} succeeded, ${actions.failed} failed, ${actions.dropped} dropped, ${actions.pending} waiting or running`)
  const outbox = status.outbox
  if (outbox !== undefined) {
    lines.push(`outbox: ${outbox.entries} entr${outbox.entries === 1 ? "y" : "ies"} to deliver` + (outbox.entries > 0 ? `, oldest ${outbox.oldest_age_seconds} s old` : ""))
    for (const server of outbox.servers)
      lines.push(`outbox ${server.server}: ${server.pending} pending, ${server.delivered} delivered, ${server.dropped} dropped`)
  }
  const quorum = status.quorum
  if (quorum !== undefined)
    lines.push(`quorum: ${quorum.held} action(s) held` + (quorum.held > 0 ? `, oldest ${quorum.oldest_age_seconds} s old` : ""))
  const expiries = status.expiries
  if (expiries !== undefined) {
    const next = expiries.next_due_ms
    lines.push(`expiries: ${expiries.scheduled} scheduled` + (next === undefined ? "" : `, next at ${DateTime.formatIso(DateTime.unsafeMake(next))} (in ${Math.max(0, Math.round((next - now) / 1000))} s)`))
  }
  return lines
}

/** The running daemon's pid, or exit 3 ("not running"). */
const runningDaemon = (pidPath: string) =>
  Effect.gen(function* () {
    const { runningPid } = yield* Effect.promise(() => import("../daemon/pidfile.js"))
    const running = runningPid(pidPath)
    if (running === undefined) return yield* Effect.fail(new CliExit({ code: 3, text: "not running" }))
    return running
  })

const statusOf = (pidPath: string, socketPath: string) =>
  Effect.gen(function* () {
    const running = yield* runningDaemon(pidPath)
    yield* Console.log(`running (pid ${running})`)
    const answer = yield* Effect.either(askControl(socketPath, "status", StatusSnapshot, ASK_TIMEOUT_MS))
    if (answer._tag === "Left") return yield* Console.log(`(no details: ${answer.left.message})`)
    const now = yield* Clock.currentTimeMillis
    for (const line of describeStatus(answer.right, now)) yield* Console.log(line)
  })

/** A config with a control_socket and no pid_file (a foreground daemon, the quick start): the socket answering is the daemon running. */
const statusBySocket = (socketPath: string) =>
  Effect.gen(function* () {
    const answer = yield* Effect.either(askControl(socketPath, "status", StatusSnapshot, ASK_TIMEOUT_MS))
    if (answer._tag === "Left") return yield* Effect.fail(new CliExit({ code: 3, text: `not running (${answer.left.message})` }))
    yield* Console.log(`running (pid ${answer.right.pid})`)
    const now = yield* Clock.currentTimeMillis
    for (const line of describeStatus(answer.right, now)) yield* Console.log(line)
  })

/** Asks the running daemon to reload its config and says what it did. */
const reloadOf = (pidPath: string, socketPath: string) =>
  Effect.gen(function* () {
    const running = yield* runningDaemon(pidPath)
    const outcome = yield* askControl(socketPath, "reload", ReloadAnswer, STOP_WAIT_MS).pipe(Effect.mapError((error) => runtimeError(error.message)))
    if (!outcome.ok) return yield* Effect.fail(runtimeError(`reload refused, the running config stays: ${outcome.error}`))
    yield* Console.log(
      `reloaded (pid ${running}): ${outcome.kept} server(s) kept their connection, ${outcome.started} (re)connecting, ${outcome.stopped} stopped` +
        (outcome.needRestart.length > 0 ? `; restart to apply: ${outcome.needRestart.join(", ")}` : "")
    )
  })

const controlOnly = (mode: "stop" | "status" | "reload", pidPath: string, socketPath: string) =>
  mode === "stop" ? stopDaemon(pidPath) : mode === "status" ? statusOf(pidPath, socketPath) : reloadOf(pidPath, socketPath)

export const daemonCommand = Command.make("daemon", { mode, config, pidFile }, (args) =>
  Effect.gen(function* () {
    // Started by `daemon start`: what this process prints until it is up also goes to that parent.
    const ready = args.mode === "run" ? relayStartup(process.env) : () => undefined
    // stop, status and reload with --pid-file work even when the config is broken.
    if ((args.mode === "stop" || args.mode === "status" || args.mode === "reload") && Option.isSome(args.pidFile))
      return yield* controlOnly(args.mode, args.pidFile.value, controlSocketBeside(args.pidFile.value))
    const loaded = yield* loadConfigFrom(args.config).pipe(
      // Checked before anything is sent: a daemon asked to reload a broken config would refuse it anyway.
      Effect.mapError((error) => (args.mode === "reload" ? new CliExit({ code: error.code, text: `reload not sent (the running config stays): ${error.text}` }) : error))
    )
    const pid = Option.getOrElse(args.pidFile, () => loaded.pid_file)

    if (args.mode === "run") {
      const { runForeground } = yield* Effect.promise(() => import("../daemon/run.js"))
      // A pid file or control socket in a directory others can write is a config error (exit 2).
      return yield* runForeground(loaded, pid, ready).pipe(
        Effect.mapError((error) => (error._tag === "StateFileError" && error.reason === "Unsafe" ? usageError : runtimeError)(error.message))
      )
    }
    const pidPath = pid ?? DEFAULT_PID_FILE
    const { start } = yield* Effect.promise(() => import("../daemon/detach.js"))

    const doStop = stopDaemon(pidPath, stopWaitMs(loaded.shutdown_timeout))
    const doStart = Effect.gen(function* () {
      if (loaded.log_file === undefined)
        yield* Console.error("warning: no log_file in the config: the detached daemon's logs are discarded")
      const outcome = yield* start({
        // The child resolves nothing itself: give it the absolute path.
        configPath: path.resolve(resolveConfigPath(Option.getOrUndefined(args.config), process.env)),
        pidFile: path.resolve(pidPath),
        logFile: loaded.log_file,
        waitMs: START_WAIT_MS
      })
      switch (outcome._tag) {
        case "Started":
          return yield* Console.log(`started (pid ${outcome.pid})`)
        case "AlreadyRunning":
          return yield* Effect.fail(runtimeError(`already running (pid ${outcome.pid}, pid file ${pidPath})`))
        case "Failed":
          return yield* Effect.fail(runtimeError(`start failed: ${outcome.detail}`))
      }
    })

    switch (args.mode) {
      case "start":
        return yield* doStart
      case "stop":
        return yield* doStop
      case "restart":
        yield* doStop
        return yield* doStart
      case "status":
        return pid === undefined && loaded.control_socket !== undefined
          ? yield* statusBySocket(loaded.control_socket)
          : yield* statusOf(pidPath, loaded.control_socket ?? controlSocketBeside(pidPath))
      case "reload":
        return yield* reloadOf(pidPath, loaded.control_socket ?? controlSocketBeside(pidPath))
    }
  })
).pipe(Command.withDescription("run the daemon in the foreground, or control a detached one"))
