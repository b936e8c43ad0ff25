/**
 * Typed values (docs/security.md): the types a config can give a message key, and the
 * checks every value passes whatever its type (no control characters, no option injection).
 */
import * as Either from "effect/Either"
import { isIP } from "node:net"
import { firstForbidden, type ForbiddenCharacter } from "../text/untrusted.js"
import { parseRange } from "./address.js"

export type ValueType =
  | { readonly _tag: "ip" }
  | { readonly _tag: "cidr" }
  | { readonly _tag: "int" }
  | { readonly _tag: "name" }
  | { readonly _tag: "text" }
  | { readonly _tag: "regex"; readonly source: string; readonly pattern: RegExp }

/** The types of `ip` and `ban_until` (unix seconds, -1 for no end) unless the config says otherwise. */
export const DEFAULT_TYPES: ReadonlyMap<string, ValueType> = new Map<string, ValueType>([["ip", { _tag: "ip" }], ["ban_until", { _tag: "int" }]])

/** Longest `name` value: a DNS name's limit, and ample for jail names. */
export const NAME_MAX = 255

const NAME = /^[A-Za-z0-9_.][A-Za-z0-9_.-]*$/
const INT = /^-?(0|[1-9][0-9]{0,17})$/
const REGEX_SPEC = /^\/(.*)\/([isu]*)$/s
/** A /regex/ with flags outside i, s, u. */
const ANY_FLAGS = /^\/.+\/([A-Za-z]+)$/s

/** `ip`, `cidr`, `int`, `name`, `text` or `/regex/flags` (flags among i, s, u): a type, or why not. */
export const parseValueType = (spec: string): Either.Either<ValueType, string> => {
  switch (spec) {
    case "ip":
    case "cidr":
    case "int":
    case "name":
    case "text":
      return Either.right({ _tag: spec })
  }
  const regex = REGEX_SPEC.exec(spec)
  const flagged = regex === null ? ANY_FLAGS.exec(spec) : null
  if (flagged !== null)
    return Either.left(`regex flags may only be i, s and u (got ${JSON.stringify(flagged[1])}): g, y and m would change what a whole-value match means`)
  if (regex === null)
    return Either.left(`unknown type ${JSON.stringify(spec)} (expected ip, cidr, int, name, text or /regex/)`)
  const [, body = "", flags = ""] = regex
  if (body === "") return Either.left("an empty /regex/ matches nothing but the empty value")
  try {
    // The body must be a pattern on its own: "a)|(b" would close the anchoring group and match any value starting with "a".
    const alone = new RegExp(body, flags)
    // Anchored: the whole value must match, not a part of it.
    return Either.right({ _tag: "regex", source: spec, pattern: new RegExp(`^(?:${alone.source})$`, flags) })
  } catch (error) {
    return Either.left(`invalid regular expression ${spec}: ${error instanceof Error ? error.message : String(error)}`)
  }
}

export const describeValueType = (type: ValueType): string => {
  switch (type._tag) {
    case "ip":
      return "an IP address"
    case "cidr":
      return "an IP address or range (address/prefix)"
    case "int":
      return "an integer"
    case "name":
      return `a name of letters, digits, "_", "." or "-" not starting with "-" (at most ${NAME_MAX})`
    case "text":
      return "text"
    case "regex":
      return `a match of ${type.source}`
  }
}

const matchesType = (type: ValueType, value: string): boolean => {
  switch (type._tag) {
    case "ip":
      // A zone (fe80::1%eth0) names an interface of the sender, not an attacker.
      return isIP(value) !== 0 && !value.includes("%")
    case "cidr":
      return Either.isRight(parseRange(value))
    case "int":
      return INT.test(value)
    case "name":
      return value.length <= NAME_MAX && NAME.test(value)
    case "text":
      return true
    case "regex":
      return type.pattern.test(value)
  }
}

/** Why a value is refused, as data (`decide/rejection.ts` phrases it). */
export type ValueProblem =
  /** A control, line-separator or bidi character (`text/untrusted.ts`): the first one. */
  | { readonly reason: "Forbidden"; readonly character: ForbiddenCharacter }
  /** A leading "-": it could pass as an option. */
  | { readonly reason: "LeadingDash" }
  | { readonly reason: "NotOfType"; readonly type: ValueType }

/**
 * Why `value` is not acceptable as `type`, or undefined when it is. Every
 * type refuses control characters; every type but `int` refuses a leading "-".
 */
export const valueProblem = (type: ValueType, value: string): ValueProblem | undefined => {
  const character = firstForbidden(value)
  if (character !== undefined) return { reason: "Forbidden", character }
  if (value.startsWith("-") && type._tag !== "int") return { reason: "LeadingDash" }
  return matchesType(type, value) ? undefined : { reason: "NotOfType", type }
}

/** A value its type refuses: the `types` stage's rejection. */
export interface ValueRejection {
  readonly _tag: "Types"
  /** The offending key; `_msg` for the text of a message. */
  readonly key: string
  readonly value: string
  readonly problem: ValueProblem
  /** `true` when the value is the text of a key=value message (`%_msg%`), not one of its values. */
  readonly wholeText: boolean
}

const TEXT: ValueType = { _tag: "text" }

/** The first field (in message order) whose value its type refuses; untyped keys are `text`. */
export const checkFields = (
  fields: ReadonlyMap<string, string>,
  types: ReadonlyMap<string, ValueType>
): ValueRejection | undefined => {
  for (const [key, value] of fields) {
    const problem = valueProblem(types.get(key) ?? TEXT, value)
    if (problem !== undefined) return { _tag: "Types", key, value, problem, wholeText: false }
  }
  return undefined
}

/**
 * The universal checks on a whole message body (`%_msg%`), which may reach an
 * argv word; `wholeText` when the body is that of a key=value message.
 */
export const checkBody = (body: string, wholeText = false): ValueRejection | undefined => {
  const problem = valueProblem(TEXT, body)
  return problem === undefined ? undefined : { _tag: "Types", key: "_msg", value: body, problem, wholeText }
}
