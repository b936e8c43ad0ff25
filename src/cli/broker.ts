/**
 * `f2bc broker`: the embedded fanout-compatible server on its own, bound to
 * loopback unless told otherwise.
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import { onSignal } from "../daemon/signal.js"
import * as Logging from "../log/logger.js"
import { integer } from "./conventions.js"
import { runtimeError } from "./exit.js"

const host = Options.text("host").pipe(Options.withDescription("address to listen on (default 127.0.0.1)"), Options.withDefault("127.0.0.1"))
const port = integer("port").pipe(Options.withAlias("p"), Options.withDescription("port, 0 = any free port (default 1986)"), Options.withDefault(1986))
const maxClients = integer("max-clients").pipe(Options.withDescription("clients connected at once (default 1024)"), Options.withDefault(1024))
const maxLineBytes = integer("max-line-bytes").pipe(
  Options.withDescription("longest request line in bytes; a longer one is dropped (default 65536)"),
  Options.withDefault(65_536)
)
const maxOutputBytes = integer("max-output-bytes").pipe(
  Options.withDescription("bytes queued for one client before it is disconnected as too slow (default 1048576)"),
  Options.withDefault(1_048_576)
)
const maxSubscriptions = integer("max-subscriptions").pipe(
  Options.withDescription("channels one client may subscribe to (default 1024)"),
  Options.withDefault(1024)
)
// Not --log-level: @effect/cli reserves that name for its own option.
const logLevel = integer("level").pipe(
  Options.withDescription("log level as in the config's log_level: 0 errors, 1 warnings, 2 info, 3 debug (default 2)"),
  Options.withDefault(2)
)

export const brokerCommand = Command.make(
  "broker",
  { host, port, maxClients, maxLineBytes, maxOutputBytes, maxSubscriptions, logLevel },
  (args) =>
    Effect.gen(function* () {
      const { makeBroker } = yield* Effect.promise(() => import("../broker/broker.js"))
      const level = Math.min(3, Math.max(0, args.logLevel)) as Logging.SeedLogLevel
      return yield* Effect.scoped(
        Effect.gen(function* () {
          // A terminal hang-up or a logrotate-style SIGHUP must not stop the broker.
          yield* onSignal("SIGHUP", () => undefined)
          // makeBroker logs the address it listens on.
          yield* makeBroker({
            host: args.host,
            port: args.port,
            maxClients: args.maxClients,
            maxLineBytes: args.maxLineBytes,
            maxOutputBytes: args.maxOutputBytes,
            maxSubscriptions: args.maxSubscriptions
          })
          return yield* Effect.never
        })
      ).pipe(
        Effect.mapError((error) => runtimeError(error.message)),
        Effect.provide(Logging.layer({ level, file: undefined })),
        Effect.catchTag("LogSinkError", (error) => Effect.fail(runtimeError(error.message)))
      )
    })
).pipe(Command.withDescription("run the embedded fanout-compatible broker"))
