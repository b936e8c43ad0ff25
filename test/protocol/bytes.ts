/**
 * Generators of hostile network input for the fuzz properties: arbitrary bytes with
 * framing bytes, invalid UTF-8 and protocol words over-represented, cut into arbitrary chunks.
 */
import { FastCheck as fc } from "effect"

const encoder = new TextEncoder()

export const concatBytes = (parts: ReadonlyArray<Uint8Array>): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

/** Byte sequences that matter to framing, decoding or the grammars: NUL, CR, lone LF, CRLF, invalid UTF-8, protocol words. */
const special: ReadonlyArray<Uint8Array> = [
  [0x00],
  [0x0a],
  [0x0d],
  [0x0d, 0x0a],
  [0x0a, 0x0d],
  [0xff],
  [0xfe, 0xff],
  [0x80], // lone continuation byte
  [0xc3], // truncated 2-byte sequence
  [0xe2, 0x82], // truncated 3-byte sequence
  [0xf0, 0x9f, 0x98], // truncated 4-byte sequence
  [0xc0, 0xaf], // overlong "/"
  [0xed, 0xa0, 0x80], // UTF-8-encoded lone surrogate
  [0xf4, 0x90, 0x80, 0x80], // beyond U+10FFFF
  [0xef, 0xbb, 0xbf], // BOM
  [0x1b, 0x5b, 0x32, 0x4a], // ESC [2J
  [0xc2, 0x9b] // U+009B (C1 CSI)
].map((bytes) => Uint8Array.from(bytes))

const words: ReadonlyArray<Uint8Array> = [
  "!", "debug!", "c!", "all!", "=", ",", " ", "\t", "_id=", "_sig=", "ip=", "ping", "info", "123",
  "subscribe ", "unsubscribe ", "announce ", "announce c ", "subscribe c", "é", "😀",
  "ip=192.0.2.7, ", "jail=sshd,", "_id=1, ", "_x=1, ", "a=b, a=c", "k=v"
].map((text) => encoder.encode(text))

/** A new line that starts like a delivery, a notice or a request. */
const lineStart: fc.Arbitrary<Uint8Array> = fc
  .constantFrom("c!", "bans!", "debug!", "all!", "!", " c!", "c\t!", "announce c ", "subscribe ", "ping", "0")
  .map((text) => encoder.encode(`\n${text}`))

/** One piece of hostile input. */
const segment: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 3, arbitrary: fc.uint8Array({ maxLength: 24 }) },
  { weight: 3, arbitrary: fc.constantFrom(...special) },
  { weight: 2, arbitrary: fc.constantFrom(...words) },
  { weight: 2, arbitrary: lineStart },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 200 }).map((n) => new Uint8Array(n).fill(0x78)) }
)

/** Arbitrary bytes: uniformly random, or assembled from hostile segments (short lines, so many of them). */
export const hostileBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 600, size: "medium" }) },
  { weight: 3, arbitrary: fc.array(segment, { maxLength: 60, size: "max" }).map(concatBytes) }
)

/** 50–200 KB: a random block tiled (with or without newlines in it) and random bytes sprinkled over it. */
export const hugeBytes: fc.Arbitrary<Uint8Array> = fc
  .tuple(
    fc.uint8Array({ minLength: 1, maxLength: 512 }),
    fc.integer({ min: 50_000, max: 200_000 }),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 40 })
  )
  .map(([block, length, sprinkles]) => {
    const out = new Uint8Array(length)
    for (let offset = 0; offset < length; offset += block.length) out.set(block.subarray(0, length - offset), offset)
    for (const [at, byte] of sprinkles) out[at % length] = byte
    return shortPrinted(out)
  })

/** Shows a large input as its size in a counterexample instead of printing every byte. */
export const shortPrinted = (bytes: Uint8Array): Uint8Array =>
  Object.assign(bytes, { [fc.toStringMethod]: () => `<${bytes.length} bytes>` })

/** Cut points for `cut`. */
export const cutPoints: fc.Arbitrary<ReadonlyArray<number>> = fc.array(fc.nat(), { maxLength: 30 })

/** Cuts `data` at the given offsets (any order, duplicates allowed: empty chunks are fed too). */
export const cut = (data: Uint8Array, offsets: ReadonlyArray<number>): Array<Uint8Array> => {
  const points = offsets.map((o) => o % (data.length + 1)).sort((a, b) => a - b)
  const chunks: Array<Uint8Array> = []
  let start = 0
  for (const point of points) {
    chunks.push(data.slice(start, point))
    start = point
  }
  chunks.push(data.slice(start))
  return chunks
}

/** A line bound small enough that many arbitrary lines exceed it. */
export const smallBound: fc.Arbitrary<number> = fc.integer({ min: 0, max: 64 })

/** How a peer decodes a line it received: UTF-8, invalid sequences replaced, a BOM kept. */
export const decodeUtf8 = (bytes: Uint8Array): string =>
  new TextDecoder("utf-8", { fatal: false, ignoreBOM: true }).decode(bytes)
