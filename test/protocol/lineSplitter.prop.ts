import { FastCheck as fc } from "effect"
import { describe, expect, it } from "vitest"
import {
  bufferedBytes,
  flushSplitter,
  initialSplitter,
  type LineEvent,
  splitChunk,
  type SplitterState
} from "../../src/protocol/lineSplitter.js"
import { concatBytes, cut } from "./bytes.js"

const encoder = new TextEncoder()

interface Run {
  readonly events: ReadonlyArray<LineEvent>
  readonly state: SplitterState
  readonly maxBuffered: number
}

const run = (chunks: ReadonlyArray<Uint8Array>, max: number): Run => {
  let state: SplitterState = initialSplitter
  let maxBuffered = 0
  const events: Array<LineEvent> = []
  for (const chunk of chunks) {
    const result = splitChunk(state, chunk, max)
    state = result.state
    events.push(...result.events)
    maxBuffered = Math.max(maxBuffered, bufferedBytes(state))
  }
  return { events, state, maxBuffered }
}

const text = (maxLength: number) => fc.string({ unit: "binary", maxLength })

/** Byte content made of lines: Unicode text, raw (possibly invalid) bytes, \r, \n, \r\n and long runs. */
const segment: fc.Arbitrary<Uint8Array> = fc.oneof(
  text(20).map((s) => encoder.encode(s)),
  fc.uint8Array({ maxLength: 12 }),
  fc.constantFrom("\n", "\r\n", "\r", "!", "é", "😀").map((s) => encoder.encode(s)),
  fc.integer({ min: 1, max: 120 }).map((n) => new Uint8Array(n).fill(0x78))
)
const content = fc.array(segment, { maxLength: 40 }).map(concatBytes)
const offsets = fc.array(fc.nat(), { maxLength: 30 })
const bound = fc.integer({ min: 0, max: 64 })

describe("protocol.md framing properties", () => {
  it("the events do not depend on how the bytes are split into chunks", () => {
    fc.assert(
      fc.property(content, offsets, bound, (data, cuts, max) => {
        const whole = run([data], max)
        const split = run(cut(data, cuts), max)
        expect(split.events).toEqual(whole.events)
        expect(bufferedBytes(split.state)).toBe(bufferedBytes(whole.state))
        expect(flushSplitter(split.state)).toEqual(flushSplitter(whole.state))
      }),
      { numRuns: 500 }
    )
  })

  it("one event per \\n, and never more than maxLineBytes held in memory", () => {
    fc.assert(
      fc.property(content, offsets, bound, (data, cuts, max) => {
        const result = run(cut(data, cuts), max)
        expect(result.events.length).toBe(data.filter((b) => b === 0x0a).length)
        expect(result.maxBuffered).toBeLessThanOrEqual(max)
      }),
      { numRuns: 500 }
    )
  })

  it("lines within the bound round-trip: join with \\n, split, get the lines back", () => {
    // A line may hold \r but not end with one (a final \r is part of a \r\n terminator).
    const lineText = text(30).filter((s) => !s.includes("\n") && !s.endsWith("\r"))
    fc.assert(
      fc.property(fc.array(lineText, { maxLength: 20 }), offsets, fc.boolean(), (lines, cuts, crlf) => {
        const data = encoder.encode(lines.map((l) => l + (crlf ? "\r\n" : "\n")).join(""))
        const max = 4 * 30 + 1
        expect(run(cut(data, cuts), max).events).toEqual(lines.map((line) => ({ _tag: "Line", line })))
      }),
      { numRuns: 500 }
    )
  })

  it("an over-long line never yields a Line, is reported with its exact size, and is never buffered past the bound", () => {
    const max = 16
    const longLine = text(60).map((s) => encoder.encode(s.replaceAll("\n", ""))).filter((b) => b.length > max)
    fc.assert(
      fc.property(fc.array(longLine, { minLength: 1, maxLength: 8 }), offsets, (lines, cuts) => {
        const data = concatBytes(lines.flatMap((l) => [l, Uint8Array.of(0x0a)]))
        const result = run(cut(data, cuts), max)
        expect(result.events).toEqual(lines.map((l) => ({ _tag: "Overlong", bytes: l.length })))
        expect(result.maxBuffered).toBeLessThanOrEqual(max)
      }),
      { numRuns: 300 }
    )
  })

  it("every Line event fits the bound", () => {
    fc.assert(
      fc.property(fc.array(text(20), { maxLength: 20 }).map((ls) => encoder.encode(ls.join("\n"))), offsets, bound, (data, cuts, max) => {
        for (const event of run(cut(data, cuts), max).events) {
          if (event._tag === "Line") expect(encoder.encode(event.line).length).toBeLessThanOrEqual(max)
        }
      }),
      { numRuns: 300 }
    )
  })
})
