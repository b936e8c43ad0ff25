/**
 * Options shared by several subcommands, named for what they hold.
 */
import * as Options from "@effect/cli/Options"

/** `--config PATH` (the original's spelling, `--config=PATH`, works too), before it is made optional. */
export const configText = Options.text("config").pipe(
  Options.withDescription("config file (default: $F2BC_CONFIG, else /etc/fail2ban-cluster.yml)")
)
export const configPath = Options.optional(configText)

export const channel = Options.text("channel").pipe(Options.withAlias("c"), Options.withDescription("channel name"))
export const message = Options.text("message").pipe(
  Options.withAlias("m"),
  Options.withDescription('message text, e.g. "jail=sshd, action=banip, ip=192.0.2.7"')
)

export { channelHint, loadConfigBeside, loadConfigFrom } from "./configFile.js"
