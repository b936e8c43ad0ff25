/**
 * `daemon run`: the foreground daemon with its layers (logging, executor,
 * transport), the pid file, the control socket, and SIGHUP (reopen the log, reload the config).
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"
import type * as Scope from "effect/Scope"
import type { ConfigError } from "../config/errors.js"
import { loadConfig } from "../config/load.js"
import type { Config } from "../config/model.js"
import * as Executor from "../exec/executor.js"
import * as Logging from "../log/logger.js"
import { serveMetrics } from "../metrics/server.js"
import * as Transports from "../transport/layer.js"
import { controlSocketBeside, maxRequestBytes, type ReloadAnswer } from "../control/protocol.js"
import { makeOutbox } from "../outbox/outbox.js"
import { serveControl } from "./controlSocket.js"
import { startDaemon, type DaemonHandle } from "./daemon.js"
import { holdPidFile } from "./pidfile.js"
import { ioFriendlyScheduler } from "./scheduler.js"
import { onSignal } from "../platform/signal.js"
import { checkDirectory } from "./stateFile.js"
import { needsStateDir, openState, openStateDir } from "../state/state.js"

/** Why a reload failed: the config's error, or an unexpected one (a defect: its stack goes to the log). */
const reloadFailure = (cause: Cause.Cause<ConfigError>): string =>
  Option.match(Cause.failureOption(cause), {
    onSome: (error) => error.message,
    onNone: () => {
      const defect = Cause.squash(cause)
      return `unexpected error: ${defect instanceof Error ? defect.message : String(defect)}`
    }
  })

/** Re-reads the config file; one that fails for any reason is logged and answered, and the running config stays. */
const reloadFrom = (path: string, daemon: DaemonHandle): Effect.Effect<ReloadAnswer> =>
  loadConfig(path).pipe(
    Effect.flatMap((next) => daemon.reload(next)),
    Effect.matchCauseEffect({
      onFailure: (cause) => {
        const error = reloadFailure(cause)
        return Effect.as(
          Effect.logError(`reload refused, the running config stays: ${error}`, ...(Cause.isDie(cause) ? [cause] : [])),
          { ok: false, error } as const
        )
      },
      onSuccess: (outcome) => Effect.succeed({ ok: true, ...outcome } as const)
    }),
    Effect.annotateLogs({ component: "daemon" })
  )

/** SIGHUP: reopen the log file (logrotate without copytruncate), then reload the config. */
const onHangup = (path: string, daemon: DaemonHandle): Effect.Effect<void, never, Logging.LogOutput | Scope.Scope> =>
  Effect.gen(function* () {
    const output = yield* Logging.LogOutput
    const runtime = yield* Effect.runtime<never>()
    yield* onSignal("SIGHUP", () => {
      output.reopen()
      Runtime.runFork(runtime)(
        Effect.logInfo("SIGHUP: log file reopened, reloading the config").pipe(
          Effect.annotateLogs({ component: "daemon" }),
          Effect.zipRight(reloadFrom(path, daemon))
        )
      )
    })
  })

/**
 * The first SIGTERM or SIGINT starts the shutdown (NodeRuntime.runMain
 * interrupts the program, then removes its own handler). Listening for the
 * two signals until the very end keeps a second one from killing the process
 * mid-drain, which would leave orphaned actions and a stale pid file.
 */
const holdSignals: Effect.Effect<void, never, Scope.Scope> = Effect.gen(function* () {
  const runtime = yield* Effect.runtime<never>()
  let received = 0
  const onStopSignal = (signal: NodeJS.Signals) => () => {
    if (received++ === 0) return
    Runtime.runFork(runtime)(
      Effect.logWarning(`${signal} again: already stopping, waiting for the actions (shutdown_timeout); SIGKILL stops at once`).pipe(
        Effect.annotateLogs({ component: "daemon" })
      )
    )
  }
  yield* onSignal("SIGTERM", onStopSignal("SIGTERM"))
  yield* onSignal("SIGINT", onStopSignal("SIGINT"))
})

/** `ready` is called once the daemon is up (`daemon start` waits for it). */
export const runForeground = (config: Config, pidFile: string | undefined, ready: () => void = () => undefined) => {
  const program = Effect.scoped(
    Effect.gen(function* () {
      if (pidFile !== undefined) yield* holdPidFile(pidFile)
      const socket = config.control_socket ?? (pidFile === undefined ? undefined : controlSocketBeside(pidFile))
      // state_dir first, once: the socket may live in it.
      const keepsState = needsStateDir(config, socket !== undefined)
      if (keepsState) yield* openStateDir(config.state_dir)
      // The control socket is the outbox's only way in: without one there is nothing to hand off.
      const outbox = socket === undefined
        ? undefined
        : yield* makeOutbox({ dir: config.state_dir, maxEntries: config.outbox_max_entries }).pipe(Effect.annotateLogs({ component: "outbox" }))
      if (socket !== undefined) yield* checkDirectory(socket, "control socket")
      // The replay guard (and the scheduled expiries) in state_dir, when the config needs them.
      const state = keepsState ? yield* openState(config).pipe(Effect.annotateLogs({ component: "state" })) : undefined
      const daemon = yield* startDaemon(config, outbox, state)
      yield* onHangup(config.source, daemon)
      if (config.metrics !== undefined) yield* serveMetrics(config.metrics)
      if (socket !== undefined) {
        const runtime = yield* Effect.runtime<never>()
        const handlers = {
          status: daemon.status,
          reload: reloadFrom(config.source, daemon),
          publish: daemon.publish,
          maxRequestBytes: maxRequestBytes(config.max_line_bytes)
        }
        yield* serveControl(socket, handlers, Runtime.runPromise(runtime))
      }
      yield* Effect.sync(ready)
      return yield* Effect.never
    })
  )
  const layers = Layer.mergeAll(
    Executor.layer({ ...Executor.defaultExecutorOptions, concurrency: config.concurrency, queueLimit: config.queue_limit }),
    Transports.layer()
  )
  return program.pipe(
    Effect.provide(layers),
    // Outside the executor's layer: still listening while it kills the actions left after the drain.
    (daemon) => Effect.scoped(Effect.zipRight(holdSignals, daemon)),
    // An expected failure (tagged) is one line; a defect keeps its stack trace.
    Effect.tapError((error) => Effect.logError(`daemon stopped: ${error.message}`)),
    Effect.tapDefect((defect) => Effect.logError("daemon stopped by an unexpected error", defect)),
    Effect.onInterrupt(() => Effect.logInfo("daemon stopped")),
    // The default component; inner stages annotate their own.
    Effect.annotateLogs({ component: "daemon" }),
    Effect.provide(Logging.layer({ level: config.log_level, file: config.log_file })),
    Effect.withScheduler(ioFriendlyScheduler)
  )
}
