/**
 * The parsed message model (docs/protocol.md): the text as received, its key=value pairs
 * split into fields and envelope, and the error a malformed message is rejected with.
 */
import * as Data from "effect/Data"
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

export class MessageError extends Data.TaggedError("MessageError")<{
  readonly reason: MessageErrorReason
  /** The offending part, trimmed (the whole text for `Empty` and `IllegalCharacter`). */
  readonly part: string
  /** 0-based index of the part among the comma-separated parts, empty ones counted (-1 when not applicable). */
  readonly index: number
}> {
  override get message(): string {
    // Human text counts parts from 1; the `index` field stays 0-based.
    const where = `part ${this.index + 1}`
    switch (this.reason) {
      case "Empty":
        return "message is empty"
      case "IllegalCharacter":
        return `message contains ${illegalCharacterAt(this.part)} (the wire cannot carry CR, LF or NUL)`
      case "PartWithoutEquals":
        return `${where} ${quote(this.part)} has no "=" (a message with "=" must be a list of key=value pairs)`
      case "BadKey":
        return `bad key ${quote(this.part)} in ${where} (keys are [A-Za-z0-9_.-]+)`
      case "DuplicateKey":
        return `duplicate key ${quote(this.part)} in ${where}`
      case "ReservedKey":
        return `reserved key ${quote(this.part)} in ${where} (keys starting with "_" are reserved; only _id, _ts, _origin, _sig may be sent)`
    }
  }
}
