/**
 * Reading the `%` syntax of an action: `%name%` is a placeholder, `%%` a
 * literal percent sign, and any other `%` an error (docs/configuration.md, action templates).
 */
import * as Either from "effect/Either"
import { TemplateError } from "./template.js"

/** What a `%` in the source starts, and the index just after it. */
export type PercentToken =
  | { readonly _tag: "Percent"; readonly end: number }
  | { readonly _tag: "Placeholder"; readonly name: string; readonly end: number }

const isNameChar = (char: string): boolean => /^[A-Za-z0-9_.-]$/.test(char)

/** Reads the `%` token at `start` (where `source[start]` is `%`). */
export const readPercent = (source: string, start: number): Either.Either<PercentToken, TemplateError> => {
  if (source[start + 1] === "%") return Either.right({ _tag: "Percent", end: start + 2 })
  let end = start + 1
  while (end < source.length && isNameChar(source.charAt(end))) end++
  const name = source.slice(start + 1, end)
  if (name.length > 0 && source[end] === "%") return Either.right({ _tag: "Placeholder", name, end: end + 1 })
  const detail =
    name.length === 0
      ? `has a lone "%" at column ${start}; write %% for a literal percent sign, or %name% for a placeholder`
      : `has an unterminated placeholder "%${name}" at column ${start}; close it with "%", or write %% for a literal percent sign`
  return Either.left(new TemplateError({ reason: "BadPlaceholder", source, column: start, detail }))
}
