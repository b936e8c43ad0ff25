/**
 * `daemon run`: the foreground daemon with its layers (logging, executor,
 * transport), the pid file, and log reopening on SIGHUP.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { Config } from "../config/model.js"
import * as Executor from "../exec/executor.js"
import * as Logging from "../log/logger.js"
import * as Fanout from "../transport/fanout/index.js"
import * as Runtime from "effect/Runtime"
import type * as Scope from "effect/Scope"
import { runDaemon } from "./daemon.js"
import { holdPidFile } from "./pidfile.js"
import { onSignal } from "./signal.js"

/** SIGHUP reopens the log file (logrotate without copytruncate) for the scope's lifetime. */
const reopenLogOnHangup: Effect.Effect<void, never, Logging.LogOutput | Scope.Scope> = Effect.gen(function* () {
  const output = yield* Logging.LogOutput
  const runtime = yield* Effect.runtime<never>()
  const onHangup = () => {
    output.reopen()
    Runtime.runFork(runtime)(
      Effect.logInfo("SIGHUP: log file reopened (config reload is not supported yet: restart to apply a new config)").pipe(
        Effect.annotateLogs({ component: "daemon" })
      )
    )
  }
  yield* onSignal("SIGHUP", onHangup)
})

export const runForeground = (config: Config, pidFile: string | undefined) => {
  const program = Effect.scoped(
    Effect.gen(function* () {
      yield* reopenLogOnHangup
      if (pidFile !== undefined) yield* holdPidFile(pidFile)
      return yield* runDaemon(config)
    })
  )
  const layers = Layer.mergeAll(
    Executor.layer(Executor.defaultExecutorOptions),
    Fanout.layer()
  )
  return program.pipe(
    Effect.provide(layers),
    // An expected failure (tagged) is one line; a defect keeps its stack trace.
    Effect.tapError((error) => Effect.logError(`daemon stopped: ${error.message}`)),
    Effect.tapDefect((defect) => Effect.logError("daemon stopped by an unexpected error", defect)),
    Effect.onInterrupt(() => Effect.logInfo("daemon stopping (signal)")),
    // The default component; inner stages annotate their own.
    Effect.annotateLogs({ component: "daemon" }),
    Effect.provide(Logging.layer({ level: config.log_level, file: config.log_file }))
  )
}
