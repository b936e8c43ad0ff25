/**
 * The parsed message model (docs/protocol.md): the text as received, its key=value pairs
 * split into fields and envelope, and the error a malformed message is rejected with.
 */
import { quote } from "../text/untrusted.js"

/** Keys of the trust envelope appended by `f2bc publish` (docs/protocol.md). */
export const ENVELOPE_KEYS: ReadonlySet<string> = new Set(["_id", "_ts", "_origin", "_sig"])

/** Keys computed by the daemon for templates; a message may never carry them. */
export const COMPUTED_KEYS: ReadonlySet<string> = new Set(["_msg", "_channel"])

export interface Message {
  /** The message text exactly as received. */
  readonly text: string
  /** `plain`: the text contains no `=` and is not split into pairs. */
  readonly kind: "plain" | "pairs"
  /** Every pair in order, envelope pairs included; empty for a plain message. */
  readonly pairs: ReadonlyArray<readonly [string, string]>
  /** The non-envelope pairs, in order: what filters and templates see. */
  readonly fields: ReadonlyMap<string, string>
  /** The envelope pairs present (`_id`, `_ts`, `_origin`, `_sig`). */
  readonly envelope: ReadonlyMap<string, string>
  /**
   * The value of `%_msg%`: the text without its envelope parts (the other parts as received), so a message
   * has one `%_msg%` whether or not an envelope was appended; empty when it holds only envelope pairs.
   */
  readonly body: string
}

export type MessageErrorReason =
  | "Empty"
  | "IllegalCharacter"
  | "PartWithoutEquals"
  | "BadKey"
  | "DuplicateKey"
  | "ReservedKey"

const illegalCharacterAt = (text: string): string => {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 13) return `a carriage return (CR) at position ${i}`
    if (c === 10) return `a line feed (LF) at position ${i}`
    if (c === 0) return `a NUL character at position ${i}`
  }
  return "an illegal character"
}

const describeMessageError = (reason: MessageErrorReason, part: string, index: number): string => {
  // Human text counts parts from 1; the `index` field stays 0-based.
  const where = `part ${index + 1}`
  switch (reason) {
    case "Empty":
      return "message is empty"
    case "IllegalCharacter":
      return `message contains ${illegalCharacterAt(part)} (the wire cannot carry CR, LF or NUL)`
    case "PartWithoutEquals":
      return `${where} ${quote(part)} has no "=" (a message with "=" must be a list of key=value pairs)`
    case "BadKey":
      return `bad key ${quote(part)} in ${where} (keys are [A-Za-z0-9_.-]+)`
    case "DuplicateKey":
      return `duplicate key ${quote(part)} in ${where}`
    case "ReservedKey":
      return `reserved key ${quote(part)} in ${where} (keys starting with "_" are reserved; only _id, _ts, _origin, _sig may be sent)`
  }
}

/**
 * Why a message text is not a message. A plain Error with a `_tag`, not a Data.TaggedError: it is only
 * ever returned in an Either or carried in a rejection, and `f2bc publish`'s plain path, which parses
 * with it, evaluates no Effect module (Data.TaggedError brings Effect's core, ~2 ms).
 */
export class MessageError extends Error {
  readonly _tag = "MessageError"
  readonly reason: MessageErrorReason
  /** The offending part, trimmed (the whole text for `Empty` and `IllegalCharacter`). */
  readonly part: string
  /** 0-based index of the part among the comma-separated parts, empty ones counted (-1 when not applicable). */
  readonly index: number

  constructor(fields: { readonly reason: MessageErrorReason; readonly part: string; readonly index: number }) {
    super(describeMessageError(fields.reason, fields.part, fields.index))
    this.reason = fields.reason
    this.part = fields.part
    this.index = fields.index
  }
}
MessageError.prototype.name = "MessageError"
