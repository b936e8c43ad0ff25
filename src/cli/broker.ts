/**
 * `f2bc broker`: the embedded fanout-compatible server on its own, bound to
 * loopback unless told otherwise.
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import { Defaults } from "../config/model.js"
import { onSignal } from "../platform/signal.js"
import * as Logging from "../log/logger.js"
import { integer } from "./conventions.js"
import { runtimeError } from "./exit.js"

const B = Defaults.broker
const host = Options.text("host").pipe(Options.withDescription(`address to listen on (default ${B.host})`), Options.withDefault(B.host))
const port = integer("port").pipe(Options.withAlias("p"), Options.withDescription(`port, 0 = any free port (default ${B.port})`), Options.withDefault(B.port))
const maxClients = integer("max-clients").pipe(Options.withDescription(`clients connected at once (default ${B.max_clients})`), Options.withDefault(B.max_clients))
const maxLineBytes = integer("max-line-bytes").pipe(
  Options.withDescription(`longest request line in bytes; a longer one is dropped (default ${B.max_line_bytes})`),
  Options.withDefault(B.max_line_bytes)
)
const maxOutputBytes = integer("max-output-bytes").pipe(
  Options.withDescription(`bytes queued for one client before it is disconnected as too slow (default ${B.max_output_bytes})`),
  Options.withDefault(B.max_output_bytes)
)
const maxSubscriptions = integer("max-subscriptions").pipe(
  Options.withDescription(`channels one client may subscribe to (default ${B.max_subscriptions})`),
  Options.withDefault(B.max_subscriptions)
)
const maxSubscriptionBytes = integer("max-subscription-bytes").pipe(
  Options.withDescription(`bytes of channel names one client may hold subscribed (default ${B.max_subscription_bytes})`),
  Options.withDefault(B.max_subscription_bytes)
)
// Not --log-level: @effect/cli reserves that name for its own option.
const logLevel = integer("level").pipe(
  Options.withDescription(`log level as in the config's log_level: 0 errors, 1 warnings, 2 info, 3 debug (default ${Defaults.log_level})`),
  Options.withDefault(Defaults.log_level)
)

export const brokerCommand = Command.make(
  "broker",
  { host, port, maxClients, maxLineBytes, maxOutputBytes, maxSubscriptions, maxSubscriptionBytes, logLevel },
  (args) =>
    Effect.gen(function* () {
      const { makeBroker } = yield* Effect.promise(() => import("../broker/broker.js"))
      const level: Logging.SeedLogLevel = args.logLevel <= 0 ? 0 : args.logLevel === 1 ? 1 : args.logLevel === 2 ? 2 : 3
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
            maxSubscriptions: args.maxSubscriptions,
            maxSubscriptionBytes: args.maxSubscriptionBytes
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
