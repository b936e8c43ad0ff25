/**
 * The daemon's durable state in state_dir besides the outbox: the replay guard (`seen`) and, when a channel
 * has `expire_action`, the scheduled expiries. Opened by `daemon run` before the daemon starts.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as nodePath from "node:path"
import type { Config } from "../config/model.js"
import { makeDedupe, type Dedupe } from "../daemon/dedupe.js"
import { holdPidFile, type PidFileError } from "../daemon/pidfile.js"
import type { StateFileError } from "../daemon/stateFile.js"
import type { OutboxError } from "../outbox/model.js"
import { prepareStateDir } from "../outbox/file.js"
import { makeSeenTable } from "../trust/index.js"
import type { JournalError } from "./journal.js"
import { openExpiries, type Expiries } from "./expiries.js"
import { openSeenJournal } from "./seen.js"

export interface DaemonState {
  /** The table of executed ids, loaded from `seen` and appending to it. */
  readonly dedupe: Dedupe
  /** The scheduled expiries, when a channel has `expire_action`. */
  readonly expiries: Expiries | undefined
}

const channels = (config: Config) => config.servers.flatMap((server) => server.channels)

/**
 * Whether the daemon keeps state in state_dir: with a control socket (the outbox), a signed channel (the
 * replay guard) or an `expire_action`. Otherwise it does not touch state_dir.
 */
export const needsStateDir = (config: Config, hasControlSocket: boolean): boolean =>
  hasControlSocket || channels(config).some((channel) => channel.secret_files.length > 0 || channel.expire !== undefined)

/** Prepares state_dir (created 0700, refused when others could write it) and holds it: one daemon per directory, for the scope's lifetime. */
export const openStateDir = (dir: string): Effect.Effect<void, StateFileError | OutboxError | PidFileError, Scope.Scope> =>
  Effect.zipRight(prepareStateDir(dir), holdPidFile(nodePath.join(dir, "daemon.pid")))

/** Opens the journals of state_dir (openStateDir prepared it), for the scope's lifetime. */
export const openState = (config: Config): Effect.Effect<DaemonState, JournalError | StateFileError, Scope.Scope> =>
  Effect.gen(function* () {
    const dir = config.state_dir
    const table = makeSeenTable(config.dedupe_max_entries)
    const seen = yield* openSeenJournal(dir, table, yield* Clock.currentTimeMillis)
    // Opened whenever a channel has expire_action; kept (and run) even if a reload removes it.
    const expiries = channels(config).some((channel) => channel.expire !== undefined) ? yield* openExpiries(dir) : undefined
    return { dedupe: makeDedupe(config.dedupe_max_entries, table, seen.persist), expiries }
  })
