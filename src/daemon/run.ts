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
import { runDaemon } from "./daemon.js"
import { holdPidFile } from "./pidfile.js"

export const runForeground = (config: Config, pidFile: string | undefined) => {
  const program = Effect.scoped(
    Effect.gen(function* () {
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
    Effect.tapErrorCause((cause) => Effect.logError("daemon stopped", cause)),
    Effect.onInterrupt(() => Effect.logInfo("daemon stopping (signal)").pipe(Effect.annotateLogs({ component: "daemon" }))),
    Effect.provide(Logging.layer({ level: config.log_level, file: config.log_file }))
  )
}
