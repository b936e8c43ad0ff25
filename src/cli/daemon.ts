/**
 * `f2bc daemon [run|start|stop|restart|status]`: the foreground daemon and
 * its pid-file controls. Daemon code is loaded only when this runs.
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as path from "node:path"
import { resolveConfigPath } from "../config/index.js"
import { CliExit, runtimeError } from "./exit.js"
import { configText, loadConfigFrom } from "./options.js"

const DEFAULT_PID_FILE = "/run/f2bc.pid"

const mode = Args.choice(
  [
    ["run", "run"],
    ["start", "start"],
    ["stop", "stop"],
    ["restart", "restart"],
    ["status", "status"]
  ] as const,
  { name: "mode" }
).pipe(Args.withDescription("run (default, foreground) | start | stop | restart | status"), Args.withDefault("run" as const))

// `-c` is --config here, as in the original daemon (publish uses -c for --channel).
const config = configText.pipe(Options.withAlias("c"), Options.optional)
const pidFile = Options.text("pid-file").pipe(
  Options.withDescription(`pid file (default: the config's pid_file, else ${DEFAULT_PID_FILE} for start/stop/status)`),
  Options.optional
)

const STOP_WAIT_MS = 30_000
const START_WAIT_MS = 10_000

const stopDaemon = (pidPath: string) =>
  Effect.gen(function* () {
    const { stop } = yield* Effect.promise(() => import("../daemon/control.js"))
    const outcome = yield* stop(pidPath, STOP_WAIT_MS)
    if (outcome._tag === "StillRunning")
      return yield* Effect.fail(runtimeError(`f2bc daemon (pid ${outcome.pid}) did not stop within ${STOP_WAIT_MS / 1000} s`))
    yield* Console.log(outcome._tag === "Stopped" ? `stopped (pid ${outcome.pid})` : "not running")
  })

const statusOf = (pidPath: string) =>
  Effect.gen(function* () {
    const { runningPid } = yield* Effect.promise(() => import("../daemon/pidfile.js"))
    const running = runningPid(pidPath)
    if (running === undefined) return yield* Effect.fail(new CliExit({ code: 3, text: "not running" }))
    yield* Console.log(`running (pid ${running})`)
  })

const controlOnly = (mode: "stop" | "status", pidPath: string) => (mode === "stop" ? stopDaemon(pidPath) : statusOf(pidPath))

export const daemonCommand = Command.make("daemon", { mode, config, pidFile }, (args) =>
  Effect.gen(function* () {
    const control = () => import("../daemon/control.js")
    // stop and status with --pid-file work even when the config is broken.
    if ((args.mode === "stop" || args.mode === "status") && Option.isSome(args.pidFile))
      return yield* controlOnly(args.mode, args.pidFile.value)
    const loaded = yield* loadConfigFrom(args.config)
    const pid = Option.getOrElse(args.pidFile, () => loaded.pid_file)

    if (args.mode === "run") {
      const { runForeground } = yield* Effect.promise(() => import("../daemon/run.js"))
      return yield* runForeground(loaded, pid).pipe(Effect.mapError((error) => runtimeError(error.message)))
    }
    const pidPath = pid ?? DEFAULT_PID_FILE
    const { start } = yield* Effect.promise(control)

    const doStop = stopDaemon(pidPath)
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
        return yield* statusOf(pidPath)
    }
  })
).pipe(Command.withDescription("run the daemon in the foreground, or control a detached one"))
