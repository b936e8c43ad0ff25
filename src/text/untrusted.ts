/**
 * Untrusted text shown to a human: the one rule for the characters that may not pass unescaped,
 * and the helpers that quote, cut and escape values in logs, errors and command output.
 */

/**
 * Control characters (C0, DEL, C1), the Unicode line separators and the
 * bidirectional formatting characters: they could forge a log line, drive a
 * terminal, or make text read differently than it runs. A value containing
 * one is refused (`trust/values.ts`); a log line escapes them (`log/logger.ts`).
 */
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/
/**
 * Invisible format characters (soft hyphen, zero-width space, non-joiner and
 * joiner, word joiner, BOM): shown escaped, but not refused in a value (they
 * neither reorder nor break text, and appear in legitimate names).
 */
const INVISIBLE = "\u00ad\u200b-\u200d\u2060\ufeff"
/** Every character a human is shown escaped: the forbidden ones and the invisible ones. */
const SHOWN_ESCAPED = new RegExp(`[${FORBIDDEN.source.slice(1, -1)}${INVISIBLE}]`, "g")

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

/** `\xNN` below U+0100, `\uNNNN` above, for every forbidden or invisible character. */
export const escapeUnsafe = (text: string): string =>
  text.replace(SHOWN_ESCAPED, (c) => {
    const code = c.charCodeAt(0)
    return code > 0xff ? `\\u${code.toString(16).padStart(4, "0")}` : `\\x${code.toString(16).padStart(2, "0")}`
  })

/** How much of an untrusted value a log line or an error shows. */
export const QUOTE_LIMIT = 120

/** A value as a JSON string (no raw control character), cut at `limit` characters with "…". */
export const quote = (text: string, limit: number = QUOTE_LIMIT): string =>
  JSON.stringify(text.length > limit ? `${text.slice(0, limit)}…` : text)

/** How much of a network-derived text (a delivery's message, a server notice) a log line shows. */
export const SHOWN_PREFIX = 256

/**
 * At most `limit` characters of `text`: a longer text is cut and ends with
 * `…(N chars)`, its whole length, so a log line stays small whatever was received.
 */
export const clip = (text: string, limit: number = SHOWN_PREFIX): string => {
  if (text.length <= limit) return text
  // Never half a surrogate pair.
  const end = (text.charCodeAt(limit - 1) & 0xfc00) === 0xd800 ? limit - 1 : limit
  return `${text.slice(0, end)}…(${text.length} chars)`
}
