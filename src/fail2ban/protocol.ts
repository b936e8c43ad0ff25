/**
 * fail2ban-server's socket protocol as fail2ban-client speaks it: a request is the pickled list of
 * its words and a terminator; an answer is a pickled `(0, result)`, `(1, exception)` or "ERROR: …" and the terminator.
 */
import * as Either from "effect/Either"
import { encodeStringList, renderValue, type PyValue } from "./pickle.js"
import { decodePickle } from "./unpickle.js"

/** Ends every request and every answer (fail2ban's CSPROTO.END). */
export const END = Buffer.from("<F2B_END_COMMAND>")
/** Sent (then END) before the client closes the connection (CSPROTO.CLOSE). */
export const CLOSE = Buffer.from("<F2B_CLOSE_COMMAND>")

/** The bytes that end a connection politely. */
export const closeRequest = (): Uint8Array => Buffer.concat([CLOSE, END])

/**
 * The request for `fail2ban-client WORDS…` (the words after the program),
 * or why it cannot be sent: fail2ban cuts requests at the first END, so a
 * word holding it would end the request early and make the rest a request
 * of its own, read by fail2ban's unpickler.
 */
export const encodeRequest = (words: ReadonlyArray<string>): Either.Either<Uint8Array, string> => {
  if (words.length === 0) return Either.left("no command after fail2ban-client")
  const body = encodeStringList(words)
  if (Buffer.from(body.buffer, body.byteOffset, body.length).includes(END)) return Either.left(`a word holds fail2ban's terminator ${END.toString()}`)
  return Either.right(Buffer.concat([body, END]))
}

/** What fail2ban answered: its result (rendered as Python writes it), or its error text. */
export type Answer =
  | { readonly _tag: "Done"; readonly result: string }
  | { readonly _tag: "Failed"; readonly error: string }

const isTuple = (value: PyValue): value is Extract<PyValue, { _tag: "Tuple" }> =>
  value !== null && typeof value === "object" && !(value instanceof Uint8Array) && value._tag === "Tuple"

/**
 * One answer's pickle (without END) as an Answer, or why it is not one.
 * `(0, result)` is done; `(1, exception)` and the server's own "ERROR: …" are failures.
 */
export const readAnswer = (bytes: Uint8Array): Either.Either<Answer, string> =>
  Either.flatMap(decodePickle(bytes), (value): Either.Either<Answer, string> => {
    if (typeof value === "string") return Either.right({ _tag: "Failed", error: value })
    if (isTuple(value) && value.items.length === 2) {
      const [ack, result] = value.items
      if (ack === 0) return Either.right({ _tag: "Done", result: renderValue(result!) })
      if (ack === 1) return Either.right({ _tag: "Failed", error: renderValue(result!) })
    }
    return Either.left(`not an answer of fail2ban: ${renderValue(value, 200)}`)
  })

/**
 * Where an answer ends in what has arrived: after END, when `received` ends
 * with it (the answer is the bytes before), as fail2ban-client reads it.
 */
export const answerEnd = (received: Uint8Array): number | undefined => {
  if (received.length < END.length) return undefined
  return Buffer.from(received.buffer, received.byteOffset, received.length).subarray(received.length - END.length).equals(END)
    ? received.length - END.length
    : undefined
}
