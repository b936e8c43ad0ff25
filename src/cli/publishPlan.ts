/**
 * What `f2bc publish` checks and sends, as plain functions that evaluate no Effect runtime: the Effect
 * publish (publishRun.ts) and the plain path (publishPlain.ts) run these same steps, so both refuse alike.
 */
import { hostname } from "node:os"
import { Defaults } from "../config/model.js"
import { checkLineLength, checkOutgoing, checkOutgoingTypes, outgoingText, PLAIN_SIGNED } from "../decide/outgoing.js"
import type { Message } from "../message/index.js"
import { escapeUnsafe } from "../text/untrusted.js"
import type { FanoutEndpoint } from "../transport/transport.js"
import { DEFAULT_TYPES, isNodeName, nodeNameOf, type NewEnvelope, type ValueType } from "../trust/index.js"
import type { ExitCode } from "./exit.js"

/** Why publish stops, as data: the exit code and the text after `f2bc: ` (publishRun.ts makes it a CliExit). */
export interface Refusal {
  readonly _tag: "Refusal"
  readonly code: ExitCode
  readonly text: string
}

/** A usage refusal (exit 2). */
export const refused = (text: string): Refusal => ({ _tag: "Refusal", code: 2, text })

export const isRefusal = (value: unknown): value is Refusal =>
  typeof value === "object" && value !== null && "_tag" in value && value._tag === "Refusal"

/** A refusal that quotes the user's channel or message: hostile characters shown escaped, as the log does. */
export const refusedQuoting = (text: string): Refusal => refused(escapeUnsafe(text))

export const DEFAULT_PORT = 1986
export const DEFAULT_HOST = "127.0.0.1"
/** The default of `--timeout`, seconds. */
export const DEFAULT_TIMEOUT = 10

/** The message with `, ban_until=N` appended when `--ban-until` is given (a key=value message only; N ≥ -1). */
export const messageWithBanUntil = (message: string, banUntil: number | undefined): string | Refusal =>
  banUntil === undefined ? message
  : banUntil < -1 ? refused(`--ban-until must be unix seconds, or -1 for no end, got ${banUntil}`)
  : !message.includes("=") ? refused("--ban-until needs a key=value message (it appends ban_until=N)")
  : `${message}, ban_until=${banUntil}`

/**
 * The command line's own checks, before any server is looked for: what the wire or the grammar
 * would reject (the daemon's `publish` verb shares that check), `--timeout` and `--node-name`.
 */
export const checkCommandLine = (channel: string, text: string, timeout: number, nodeName: string | undefined): Message | Refusal => {
  const checked = checkOutgoing(channel, text)
  if (checked._tag === "Left") return refused(checked.left)
  if (timeout < 1 || timeout > 3600) return refused(`--timeout must be from 1 to 3600 seconds, got ${timeout}`)
  if (nodeName !== undefined && !isNodeName(nodeName))
    return refused(`--node-name must be letters, digits, "_", "." or "-", not starting with "-"`)
  return checked.right
}

/** `--port`'s range. */
export const checkPort = (port: number): Refusal | undefined =>
  port < 1 || port > 65535 ? refused(`--port must be from 1 to 65535, got ${port}`) : undefined

/** How one server is sent to: the secret that signs for it (if its channel has one) and its channel's value types. */
export interface Signing {
  readonly secret: Uint8Array | undefined
  readonly types: ReadonlyMap<string, ValueType>
}

/** `--host`/`--port` without a config: that one fanout server, with the default value types and line limit, as `--node-name` or this host. */
export const hostOnly = (host: string, port: number, timeoutMs: number, nodeName: string | undefined, secret: Uint8Array | undefined) => ({
  targets: [{
    endpoint: { host, port, channels: [], pingTimeoutMs: timeoutMs, maxLineBytes: Defaults.max_line_bytes } satisfies FanoutEndpoint,
    secret,
    types: DEFAULT_TYPES
  }],
  origin: nodeName ?? nodeNameOf(hostname()),
  lineLimit: Defaults.max_line_bytes
})

/**
 * The line each server is sent, all with one envelope (the same `_id` lets a daemon that hears it
 * twice run it once), or the refusal: what a daemon's types stage would reject, a plain message
 * on a signing channel, or a request line longer than `lineLimit`.
 */
export const linesFor = (
  channel: string,
  text: string,
  parsed: Message,
  targets: ReadonlyArray<Signing>,
  envelope: NewEnvelope,
  lineLimit: number
): ReadonlyArray<string> | Refusal => {
  for (const target of targets) {
    const bad = checkOutgoingTypes(parsed, target.types)
    if (bad !== undefined) return refused(bad)
  }
  if (parsed.kind === "plain" && targets.some((target) => target.secret !== undefined)) return refused(PLAIN_SIGNED)
  const lines = targets.map((target) => outgoingText(channel, text, parsed.kind === "plain", envelope, target.secret))
  for (const line of lines) {
    const long = checkLineLength(channel, line, lineLimit)
    if (long !== undefined) return refused(long)
  }
  return lines
}

/** The outcome when some servers did not confirm (exit 1), each failure as `server (detail)`. */
export const notConfirmed = (failures: ReadonlyArray<string>, total: number): Refusal => ({
  _tag: "Refusal",
  code: 1,
  text: `not confirmed by ${failures.length} of ${total} server(s): ${failures.join(", ")}`
})
