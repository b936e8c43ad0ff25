/**
 * Turns an Effect Schema ParseIssue tree into operator-friendly issues:
 * `is missing`, `unknown key (expected one of: …)`, `must be <expected>, got <actual>`.
 */
import * as Option from "effect/Option"
import type * as ParseResult from "effect/ParseResult"
import * as AST from "effect/SchemaAST"
import { quote } from "../text/untrusted.js"
import type { IssuePath, PathIssue } from "./path.js"
import { ExpectedId, KeysShownId } from "./schema.js"

/** Every problem in the tree, each at the path of the value it concerns. */
export const friendlyIssues = (issue: ParseResult.ParseIssue): ReadonlyArray<PathIssue> => walk(issue, [], undefined)

/** A short, safe rendering of a YAML value for an error message. */
export const describeValue = (value: unknown): string => {
  if (value === undefined) return "nothing"
  if (value === null) return "nothing (null)"
  if (typeof value === "string") return quote(value, 60)
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value)
  if (Array.isArray(value)) return value.length === 0 ? "an empty list" : "a list"
  if (typeof value === "object") return "a mapping"
  return typeof value
}

const toArray = <A>(items: A | ReadonlyArray<A>): ReadonlyArray<A> =>
  Array.isArray(items) ? (items as ReadonlyArray<A>) : [items as A]

const expectedAnnotation = (ast: AST.AST): Option.Option<string> => AST.getAnnotation<string>(ast, ExpectedId)

/** What `ast` accepts, in words: its annotation, else a description of its kind. */
const expectedText = (ast: AST.AST): string =>
  Option.getOrElse(expectedAnnotation(ast), () => {
    switch (ast._tag) {
      case "TypeLiteral":
        return "a mapping"
      case "TupleType":
        return "a list"
      case "StringKeyword":
        return "a string"
      case "NumberKeyword":
        return "a number"
      case "BooleanKeyword":
        return "true or false"
      case "UndefinedKeyword":
        return "nothing"
      case "Literal":
        return ast.literal === null ? "nothing (null)" : JSON.stringify(String(ast.literal))
      case "Union":
        return [...new Set(ast.types.map(expectedText))].join(" or ")
      case "Refinement":
        return Option.getOrElse(AST.getDescriptionAnnotation(ast), () => expectedText(ast.from))
      case "Transformation":
        return expectedText(ast.from)
      default:
        return "a valid value"
    }
  })

/**
 * Whether the issue is about the value itself (wrong type, out of range)
 * rather than about something inside it (a key, a list element).
 */
const isShallow = (issue: ParseResult.ParseIssue): boolean => {
  switch (issue._tag) {
    case "Type":
    case "Forbidden":
      return true
    case "Missing":
    case "Unexpected":
    case "Pointer":
      return false
    case "Refinement":
      return issue.kind === "Predicate" || isShallow(issue.issue)
    case "Transformation":
      return isShallow(issue.issue)
    case "Composite":
      return toArray(issue.issues).every(isShallow)
  }
}

const mustBe = (path: IssuePath, expectation: string, actual: unknown): PathIssue => ({
  path,
  message: `${path.length === 0 ? "the config " : ""}must be ${expectation}, got ${describeValue(actual)}`
})

type Pick = (actual: unknown) => ReadonlyArray<string> | undefined

/** The struct an unknown key was found in, the mapping it was found in, and the struct's KeysShownId annotation. */
interface Place {
  readonly struct: AST.TypeLiteral
  readonly actual: unknown
  readonly pick: Pick | undefined
}

const unknownKey = (place: Place | undefined): string => {
  if (place === undefined) return "unknown key"
  const keys = place.pick?.(place.actual) ?? place.struct.propertySignatures.map((p) => String(p.name))
  return `unknown key (expected one of: ${keys.join(", ")})`
}

/** A struct with defaults is a transformation: its annotations stand there, above the struct the issue names. */
const pickOf = (ast: AST.AST): Pick | undefined => Option.getOrUndefined(AST.getAnnotation<Pick>(ast, KeysShownId))

const walk = (
  issue: ParseResult.ParseIssue,
  path: IssuePath,
  struct: Place | undefined,
  pick: Pick | undefined = undefined
): ReadonlyArray<PathIssue> => {
  switch (issue._tag) {
    case "Pointer": {
      const inner = [...path, ...toArray(issue.path)]
      return issue.issue._tag === "Unexpected"
        ? [{ path: inner, message: unknownKey(struct) }]
        : walk(issue.issue, inner, struct)
    }
    case "Missing":
      return [{ path, message: "is missing" }]
    case "Unexpected":
      return [{ path, message: "is not allowed here" }]
    case "Forbidden":
      return [{ path, message: issue.message ?? "cannot be checked" }]
    case "Type":
      return [mustBe(path, expectedText(issue.ast), issue.actual)]
    case "Refinement":
    case "Transformation": {
      const annotation = expectedAnnotation(issue.ast)
      return Option.isSome(annotation) && isShallow(issue)
        ? [mustBe(path, annotation.value, issue.actual)]
        : walk(issue.issue, path, struct, pickOf(issue.ast) ?? pick)
    }
    case "Composite": {
      const issues = toArray(issue.issues)
      if (isShallow(issue)) return [mustBe(path, expectedText(issue.ast), issue.actual)]
      // A union member that got past the type check is the one the value was meant to be: report inside it.
      const relevant = AST.isUnion(issue.ast) ? issues.filter((i) => !isShallow(i)) : issues
      const inner: Place | undefined = AST.isTypeLiteral(issue.ast)
        ? { struct: issue.ast, actual: issue.actual, pick: pickOf(issue.ast) ?? pick }
        : struct
      return relevant.flatMap((i) => walk(i, path, inner))
    }
  }
}
