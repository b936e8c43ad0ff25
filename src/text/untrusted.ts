/**
 * Untrusted text shown to a human: the one rule for the characters that may
 * not pass unescaped, and the one truncate-and-quote helper for values in logs and errors.
 */

/**
 * Control characters (C0, DEL, C1), the Unicode line separators and the
 * bidirectional formatting characters: they could forge a log line, drive a
 * terminal, or make text read differently than it runs. A value containing
 * one is refused (`trust/values.ts`); a log line escapes them (`log/logger.ts`).
 */
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/
const FORBIDDEN_ALL = new RegExp(FORBIDDEN.source, "g")

export type ForbiddenKind = "control" | "lineSeparator" | "bidi"

export interface ForbiddenCharacter {
  readonly kind: ForbiddenKind
  /** The UTF-16 code unit. */
  readonly code: number
  /** Its UTF-16 index in the text. */
  readonly index: number
}

const kindOf = (code: number): ForbiddenKind =>
  code < 0x20 || (code >= 0x7f && code <= 0x9f) ? "control" : code === 0x2028 || code === 0x2029 ? "lineSeparator" : "bidi"

/** The first forbidden character of `text`, if any. */
export const firstForbidden = (text: string): ForbiddenCharacter | undefined => {
  const match = FORBIDDEN.exec(text)
  if (match === null) return undefined
  const code = match[0].charCodeAt(0)
  return { kind: kindOf(code), code, index: match.index }
}

/** `\xNN` below U+0100, `\uNNNN` above, for every forbidden character. */
export const escapeForbidden = (text: string): string =>
  text.replace(FORBIDDEN_ALL, (c) => {
    const code = c.charCodeAt(0)
    return code > 0xff ? `\\u${code.toString(16).padStart(4, "0")}` : `\\x${code.toString(16).padStart(2, "0")}`
  })

/** How much of an untrusted value a log line or an error shows. */
export const QUOTE_LIMIT = 120

/** A value as a JSON string (no raw control character), cut at `limit` characters with "…". */
export const quote = (text: string, limit: number = QUOTE_LIMIT): string =>
  JSON.stringify(text.length > limit ? `${text.slice(0, limit)}…` : text)
