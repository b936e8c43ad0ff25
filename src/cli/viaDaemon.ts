/**
 * `f2bc publish --via-daemon`: hands the message to the local daemon's control socket instead of sending
 * it; the daemon records it in its outbox and delivers it. Exit 0 once recorded (the id printed), 1 refused or unreachable.
 */
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { handOffToDaemon } from "../control/client.js"
import { controlSocketBeside } from "../control/protocol.js"
import { checkOutgoing } from "../decide/outgoing.js"
import { checkHandOff } from "../outbox/handoff.js"
import { runtimeError, usageError } from "./exit.js"
import { loadConfigBeside } from "./options.js"

/** The shipped systemd unit's socket (`--pid-file /run/f2bc/f2bc.pid`), when neither the flag nor the config names one. */
export const DEFAULT_CONTROL_SOCKET = "/run/f2bc/f2bc.sock"

export interface ViaDaemonFlags {
  readonly channel: string
  readonly message: string
  readonly config: Option.Option<string>
  readonly controlSocket: Option.Option<string>
  readonly timeout: number
  /** Flags that only make sense when publish sends itself. */
  readonly sendFlags: ReadonlyArray<string>
}

/**
 * The daemon's socket: `--control-socket`, else the config's control_socket, else beside its
 * pid_file, else the unit's; and the config when one is read (without `--control-socket`, or with `--config` too).
 */
const targetOf = (flags: ViaDaemonFlags) =>
  Option.isSome(flags.controlSocket) && Option.isNone(flags.config)
    ? Effect.succeed({ socket: flags.controlSocket.value, config: undefined })
    : Effect.map(loadConfigBeside(flags.config, flags.channel), (config) => ({
      socket: Option.getOrElse(flags.controlSocket, () =>
        config.control_socket ?? (config.pid_file === undefined ? DEFAULT_CONTROL_SOCKET : controlSocketBeside(config.pid_file))),
      config
    }))

export const publishViaDaemon = (flags: ViaDaemonFlags) =>
  Effect.gen(function* () {
    if (flags.sendFlags.length > 0)
      return yield* Effect.fail(usageError(`${flags.sendFlags.join(", ")} cannot go with --via-daemon: the daemon sends, to its config's servers, as its node_name`))
    // The same refusals as when publish sends itself; the daemon then checks the types of its channels.
    const checked = checkOutgoing(flags.channel, flags.message)
    if (Either.isLeft(checked)) return yield* Effect.fail(usageError(checked.left))
    const { socket, config } = yield* targetOf(flags)
    // With the daemon's config at hand, bad input is refused here as `f2bc publish` refuses it (exit 2),
    // with the daemon's own check; what only the daemon knows (a full outbox) is its refusal (exit 1).
    if (config !== undefined) {
      const local = checkHandOff(config, flags.channel, flags.message, yield* Clock.currentTimeMillis, "0".repeat(32))
      if (Either.isLeft(local)) return yield* Effect.fail(usageError(local.left))
    }
    const answer = yield* handOffToDaemon(socket, flags.channel, flags.message, flags.timeout * 1000).pipe(
      Effect.mapError((error) => runtimeError(`not handed off (is the daemon running?): ${error.message}`))
    )
    if (!answer.ok) return yield* Effect.fail(runtimeError(`refused by the daemon: ${answer.error}`))
    yield* Console.log(answer.id)
  })
