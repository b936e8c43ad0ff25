/**
 * Loading the config file for a command: a bad config is a usage error (exit 2),
 * and a `-c` that names a file says that `-c` is the channel there.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as fs from "node:fs"
import { loadConfig, resolveConfigPath } from "../config/index.js"
import { usageError } from "./exit.js"

/**
 * `-c` is --channel for publish and check but --config for daemon (as in the
 * original): a channel name that is a file's path was most likely meant as the config.
 */
export const channelHint = (channelName: string): string => {
  try {
    return fs.statSync(channelName).isFile()
      ? ` (-c is --channel here, and "${channelName}" is a file: for a config file, use --config ${channelName})`
      : ""
  } catch {
    return ""
  }
}

/**
 * Loads the config for `check`/`publish`; when it does not load and `-c` named a
 * file, the error says that `-c` is the channel there.
 */
export const loadConfigBeside = (flag: Option.Option<string>, channelName: string | undefined) =>
  loadConfigFrom(flag).pipe(
    Effect.mapError((error) => (channelName === undefined ? error : usageError(error.text + channelHint(channelName))))
  )

/** Loads the config named by the flag or environment; a bad config is a usage error (exit 2). */
export const loadConfigFrom = (flag: Option.Option<string>) =>
  loadConfig(resolveConfigPath(Option.getOrUndefined(flag), process.env)).pipe(
    Effect.mapError((error) => usageError(error.message))
  )

