/**
 * YAML text to a plain value, or the syntax errors with line and column and, where it differs, the likely cause.
 * Duplicate mapping keys are syntax errors: the original silently kept the last one.
 */
import * as Either from "effect/Either"
import * as YAML from "yaml"
import type { ConfigIssue } from "./errors.js"
import { describeValue } from "./issues.js"
import { firstTooDeep, unclosedBefore } from "./yaml-tokens.js"

/** Aliases allowed before `toJS` refuses the document (a "billion laughs" guard). */
const MAX_ALIAS_COUNT = 100

/** Collections nested in one another; a config needs about 8, and yaml's composer recurses once per level. */
export const MAX_DEPTH = 64

/** Longest part of a line quoted in an error. */
const MAX_QUOTED = 160

/** Where an error was noticed, and where its cause likely is when that is elsewhere. */
interface Problem {
  readonly offset: number
  readonly reason: string
  readonly cause?: { readonly offset: number; readonly text: (at: string) => string }
}

// Control characters and bidi overrides are escaped, so a quoted line cannot rewrite the terminal.
const hostile = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

class Located {
  constructor(readonly text: string, readonly lines: YAML.LineCounter) {}

  at(offset: number): string {
    const { line, col } = this.lines.linePos(offset)
    return `line ${line}, column ${col}`
  }

  quote(offset: number): string {
    const { line } = this.lines.linePos(offset)
    const start = this.lines.lineStarts[line - 1] ?? 0
    const end = this.lines.lineStarts[line] ?? this.text.length
    const raw = this.text.slice(start, end).replace(/\r?\n$/, "")
    const cut = raw.length > MAX_QUOTED ? `${raw.slice(0, MAX_QUOTED)}…` : raw
    return `${String(line).padStart(5)} | ${cut.replace(hostile, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)}`
  }

  issue(problem: Problem): ConfigIssue {
    const cause = problem.cause
    const noticed = `${this.at(problem.offset)}: ${problem.reason}`
    const sameLine = cause !== undefined && this.lines.linePos(cause.offset).line === this.lines.linePos(problem.offset).line
    return {
      path: "",
      message: cause === undefined || sameLine
        ? noticed
        : `${noticed}\n  likely cause: ${cause.text(this.at(cause.offset))}\n${this.quote(cause.offset)}`
    }
  }
}

/** yaml's own duplicate check compares each key with every earlier one (quadratic): one Map per mapping instead. */
const duplicateKeys = (document: YAML.Document): ReadonlyArray<Problem> => {
  const problems: Array<Problem> = []
  const stack: Array<unknown> = [document.contents]
  for (let node = stack.pop(); stack.length > 0 || node !== undefined; node = stack.pop()) {
    if (YAML.isSeq(node)) stack.push(...node.items)
    if (!YAML.isMap(node)) continue
    const seen = new Map<unknown, number>()
    for (const pair of node.items) {
      stack.push(pair.key, pair.value)
      const key = pair.key
      if (!YAML.isScalar(key)) continue
      const offset = key.range?.[0] ?? 0
      const first = seen.get(key.value)
      if (first === undefined) seen.set(key.value, offset)
      else problems.push({ offset, reason: "Map keys must be unique", cause: { offset: first, text: (at) => `${describeValue(key.value)} is first set at ${at}` } })
    }
  }
  return problems
}

/** Several errors of one unclosed bracket name it once, at the first. */
const causesShownOnce = (problems: ReadonlyArray<Problem>): ReadonlyArray<Problem> => {
  const shown = new Set<number>()
  return problems.map((problem) => {
    if (problem.cause === undefined) return problem
    if (shown.has(problem.cause.offset)) return { offset: problem.offset, reason: problem.reason }
    shown.add(problem.cause.offset)
    return problem
  })
}

/** The one document of `tokens` (a second one is an error), with yaml's errors. */
const composeOne = (tokens: ReadonlyArray<YAML.CST.Token>, length: number): YAML.Document.Parsed => {
  // logLevel "error": yaml would otherwise print warnings (e.g. about collection keys) to the process's stderr.
  const composer = new YAML.Composer({ uniqueKeys: false, prettyErrors: false, logLevel: "error" })
  const [document, second] = Array.from(composer.compose(tokens, true, length))
  if (document === undefined) throw new Error("yaml composed no document from a forced compose")
  if (second !== undefined) {
    document.errors.push(new YAML.YAMLParseError([second.range[0], second.range[1]], "MULTIPLE_DOCS", "Source contains multiple documents; please use YAML.parseAllDocuments()"))
  }
  return document
}

/** The document's value (`null` for an empty document), or one issue per YAML error: `line L, column C: reason`. */
export const parseYaml = (text: string): Either.Either<unknown, ReadonlyArray<ConfigIssue>> => {
  const lines = new YAML.LineCounter()
  const located = new Located(text, lines)
  // The parser keeps its own stack; the composer recurses, so depth is checked in between.
  const tokens = Array.from(new YAML.Parser(lines.addNewLine).parse(text))
  const deep = firstTooDeep(tokens, MAX_DEPTH)
  if (deep !== undefined)
    return Either.left([located.issue({ offset: deep.offset, reason: `nested deeper than ${MAX_DEPTH} levels (a config needs about 8)` })])
  const document = composeOne(tokens, text.length)
  const problems = [
    ...document.errors.map((error): Problem => {
      const unclosed = unclosedBefore(tokens, error.pos[0])
      return unclosed === undefined
        ? { offset: error.pos[0], reason: error.message }
        : { offset: error.pos[0], reason: error.message, cause: { offset: unclosed.offset, text: (at) => `the ${unclosed.opener} at ${at} is never closed` } }
    }),
    ...duplicateKeys(document)
  ].sort((a, b) => a.offset - b.offset)
  if (problems.length > 0) return Either.left(causesShownOnce(problems).map((problem) => located.issue(problem)))
  try {
    return Either.right(document.toJS({ maxAliasCount: MAX_ALIAS_COUNT }))
  } catch (cause) {
    // toJS throws only for alias abuse (too many aliases, or an alias to itself): point at the first alias.
    const reason = cause instanceof Error ? cause.message : String(cause)
    return Either.left([located.issue({ offset: firstAliasOffset(document), reason })])
  }
}

const firstAliasOffset = (document: YAML.Document): number => {
  let offset = 0
  YAML.visit(document, {
    Alias: (_key, node) => {
      offset = node.range?.[0] ?? 0
      return YAML.visit.BREAK
    }
  })
  return offset
}
