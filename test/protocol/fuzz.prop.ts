/**
 * Fuzz properties of the wire codec (protocol.md, issue 3 "Trust"): arbitrary bytes, in arbitrary
 * chunks, through the bounded line splitter and the frame decoder never throw and never escape the bounds.
 */
import { FastCheck as fc } from "effect"
import { describe, expect, it } from "vitest"
import type { Frame } from "../../src/protocol/frame.js"
import { parseFrame } from "../../src/protocol/frame.js"
import {
  bufferedBytes,
  flushSplitter,
  initialSplitter,
  type LineEvent,
  splitChunk,
  type SplitterState
} from "../../src/protocol/lineSplitter.js"
import { cut, cutPoints, decodeUtf8, hostileBytes, hugeBytes, shortPrinted, smallBound } from "./bytes.js"

const LF = 0x0a
const CR = 0x0d

/** The framing rule stated naively on the whole input: split at every LF, drop one CR before it, bound each line. */
const referenceEvents = (data: Uint8Array, max: number): { events: Array<LineEvent>; flushed: Array<LineEvent> } => {
  const events: Array<LineEvent> = []
  let start = 0
  for (let i = 0; i < data.length; i++) {
    if (data[i] !== LF) continue
    const raw = data.subarray(start, i)
    if (raw.length > max) {
      events.push({ _tag: "Overlong", bytes: raw.length })
    } else {
      const end = raw.length > 0 && raw[raw.length - 1] === CR ? raw.length - 1 : raw.length
      events.push({ _tag: "Line", line: decodeUtf8(raw.subarray(0, end)) })
    }
    start = i + 1
  }
  const rest = data.length - start
  return { events, flushed: rest > max ? [{ _tag: "Overlong", bytes: rest }] : [] }
}

/**
 * Memory really held for the pending line: the buffers behind its parts. A part that
 * were a view into a received chunk would pin the whole chunk, whatever its own length.
 */
const retainedBytes = (state: SplitterState): number => {
  let total = 0
  for (let part = state.parts; part !== undefined; part = part.tail) total += part.head.buffer.byteLength
  return total
}

/**
 * The chunks as a socket hands them over: Node `Buffer`s, here views into one shared
 * buffer (like pooled allocations), or plain copies.
 */
const asReceived = (data: Uint8Array, cuts: ReadonlyArray<number>, shared: boolean): Array<Uint8Array> => {
  if (!shared) return cut(data, cuts)
  const whole = Buffer.from(data)
  let offset = 0
  return cut(data, cuts).map((chunk) => {
    const view = whole.subarray(offset, offset + chunk.length)
    offset += chunk.length
    return view
  })
}

interface Fed {
  readonly events: Array<LineEvent>
  readonly flushed: ReadonlyArray<LineEvent>
  /** The largest `bufferedBytes` and memory held after any chunk. */
  readonly maxBuffered: number
  readonly maxRetained: number
}

const feed = (chunks: ReadonlyArray<Uint8Array>, max: number): Fed => {
  let state = initialSplitter
  const events: Array<LineEvent> = []
  let maxBuffered = 0
  let maxRetained = 0
  for (const chunk of chunks) {
    const result = splitChunk(state, chunk, max)
    state = result.state
    events.push(...result.events)
    maxBuffered = Math.max(maxBuffered, bufferedBytes(state))
    maxRetained = Math.max(maxRetained, retainedBytes(state))
  }
  return { events, flushed: flushSplitter(state), maxBuffered, maxRetained }
}

const checkFraming = (data: Uint8Array, cuts: ReadonlyArray<number>, max: number, shared: boolean): void => {
  const fed = feed(asReceived(data, cuts, shared), max)
  const expected = referenceEvents(data, max)
  expect(fed.events).toEqual(expected.events)
  expect(fed.flushed).toEqual(expected.flushed)
  expect(fed.maxBuffered).toBeLessThanOrEqual(max)
  expect(fed.maxRetained).toBeLessThanOrEqual(max)
  for (const event of fed.events) {
    // Each byte decodes to at most one UTF-16 unit, so a line within the bound in bytes is within it in units.
    if (event._tag === "Line") expect(event.line.length).toBeLessThanOrEqual(max)
    else expect(event.bytes).toBeGreaterThan(max)
  }
}

/** Every line the splitter yields from `data` (bound large enough to keep most). */
const linesOf = (data: Uint8Array): Array<string> =>
  splitChunk(initialSplitter, data, 1 << 20).events.flatMap((e) => (e._tag === "Line" ? [e.line] : []))

const digitsOnly = /^[0-9]+$/
const forbiddenInChannel = /[! \t\r\n\0]/

/** The frame `line` must decode to, stated from protocol.md alone. */
const expectedTag = (line: string): Frame["_tag"] => {
  if (digitsOnly.test(line)) return "Pong"
  const bang = line.indexOf("!")
  if (bang === -1) return "Other"
  const channel = line.slice(0, bang)
  const message = line.slice(bang + 1)
  if (channel === "debug") return "Debug"
  const validChannel = channel.length > 0 && !forbiddenInChannel.test(channel)
  // A CR or NUL in the message is the grammar stage's to reject (and count), not the framing's.
  const validMessage = message.length > 0
  return validChannel && validMessage ? "Delivery" : "Other"
}

const checkFrame = (line: string): void => {
  const frame = parseFrame(line)
  expect(frame._tag).toBe(expectedTag(line))
  switch (frame._tag) {
    case "Pong":
      expect(Object.keys(frame).sort()).toEqual(["_tag", "serverTime"])
      expect(frame.serverTime).toBe(Number(line))
      expect(frame.serverTime).toBeGreaterThanOrEqual(0)
      return
    case "Debug":
      expect(Object.keys(frame).sort()).toEqual(["_tag", "text"])
      expect(`debug!${frame.text}`).toBe(line)
      return
    case "Delivery":
      expect(Object.keys(frame).sort()).toEqual(["_tag", "channel", "message"])
      expect(`${frame.channel}!${frame.message}`).toBe(line)
      expect(frame.channel).not.toContain("!")
      return
    case "Other":
      expect(Object.keys(frame).sort()).toEqual(["_tag", "line"])
      expect(frame.line).toBe(line)
      return
  }
}

describe("protocol.md line splitter under arbitrary bytes (fuzz)", () => {
  it("whatever the bytes (NUL, lone CR, lone LF, invalid UTF-8) and the chunking, the events are the naive split at LF, with lines over maxLineBytes reported as Overlong", () => {
    fc.assert(
      fc.property(hostileBytes, cutPoints, smallBound, fc.boolean(), (data, cuts, max, shared) => {
        checkFraming(data, cuts, max, shared)
      }),
      { numRuns: 400 }
    )
  })

  it("never yields a line longer than maxLineBytes and never holds more than maxLineBytes, counting the memory behind the pending parts (chunks arriving as views into shared Node Buffers)", () => {
    fc.assert(
      fc.property(hostileBytes, cutPoints, smallBound, (data, cuts, max) => {
        checkFraming(data, cuts, max, true)
      }),
      { numRuns: 300 }
    )
  })

  it("holds the bounds on 50-200 KB inputs, with small bounds and with a bound just under the input", () => {
    const bound = fc.oneof(smallBound, fc.integer({ min: 1_000, max: 70_000 }))
    fc.assert(
      fc.property(hugeBytes, cutPoints, bound, fc.boolean(), (data, cuts, max, shared) => {
        checkFraming(data, cuts, max, shared)
      }),
      { numRuns: 6 }
    )
  })

  it("a 200 KB line without LF, fed byte-range by byte-range, is dropped and reported once at the end of stream", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 150_000, maxLength: 200_000 }), cutPoints, smallBound, (raw, cuts, max) => {
        const data = shortPrinted(raw.map((b) => (b === LF ? 0x20 : b)))
        const fed = feed(asReceived(data, cuts, true), max)
        expect(fed.events).toEqual([])
        expect(fed.flushed).toEqual([{ _tag: "Overlong", bytes: data.length }])
        expect(fed.maxRetained).toBeLessThanOrEqual(max)
      }),
      { numRuns: 2 }
    )
  })
})

describe("protocol.md frame decoder under arbitrary bytes (fuzz)", () => {
  it("every line decoded from arbitrary bytes is exactly one of Pong, Debug, Delivery, Other, as §1 classifies it, and nothing is lost", () => {
    fc.assert(
      fc.property(hostileBytes, (data) => {
        for (const line of linesOf(data)) checkFrame(line)
        // Also text that was never framed (LF included): the decoder is total on any string.
        checkFrame(decodeUtf8(data))
      }),
      { numRuns: 500 }
    )
  })

  it("is total on 50-200 KB lines", () => {
    fc.assert(
      fc.property(hugeBytes, (data) => {
        checkFrame(decodeUtf8(data))
        for (const line of linesOf(data).slice(0, 200)) checkFrame(line)
      }),
      { numRuns: 6 }
    )
  })
})
