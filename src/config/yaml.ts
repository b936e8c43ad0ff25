/**
 * YAML text to a plain value, or the syntax errors with line and column.
 * Duplicate mapping keys are syntax errors: the original silently kept the last one.
 */
import * as Either from "effect/Either"
import * as YAML from "yaml"
import type { ConfigIssue } from "./errors.js"

/** Aliases allowed before `toJS` refuses the document (a "billion laughs" guard). */
const MAX_ALIAS_COUNT = 100

/** The document's value (`null` for an empty document), or one issue per YAML error: `line L, column C: reason`. */
export const parseYaml = (text: string): Either.Either<unknown, ReadonlyArray<ConfigIssue>> => {
  const lineCounter = new YAML.LineCounter()
  // logLevel "error": yaml would otherwise print warnings (e.g. about collection keys) to the process's stderr.
  const document = YAML.parseDocument(text, { uniqueKeys: true, prettyErrors: false, lineCounter, logLevel: "error" })
  if (document.errors.length > 0) {
    return Either.left(
      document.errors.map((error) => {
        const { line, col } = lineCounter.linePos(error.pos[0])
        return { path: "", message: `line ${line}, column ${col}: ${error.message}` }
      })
    )
  }
  try {
    return Either.right(document.toJS({ maxAliasCount: MAX_ALIAS_COUNT }))
  } catch (cause) {
    // toJS throws only for alias abuse (too many aliases, or an alias to itself): point at the first alias.
    const reason = cause instanceof Error ? cause.message : String(cause)
    const { line, col } = lineCounter.linePos(firstAliasOffset(document))
    return Either.left([{ path: "", message: `line ${line}, column ${col}: ${reason}` }])
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
