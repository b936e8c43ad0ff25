/**
 * `f2bc publish`: announce one message to every configured server that has
 * the channel, or to exactly --host/--port, and confirm each (a fanout ping,
 * a NATS flush, or a JetStream acknowledgement).
 * The options are here; what publish does is in publishRun.ts, which the fast
 * path of bin.ts runs without loading @effect/cli.
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import { integer } from "./conventions.js"
import { configPath, channel, message } from "./options.js"
import { publish } from "./publishRun.js"

const host = Options.text("host").pipe(Options.withDescription("publish only to this server"), Options.optional)
const port = integer("port").pipe(
  Options.withAlias("p"),
  Options.withDescription("port of --host (default 1986)"),
  Options.optional
)
const timeout = integer("timeout").pipe(
  Options.withDescription("seconds to wait for each server's confirmation (default 10)"),
  Options.withDefault(10)
)
const secretFile = Options.text("secret-file").pipe(
  Options.withDescription("sign with the secret in this file (with --host; with a config, the channel's secret_file signs)"),
  Options.optional
)
const nodeName = Options.text("node-name").pipe(
  Options.withDescription("the _origin to send (default: the config's node_name, else the host name)"),
  Options.optional
)

/** The options, exported for the test that the fast path (publishArgv.ts) reads argv as @effect/cli does. */
export const publishOptions = { channel, message, host, port, config: configPath, timeout, secretFile, nodeName }

export const publishCommand = Command.make("publish", publishOptions, (args) => publish(args)).pipe(Command.withDescription("announce a message on a channel and confirm it with every targeted server"))
