/**
 * The message parser (docs/protocol.md): plain text or `key=value` pairs separated by commas.
 * It runs once per delivered message, so it scans with indexOf/charCodeAt and no regex.
 */
import * as Either from "effect/Either"
import { ENVELOPE_KEYS, MessageError } from "./message.js"
import type { Message, MessageErrorReason } from "./message.js"

const SPACE = 32
const TAB = 9
const UNDERSCORE = 95

const isBlank = (c: number): boolean => c === SPACE || c === TAB

/** `[A-Za-z0-9_.-]` */
const isKeyChar = (c: number): boolean =>
  (c >= 97 && c <= 122) || // a-z
  (c >= 65 && c <= 90) || // A-Z
  (c >= 48 && c <= 57) || // 0-9
  c === UNDERSCORE ||
  c === 46 || // .
  c === 45 // -

const fail = (reason: MessageErrorReason, part: string, index: number): Either.Either<Message, MessageError> =>
  Either.left(new MessageError({ reason, part, index }))

const EMPTY_MAP: ReadonlyMap<string, string> = new Map()
const NO_PAIRS: ReadonlyArray<readonly [string, string]> = []

/**
 * Parses a message text.
 *
 * Order of checks: CR/LF/NUL anywhere, then blank text, then (for a text with
 * "=") each comma-separated part from left to right, reporting the first
 * error: part without "=", bad key, reserved key, duplicate key.
 */
export const parseMessage = (text: string): Either.Either<Message, MessageError> => {
  if (text.indexOf("\n") !== -1 || text.indexOf("\r") !== -1 || text.indexOf("\0") !== -1) {
    return fail("IllegalCharacter", text, -1)
  }
  const n = text.length
  let first = 0
  while (first < n && isBlank(text.charCodeAt(first))) first++
  if (first === n) return fail("Empty", text, -1)

  if (text.indexOf("=", first) === -1) {
    return Either.right({ text, kind: "plain", pairs: NO_PAIRS, fields: EMPTY_MAP, envelope: EMPTY_MAP, body: text })
  }

  const pairs: Array<readonly [string, string]> = []
  const fields = new Map<string, string>()
  let envelope: Map<string, string> | undefined

  let partStart = 0
  let index = 0
  while (partStart <= n) {
    let partEnd = text.indexOf(",", partStart)
    if (partEnd === -1) partEnd = n

    let start = partStart
    let end = partEnd
    while (start < end && isBlank(text.charCodeAt(start))) start++
    while (end > start && isBlank(text.charCodeAt(end - 1))) end--

    if (start < end) {
      const eq = text.indexOf("=", start)
      if (eq === -1 || eq >= end) return fail("PartWithoutEquals", text.slice(start, end), index)

      let keyEnd = eq
      while (keyEnd > start && isBlank(text.charCodeAt(keyEnd - 1))) keyEnd--
      let valueStart = eq + 1
      while (valueStart < end && isBlank(text.charCodeAt(valueStart))) valueStart++

      const key = text.slice(start, keyEnd)
      if (keyEnd === start) return fail("BadKey", key, index)
      for (let i = start; i < keyEnd; i++) {
        if (!isKeyChar(text.charCodeAt(i))) return fail("BadKey", key, index)
      }
      const value = text.slice(valueStart, end)

      if (text.charCodeAt(start) === UNDERSCORE) {
        if (!ENVELOPE_KEYS.has(key)) return fail("ReservedKey", key, index)
        if (envelope === undefined) envelope = new Map()
        else if (envelope.has(key)) return fail("DuplicateKey", key, index)
        envelope.set(key, value)
      } else {
        if (fields.has(key)) return fail("DuplicateKey", key, index)
        fields.set(key, value)
      }
      pairs.push([key, value])
    }

    index++
    partStart = partEnd + 1
  }

  if (envelope === undefined) {
    return Either.right({ text, kind: "pairs", pairs, fields, envelope: EMPTY_MAP, body: text })
  }
  return Either.right({ text, kind: "pairs", pairs, fields, envelope, body: fields.size === 0 ? "" : withoutEnvelope(text) })
}

/**
 * The text without its envelope parts: the other parts exactly as received,
 * joined by their commas. A message sent with and without its envelope (as
 * `f2bc publish` appends it, or another publisher sends it bare) thus has one
 * `%_msg%`, checked by the same rules (every `_` key here is an envelope key).
 */
const withoutEnvelope = (text: string): string => {
  const kept: Array<string> = []
  for (const part of text.split(",")) {
    let i = 0
    while (i < part.length && isBlank(part.charCodeAt(i))) i++
    if (part.charCodeAt(i) !== UNDERSCORE) kept.push(part)
  }
  return kept.join(",")
}
