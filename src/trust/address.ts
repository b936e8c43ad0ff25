/**
 * Addresses and ranges, parsed with node:net (no hand-written address
 * grammar): `192.0.2.7`, `192.0.2.0/24`, `2001:db8::/32`; and ignoreip lists built on BlockList.
 */
import * as Either from "effect/Either"
import { BlockList, isIP } from "node:net"

export interface Range {
  readonly address: string
  readonly prefix: number
  readonly family: "ipv4" | "ipv6"
  /** As written. */
  readonly text: string
}

const PREFIX = /^(0|[1-9][0-9]{0,2})$/

/** An address (a /32 or /128 range) or `address/prefix`; zones (`%eth0`) are refused. */
export const parseRange = (text: string): Either.Either<Range, string> => {
  const slash = text.indexOf("/")
  const address = slash === -1 ? text : text.slice(0, slash)
  const version = address.includes("%") ? 0 : isIP(address)
  if (version === 0) return Either.left(`${JSON.stringify(address)} is not an IP address`)
  const max = version === 4 ? 32 : 128
  let prefix = max
  if (slash !== -1) {
    const digits = text.slice(slash + 1)
    prefix = PREFIX.test(digits) ? Number(digits) : -1
    if (prefix < 0 || prefix > max) return Either.left(`prefix /${digits} is not from 0 to ${max}`)
  }
  return Either.right({ address, prefix, family: version === 4 ? "ipv4" : "ipv6", text })
}

const listOf = (ranges: ReadonlyArray<Range>): BlockList => {
  const list = new BlockList()
  for (const range of ranges) list.addSubnet(range.address, range.prefix, range.family)
  return list
}

/** fail2ban's `ignoreip`: addresses and ranges never acted on. */
export interface IgnoreList {
  readonly ranges: ReadonlyArray<Range>
  /** Each range in its own BlockList, to name the entry that matched. */
  readonly lists: ReadonlyArray<BlockList>
  /**
   * Answers already computed, by value (null: not covered). BlockList.check
   * builds a SocketAddress per call, the costliest step of a delivery, and a
   * flood repeats the same few addresses; the answer depends only on the value.
   */
  readonly answers: Map<string, Range | null>
}

/** Answers remembered at most; the memo starts over when full. */
const ANSWERS_MAX = 4096

export const makeIgnoreList = (ranges: ReadonlyArray<Range>): IgnoreList => ({
  ranges,
  lists: ranges.map((range) => listOf([range])),
  answers: new Map()
})

/**
 * The ignoreip entry that covers `value` (an address or a range), or
 * undefined. A range is covered when it overlaps an entry: two prefixes
 * overlap exactly when one contains the other's first address. A value that
 * is not an address is never covered (the types stage decides about it).
 */
export const ignoredBy = (ignore: IgnoreList, value: string): Range | undefined => {
  const known = ignore.answers.get(value)
  if (known !== undefined) return known ?? undefined
  const answer = coveringEntry(ignore, value)
  if (ignore.answers.size >= ANSWERS_MAX) ignore.answers.clear()
  ignore.answers.set(value, answer ?? null)
  return answer
}

const coveringEntry = (ignore: IgnoreList, value: string): Range | undefined => {
  const parsed = parseRange(value)
  if (Either.isLeft(parsed)) return undefined
  const range = parsed.right
  const valueList = range.prefix === (range.family === "ipv4" ? 32 : 128) ? undefined : listOf([range])
  for (let i = 0; i < ignore.ranges.length; i++) {
    const entry = ignore.ranges[i]!
    if (ignore.lists[i]!.check(range.address, range.family)) return entry
    if (valueList !== undefined && valueList.check(entry.address, entry.family)) return entry
  }
  return undefined
}
