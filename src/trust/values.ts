/**
 * Typed values (docs/security.md): the types a config can give a message key, and the
 * checks every value passes whatever its type (no control characters, no option injection).
 */
import * as Either from "effect/Either"
import { isIP } from "node:net"
import { parseRange } from "./address.js"

export type ValueType =
  | { readonly _tag: "ip" }
  | { readonly _tag: "cidr" }
  | { readonly _tag: "int" }
  | { readonly _tag: "name" }
  | { readonly _tag: "text" }
  | { readonly _tag: "regex"; readonly source: string; readonly pattern: RegExp }

/** The type of `ip` unless the config says otherwise. */
export const DEFAULT_TYPES: ReadonlyMap<string, ValueType> = new Map([["ip", { _tag: "ip" }]])

/** Longest `name` value: a DNS name's limit, and ample for jail names. */
export const NAME_MAX = 255

const NAME = /^[A-Za-z0-9_.][A-Za-z0-9_.-]*$/
const INT = /^-?(0|[1-9][0-9]{0,17})$/
const REGEX_SPEC = /^\/(.*)\/([isu]*)$/s
/** A /regex/ with flags outside i, s, u. */
const ANY_FLAGS = /^\/.+\/([A-Za-z]+)$/s

/**
 * Control characters (C0, DEL, C1), the Unicode line separators and the
 * bidirectional formatting characters that can make text read differently than it runs.
 */
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/

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

const forbiddenKind = (code: number): string =>
  code < 0x20 || (code >= 0x7f && code <= 0x9f)
    ? "a control character"
    : code === 0x2028 || code === 0x2029
    ? "a line separator"
    : "a bidi formatting character"

const forbiddenAt = (value: string): string | undefined => {
  const match = FORBIDDEN.exec(value)
  if (match === null) return undefined
  const code = match[0].charCodeAt(0)
  return `contains ${forbiddenKind(code)} U+${code.toString(16).toUpperCase().padStart(4, "0")} at position ${match.index}`
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

/**
 * Why `value` is not acceptable as `type`, or undefined when it is. Every
 * type refuses control characters; every type but `int` refuses a leading "-".
 */
export const valueProblem = (type: ValueType, value: string): string | undefined => {
  const forbidden = forbiddenAt(value)
  if (forbidden !== undefined) return forbidden
  if (value.startsWith("-") && type._tag !== "int") return `starts with "-" (it could pass as an option)`
  return matchesType(type, value) ? undefined : `is not ${describeValueType(type)}`
}

export interface ValueRejection {
  /** The offending key; `_msg` for the text of a plain message. */
  readonly key: string
  readonly value: string
  readonly problem: string
}

const TEXT: ValueType = { _tag: "text" }

/** The first field (in message order) whose value its type refuses; untyped keys are `text`. */
export const checkFields = (
  fields: ReadonlyMap<string, string>,
  types: ReadonlyMap<string, ValueType>
): ValueRejection | undefined => {
  for (const [key, value] of fields) {
    const problem = valueProblem(types.get(key) ?? TEXT, value)
    if (problem !== undefined) return { key, value, problem }
  }
  return undefined
}

/** The universal checks on a whole message body (`%_msg%`), which may reach an argv word. */
export const checkBody = (body: string): ValueRejection | undefined => {
  const problem = valueProblem(TEXT, body)
  return problem === undefined ? undefined : { key: "_msg", value: body, problem }
}
