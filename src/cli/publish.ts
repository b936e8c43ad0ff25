/**
 * `f2bc publish`: announce one message to every configured server that has
 * the channel, or to exactly --host/--port, and confirm each (a fanout ping,
 * a NATS flush, or a JetStream acknowledgement).
 * The options are here; what publish does is in publishRun.ts, which the fast
 * path of bin.ts runs without loading @effect/cli.
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { integer } from "./conventions.js"
import { usageError } from "./exit.js"
import { configPath, channel, message } from "./options.js"
import { DEFAULT_TIMEOUT } from "./publishPlan.js"
import { publish, withBanUntil } from "./publishRun.js"

const host = Options.text("host").pipe(Options.withDescription("publish only to this server"), Options.optional)
const port = integer("port").pipe(
  Options.withAlias("p"),
  Options.withDescription("port of --host (default 1986)"),
  Options.optional
)
const timeout = integer("timeout").pipe(
  Options.withDescription("seconds to wait for each server's confirmation (default 10)"),
  Options.withDefault(DEFAULT_TIMEOUT)
)
const secretFile = Options.text("secret-file").pipe(
  Options.withDescription("sign with the secret in this file (with --host; with a config, the channel's secret_file signs)"),
  Options.optional
)
const nodeName = Options.text("node-name").pipe(
  Options.withDescription("the _origin to send (default: the config's node_name, else the host name)"),
  Options.optional
)

const banUntil = integer("ban-until").pipe(
  Options.withDescription("append ban_until=N: unix seconds when the ban ends (-1: no end; use --ban-until=-1)"),
  Options.optional
)

const viaDaemon = Options.boolean("via-daemon").pipe(
  Options.withDescription("hand the message to the local daemon's outbox (its control socket) instead of sending it; prints the id once recorded")
)
const controlSocket = Options.text("control-socket").pipe(
  Options.withDescription("with --via-daemon: the daemon's control socket (default: from --config, else /run/f2bc/f2bc.sock)"),
  Options.optional
)

/**
 * The options publish sends with, exported for the test that the fast path
 * (publishArgv.ts) reads argv as @effect/cli does. `--via-daemon` and
 * `--control-socket` are the full CLI's only: the fast path never reads them.
 */
export const publishOptions = { channel, message, host, port, config: configPath, timeout, secretFile, nodeName, banUntil }

/** `--via-daemon`: the flags that only make sense when publish sends itself are refused there. */
const handOff = (args: Command.Command.ParseConfig<typeof publishOptions> & { readonly controlSocket: Option.Option<string> }) =>
  Effect.gen(function* () {
    const given: ReadonlyArray<[string, boolean]> = [
      ["--host", Option.isSome(args.host)],
      ["--port", Option.isSome(args.port)],
      ["--secret-file", Option.isSome(args.secretFile)],
      ["--node-name", Option.isSome(args.nodeName)]
    ]
    const message = yield* withBanUntil(args.message, args.banUntil)
    const { publishViaDaemon } = yield* Effect.promise(() => import("./viaDaemon.js"))
    return yield* publishViaDaemon({ ...args, message, sendFlags: given.flatMap(([flag, set]) => (set ? [flag] : [])) })
  })

export const publishCommand = Command.make(
  "publish",
  { ...publishOptions, viaDaemon, controlSocket },
  ({ viaDaemon, controlSocket, ...args }) => {
    if (viaDaemon) return handOff({ ...args, controlSocket })
    if (Option.isSome(controlSocket)) return Effect.fail(usageError("--control-socket goes with --via-daemon"))
    return publish(args)
  }
).pipe(Command.withDescription("announce a message on a channel and confirm it with every targeted server"))
