import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { describe, expect, it } from "vitest"
import {
  bufferedBytes,
  flushSplitter,
  initialSplitter,
  type LineEvent,
  splitChunk,
  type SplitterState,
  splitLines
} from "../../src/protocol/lineSplitter.js"

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)

const feed = (chunks: ReadonlyArray<Uint8Array | string>, max = 1024) => {
  let state: SplitterState = initialSplitter
  const events: Array<LineEvent> = []
  for (const chunk of chunks) {
    const result = splitChunk(state, typeof chunk === "string" ? bytes(chunk) : chunk, max)
    state = result.state
    events.push(...result.events)
  }
  return { state, events }
}

const line = (text: string): LineEvent => ({ _tag: "Line", line: text })
const overlong = (count: number): LineEvent => ({ _tag: "Overlong", bytes: count })

describe("protocol.md framing: lines end with \\n", () => {
  it("splits several lines held in one chunk", () => {
    expect(feed(["debug!connected...\n1795605900\nc!m\n"]).events).toEqual([
      line("debug!connected..."),
      line("1795605900"),
      line("c!m")
    ])
  })

  it("joins a line split over several chunks", () => {
    expect(feed(["c!he", "ll", "o\nx", "\n"]).events).toEqual([line("c!hello"), line("x")])
  })

  it("accepts \\r\\n and removes only one \\r", () => {
    expect(feed(["a\r\nb\r\r\nc\n"]).events).toEqual([line("a"), line("b\r"), line("c")])
  })

  it("accepts \\r\\n split between chunks", () => {
    expect(feed(["ping\r", "\n"]).events).toEqual([line("ping")])
  })

  it("keeps a \\r that is not at the end of the line", () => {
    expect(feed(["a\rb\n"]).events).toEqual([line("a\rb")])
  })

  it("yields empty lines", () => {
    expect(feed(["\n\r\n\n"]).events).toEqual([line(""), line(""), line("")])
  })

  it("decodes a multi-byte character split across chunks", () => {
    const encoded = bytes("é✓😀\n")
    const chunks = Array.from(encoded, (byte) => Uint8Array.of(byte))
    expect(feed(chunks).events).toEqual([line("é✓😀")])
  })

  it("keeps a leading byte order mark as data", () => {
    expect(feed(["\uFEFFx\n"]).events).toEqual([line("\uFEFFx")])
  })

  it("replaces invalid UTF-8 instead of failing", () => {
    expect(feed([Uint8Array.of(0x61, 0xff, 0x62, 0x0a)]).events).toEqual([line("a\uFFFDb")])
  })

  it("holds an unterminated line until its \\n arrives", () => {
    const { state, events } = feed(["abc"])
    expect(events).toEqual([])
    expect(bufferedBytes(state)).toBe(3)
    expect(flushSplitter(state)).toEqual([])
  })

  it("does not let a later change to a fed chunk alter the pending line", () => {
    const chunk = bytes("abc")
    const first = splitChunk(initialSplitter, chunk, 100)
    chunk.fill(0x7a)
    expect(splitChunk(first.state, bytes("\n"), 100).events).toEqual([line("abc")])
  })

  it("leaves the state it was given untouched (a pure step)", () => {
    const first = splitChunk(initialSplitter, bytes("ab"), 100)
    const a = splitChunk(first.state, bytes("c\n"), 100)
    const b = splitChunk(first.state, bytes("d\n"), 100)
    expect(a.events).toEqual([line("abc")])
    expect(b.events).toEqual([line("abd")])
  })
})

describe("protocol.md framing: a line's length is bounded", () => {
  it("a line of exactly the bound passes", () => {
    expect(feed(["abcd\n"], 4).events).toEqual([line("abcd")])
  })

  it("an over-long line in one chunk is dropped and reported with its size; the next line is intact", () => {
    expect(feed(["abcde\nok\n"], 4).events).toEqual([overlong(5), line("ok")])
  })

  it("the bound counts a \\r before the \\n", () => {
    expect(feed(["abcd\r\n"], 4).events).toEqual([overlong(5)])
  })

  it("an over-long line over many chunks is not buffered and is reported once when its \\n arrives", () => {
    let state: SplitterState = initialSplitter
    const events: Array<LineEvent> = []
    for (let i = 0; i < 100; i++) {
      const result = splitChunk(state, bytes("xxxxxxxxxx"), 16)
      state = result.state
      events.push(...result.events)
      expect(bufferedBytes(state)).toBeLessThanOrEqual(16)
    }
    expect(events).toEqual([])
    expect(flushSplitter(state)).toEqual([overlong(1000)])
    const end = splitChunk(state, bytes("xx\nnext\n"), 16)
    expect(end.events).toEqual([overlong(1002), line("next")])
    expect(bufferedBytes(end.state)).toBe(0)
  })

  it("resynchronises at the next \\n after an over-long line", () => {
    expect(feed(["aaaaaaaa", "aaaa\nb", "c\n"], 4).events).toEqual([overlong(12), line("bc")])
  })
})

describe("splitLines (Stream stage)", () => {
  it("emits the same events as splitChunk, in order, and discards a partial last line", async () => {
    const source = Stream.fromIterable(["a\r\nb", "c\n", "toolongline\nd\n", "partial"].map(bytes))
    const events = await Effect.runPromise(Stream.runCollect(source.pipe(splitLines(8))))
    expect(Chunk.toReadonlyArray(events)).toEqual([line("a"), line("bc"), overlong(11), line("d")])
  })

  it("passes a failure of the byte stream through", async () => {
    const source = Stream.concat(Stream.make(bytes("a\n")), Stream.fail("boom" as const))
    const exit = await Effect.runPromise(Effect.either(Stream.runCollect(source.pipe(splitLines(8)))))
    expect(exit._tag).toBe("Left")
  })
})
