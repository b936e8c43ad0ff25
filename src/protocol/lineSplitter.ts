/**
 * Bounded byte-level line framing (docs/protocol.md): a pure state machine that turns
 * arbitrary TCP chunks into lines, dropping over-long ones, plus its Stream stage.
 */
import * as Stream from "effect/Stream"

/** A complete line (terminator removed, UTF-8 decoded) or the size of one that was dropped for its length. */
export type LineEvent =
  | { readonly _tag: "Line"; readonly line: string }
  | { readonly _tag: "Overlong"; readonly bytes: number }

// Pending bytes of the current line, newest part first: prepending is O(1) and
// never mutates a state the caller may still hold.
interface Parts {
  readonly head: Uint8Array
  readonly tail: Parts | undefined
}

/**
 * Where the splitter stands inside the current (unterminated) line.
 * Treat as opaque; `bufferedBytes` tells how much it holds.
 */
export interface SplitterState {
  /** Bytes held for the current line (empty while dropping). */
  readonly parts: Parts | undefined
  /** Bytes of the current line seen so far, before its `\n` (`\r` included). */
  readonly lineBytes: number
  /** The current line already exceeded the bound: its bytes are being dropped until `\n`. */
  readonly dropping: boolean
}

export const initialSplitter: SplitterState = { parts: undefined, lineBytes: 0, dropping: false }

/** Bytes the splitter keeps in memory; never more than the `maxLineBytes` it was fed with. */
export const bufferedBytes = (state: SplitterState): number => (state.dropping ? 0 : state.lineBytes)

const LF = 0x0a
const CR = 0x0d
// ignoreBOM: keep a leading U+FEFF as data instead of silently stripping it from every line.
const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true })

const joinParts = (parts: Parts, heldBytes: number, last: Uint8Array): Uint8Array => {
  const out = new Uint8Array(heldBytes + last.length)
  out.set(last, heldBytes)
  let end = heldBytes
  for (let p: Parts | undefined = parts; p !== undefined; p = p.tail) {
    end -= p.head.length
    out.set(p.head, end)
  }
  return out
}

const lineEvent = (bytes: Uint8Array): LineEvent => {
  const end = bytes.length > 0 && bytes[bytes.length - 1] === CR ? bytes.length - 1 : bytes.length
  return { _tag: "Line", line: decoder.decode(bytes.subarray(0, end)) }
}

/**
 * Feeds one chunk. Lines end at byte `\n`; one `\r` before it is removed; each
 * complete line is decoded as UTF-8 on its own (so a character split across
 * chunks survives). A line longer than `maxLineBytes` bytes (counting every
 * byte before its `\n`, a `\r` included) is not kept: when its `\n` arrives it
 * yields one `Overlong` with its total size, and framing resumes after it.
 * The result does not depend on how the bytes were split into chunks.
 */
export const splitChunk = (
  state: SplitterState,
  chunk: Uint8Array,
  maxLineBytes: number
): { readonly state: SplitterState; readonly events: ReadonlyArray<LineEvent> } => {
  const events: Array<LineEvent> = []
  let parts = state.parts
  let lineBytes = state.lineBytes
  let dropping = state.dropping
  let start = 0
  for (let nl = chunk.indexOf(LF, start); nl !== -1; nl = chunk.indexOf(LF, start)) {
    const total = lineBytes + (nl - start)
    if (dropping || total > maxLineBytes) {
      events.push({ _tag: "Overlong", bytes: total })
    } else {
      const tail = chunk.subarray(start, nl)
      events.push(lineEvent(parts === undefined ? tail : joinParts(parts, lineBytes, tail)))
    }
    parts = undefined
    lineBytes = 0
    dropping = false
    start = nl + 1
  }
  const rest = chunk.length - start
  if (rest > 0) {
    lineBytes += rest
    if (dropping || lineBytes > maxLineBytes) {
      parts = undefined
      dropping = true
    } else {
      // Copy: the caller may reuse the chunk, and a view would pin the whole chunk in memory.
      // Not `chunk.slice`: on a Node Buffer (what sockets deliver) it returns a view.
      parts = { head: Uint8Array.prototype.slice.call(chunk, start), tail: parts }
    }
  }
  return { state: { parts, lineBytes, dropping }, events }
}

/**
 * End of stream: a partial line is discarded; if it was already over-long,
 * report it so it can be logged.
 */
export const flushSplitter = (state: SplitterState): ReadonlyArray<LineEvent> =>
  state.dropping ? [{ _tag: "Overlong", bytes: state.lineBytes }] : []

/** Stream stage over `splitChunk`: bytes in, line events out, in order. A partial last line is discarded. */
export const splitLines = (maxLineBytes: number) =>
<E, R>(self: Stream.Stream<Uint8Array, E, R>): Stream.Stream<LineEvent, E, R> =>
  self.pipe(
    Stream.mapAccum(initialSplitter, (state, chunk: Uint8Array) => {
      const result = splitChunk(state, chunk, maxLineBytes)
      return [result.state, result.events] as const
    }),
    Stream.flattenIterables
  )
