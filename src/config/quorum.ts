/**
 * `quorum:` of a channel (docs/configuration.md, quorum): its Schema, the rules that span its
 * channel (signed only; `actions` needs `%action%`), and its resolved form. No I/O.
 */
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { compileTemplate } from "../action/index.js"
import { durationSchema } from "./duration.js"
import { Defaults, MAX_SECONDS } from "./model.js"
import type { IssuePath, PathIssue } from "./path.js"

/** Bound of `quorum.origins`: a quorum beyond it is a fleet-wide vote, not a defence f2bc sizes for. */
export const MAX_QUORUM_ORIGINS = 100

// The key schema.ts's ExpectedId names (Symbol.for gives the same symbol; schema.ts imports this file).
const expected = (text: string) => ({ [Symbol.for("f2bc/config/Expected")]: text })

/** `quorum.window`: greater than 0, at most a day; seconds or with a unit. */
const Window = durationSchema(
  (seconds) => seconds > 0 && seconds <= MAX_SECONDS,
  `a duration greater than 0 and at most ${MAX_SECONDS} s, in seconds or with a unit (90s, 10m, 1h)`
)

export const RawQuorum = Schema.Struct({
  origins: Schema.Number.pipe(Schema.int(), Schema.between(2, MAX_QUORUM_ORIGINS)).annotations(
    expected(`an integer from 2 to ${MAX_QUORUM_ORIGINS} (distinct origins; 1 would be no quorum)`)
  ),
  window: Schema.optionalWith(Window, { exact: true, default: () => Defaults.quorum.window }),
  count: Schema.optionalWith(Schema.Literal("origins", "keys").annotations(expected(`"origins" or "keys"`)), {
    exact: true,
    default: () => "origins" as const
  }),
  actions: Schema.optionalWith(
    Schema.Array(Schema.String.pipe(Schema.minLength(1))).pipe(Schema.minItems(1)).annotations(
      expected("a non-empty list of action names (values of the message's action key, e.g. [banip])")
    ),
    { exact: true }
  )
}).annotations(expected("a mapping with origins, window, count and actions"))

type Mapping = Readonly<Record<string, unknown>>
const isRecord = (value: unknown): value is Mapping => typeof value === "object" && value !== null && !Array.isArray(value)

/**
 * A quorum counts `_origin`s, which only a signature vouches for; and `actions` reads the
 * message's `action`, which must then be what the action runs (else a message could name another one and pass alone).
 */
export const quorumIssues = (channel: unknown, channelPath: IssuePath): ReadonlyArray<PathIssue> => {
  if (!isRecord(channel) || !isRecord(channel["quorum"])) return []
  const path = [...channelPath, "quorum"]
  const secretFile = channel["secret_file"]
  if (secretFile === undefined)
    return [{ path, message: "needs a signed channel (secret_file): without a signature anyone could send a message under any _origin and make the quorum alone" }]
  const origins = channel["quorum"]["origins"]
  const files = Array.isArray(secretFile) ? secretFile.length : 1
  if (channel["quorum"]["count"] === "keys" && typeof origins === "number" && files < origins)
    return [{ path: [...path, "count"], message: `keys needs a secret per host: secret_file lists ${files} file(s), fewer than origins (${origins}), so no quorum could ever be reached` }]
  const action = channel["action"]
  const shell = channel["shell"] ?? false
  if (channel["quorum"]["actions"] === undefined || typeof action !== "string" || typeof shell !== "boolean") return []
  return Either.match(compileTemplate(action, { shell }), {
    // The action's own rule reports an action that does not compile.
    onLeft: () => [],
    onRight: (template) =>
      template.placeholders.includes("action")
        ? []
        : [{
          path: [...path, "actions"],
          message: "is matched on the message's action value, so the channel's action must use %action% (else a message naming another action would run what the template says without the quorum)"
        }]
  })
}

/** `quorum:` of a signed channel, resolved. */
export interface QuorumConfig {
  /** Distinct `_origin`s that must send the same rendered action (≥ 2). */
  readonly origins: number
  /** Seconds within which they must send it; a hold older than this is forgotten. */
  readonly window: number
  /** What tells origins apart: their `_origin`, or the secret that signed (a key per host: an origin cannot be forged). */
  readonly count: "origins" | "keys"
  /** The message `action` values that need the quorum; absent = every message. */
  readonly actions: ReadonlyArray<string> | undefined
}

export const resolveQuorum = (raw: typeof RawQuorum.Type): QuorumConfig => ({
  origins: raw.origins,
  window: raw.window,
  count: raw.count,
  actions: raw.actions
})
