/**
 * The records of state_dir's journals, pure: one JSON body per line behind its length and checksum, and
 * how a file (or any prefix of one, as `kill -9` may leave it) is read back up to its first torn record.
 */
import { createHash } from "node:crypto"

/** `LLLLLLLL SSSSSSSS ` before the JSON: its byte length and the first 32 bits of its SHA-256, in hex. */
const HEADER = 18

const checksum = (body: Buffer): string => createHash("sha256").update(body).digest("hex").slice(0, 8)

/** One record as bytes: a torn or altered record fails its length or checksum and ends the readable part. */
export const encodeFrame = (json: unknown): Buffer => {
  const body = Buffer.from(JSON.stringify(json), "utf8")
  return Buffer.concat([Buffer.from(`${body.length.toString(16).padStart(8, "0")} ${checksum(body)} `, "latin1"), body, Buffer.from("\n")])
}

/** What a file held: its records up to the first unreadable one, and how many bytes were readable. */
export interface Frames<R> {
  readonly records: ReadonlyArray<R>
  readonly validBytes: number
  /** Bytes after the readable part: a record torn by a crash (or damage); ignored. */
  readonly tornBytes: number
}

/** Reads records until the bytes end or one is torn, altered or of the wrong shape (`parse` gives undefined). */
export const decodeFrames = <R>(bytes: Uint8Array, parse: (json: unknown) => R | undefined): Frames<R> => {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const records: Array<R> = []
  let at = 0
  while (at + HEADER <= buffer.length) {
    const header = buffer.toString("latin1", at, at + HEADER)
    if (!/^[0-9a-f]{8} [0-9a-f]{8} $/.test(header)) break
    const end = at + HEADER + parseInt(header.slice(0, 8), 16)
    if (end + 1 > buffer.length || buffer[end] !== 0x0a) break
    const body = buffer.subarray(at + HEADER, end)
    if (checksum(body) !== header.slice(9, 17)) break
    let record: R | undefined
    try {
      record = parse(JSON.parse(body.toString("utf8")))
    } catch {
      record = undefined
    }
    if (record === undefined) break
    records.push(record)
    at = end + 1
  }
  return { records, validBytes: at, tornBytes: buffer.length - at }
}
