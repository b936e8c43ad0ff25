/**
 * A bounded pickle decoder for what fail2ban-server answers with: the opcodes of data (numbers, text,
 * bytes, containers, memo) and class calls kept as data. It instantiates nothing and refuses every other opcode.
 */
import * as Either from "effect/Either"
import type { PyCall, PyDict, PyList, PySet, PyTuple, PyValue } from "./pickle.js"

/** Nesting deeper than this is refused: fail2ban's answers are a few levels deep. */
export const MAX_DEPTH = 32

/** Why an answer could not be decoded, thrown inside the decoder and returned as its Left. */
class Refused {
  constructor(readonly why: string) {}
}

type Tagged = Exclude<PyValue, null | boolean | number | bigint | string | Uint8Array>

const isTagged = <T extends Tagged["_tag"]>(value: PyValue | undefined, tag: T): value is Extract<Tagged, { _tag: T }> =>
  value !== null && typeof value === "object" && !(value instanceof Uint8Array) && value._tag === tag

const latin1 = new TextDecoder("latin1")
const utf8 = new TextDecoder("utf-8", { fatal: true })

/** The decoder's state: the bytes, the position, the stack, the marks and the memo. */
class Machine {
  at = 0
  readonly stack: Array<PyValue> = []
  readonly marks: Array<number> = []
  readonly memo = new Map<number, PyValue>()
  constructor(readonly bytes: Uint8Array) {}

  take(n: number | bigint): Uint8Array {
    if (typeof n === "bigint" ? n > BigInt(this.bytes.length - this.at) : n > this.bytes.length - this.at) throw new Refused(`truncated at byte ${this.at}`)
    const start = this.at
    this.at += Number(n)
    return this.bytes.subarray(start, this.at)
  }
  u8(): number {
    return this.take(1)[0]!
  }
  view(n: number): DataView {
    const part = this.take(n)
    return new DataView(part.buffer, part.byteOffset, n)
  }
  u32(): number {
    return this.view(4).getUint32(0, true)
  }
  u64(): bigint {
    return this.view(8).getBigUint64(0, true)
  }
  /** A text line of GLOBAL, up to its newline. */
  line(): string {
    const end = this.bytes.indexOf(0x0a, this.at)
    if (end === -1) throw new Refused(`truncated at byte ${this.at}`)
    const text = this.text(this.take(end - this.at))
    this.at++
    return text
  }
  text(bytes: Uint8Array): string {
    try {
      return utf8.decode(bytes)
    } catch {
      throw new Refused(`invalid UTF-8 at byte ${this.at}`)
    }
  }
  push(value: PyValue): void {
    this.stack.push(value)
  }
  /** Like Python's unpickler, what was pushed before the last MARK is out of reach until the MARK is consumed. */
  top(): PyValue {
    if (this.stack.length <= (this.marks[this.marks.length - 1] ?? 0)) throw new Refused(`stack underflow at byte ${this.at}`)
    return this.stack[this.stack.length - 1]!
  }
  pop(): PyValue {
    const value = this.top()
    this.stack.pop()
    return value
  }
  /** The items pushed since the last MARK, which is removed. */
  popMark(): Array<PyValue> {
    const mark = this.marks.pop()
    if (mark === undefined) throw new Refused(`no MARK at byte ${this.at}`)
    return this.stack.splice(mark)
  }
  topOf<T extends Tagged["_tag"]>(tag: T, op: string): Extract<Tagged, { _tag: T }> {
    const top = this.top()
    if (!isTagged(top, tag)) throw new Refused(`${op} on a value that is not a ${tag.toLowerCase()} at byte ${this.at}`)
    return top
  }
  get(index: number): void {
    if (!this.memo.has(index)) throw new Refused(`memo ${index} read before it was written at byte ${this.at}`)
    this.push(this.memo.get(index)!)
  }
}

/** A little-endian two's complement integer (LONG1, LONG4): a number when it is safe, else a bigint. */
const long = (bytes: Uint8Array): number | bigint => {
  if (bytes.length === 0) return 0
  let value = 0n
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]!)
  if (bytes[bytes.length - 1]! & 0x80) value -= 1n << BigInt(bytes.length * 8)
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value
}

const list = (items: Array<PyValue>): PyList => ({ _tag: "List", items })
const tuple = (items: ReadonlyArray<PyValue>): PyTuple => ({ _tag: "Tuple", items })
const set = (items: Array<PyValue>, frozen: boolean): PySet => ({ _tag: "Set", items, frozen })
const call = (callee: PyValue, args: PyValue): PyCall => {
  if (!isTagged(args, "Tuple")) throw new Refused("a class call whose arguments are not a tuple")
  return { _tag: "Call", callee, args: args.items, state: undefined }
}

const pairs = (items: ReadonlyArray<PyValue>, into: PyDict): void => {
  if (items.length % 2 !== 0) throw new Refused("SETITEMS with an odd number of items")
  for (let i = 0; i < items.length; i += 2) into.entries.push([items[i]!, items[i + 1]!])
}

type Op = (m: Machine) => void

const code = (char: string): number => char.charCodeAt(0)

/** Every opcode the decoder accepts; any other is refused. */
const OPS = new Map<number, Op>([
  [0x80, (m) => { if (m.u8() > 5) throw new Refused("pickle protocol above 5") }],
  [0x95, (m) => void m.take(8)], // FRAME: a length hint
  [code("N"), (m) => m.push(null)],
  [0x88, (m) => m.push(true)],
  [0x89, (m) => m.push(false)],
  [code("K"), (m) => m.push(m.u8())],
  [code("M"), (m) => m.push(m.view(2).getUint16(0, true))],
  [code("J"), (m) => m.push(m.view(4).getInt32(0, true))],
  [0x8a, (m) => m.push(long(m.take(m.u8())))],
  [0x8b, (m) => m.push(long(m.take(m.u32())))],
  [code("G"), (m) => m.push(m.view(8).getFloat64(0, false))],
  [0x8c, (m) => m.push(m.text(m.take(m.u8())))],
  [code("X"), (m) => m.push(m.text(m.take(m.u32())))],
  [0x8d, (m) => m.push(m.text(m.take(m.u64())))],
  [code("U"), (m) => m.push(latin1.decode(m.take(m.u8())))],
  [code("T"), (m) => m.push(latin1.decode(m.take(m.u32())))],
  [code("C"), (m) => m.push(Uint8Array.from(m.take(m.u8())))],
  [code("B"), (m) => m.push(Uint8Array.from(m.take(m.u32())))],
  [0x8e, (m) => m.push(Uint8Array.from(m.take(m.u64())))],
  [0x96, (m) => m.push(Uint8Array.from(m.take(m.u64())))],
  [code("("), (m) => void m.marks.push(m.stack.length)],
  [code("0"), (m) => void m.pop()],
  [code("1"), (m) => void m.popMark()],
  [code("2"), (m) => m.push(m.top())],
  [code("]"), (m) => m.push(list([]))],
  [code("l"), (m) => m.push(list(m.popMark()))],
  [code("a"), (m) => { const item = m.pop(); m.topOf("List", "APPEND").items.push(item) }],
  [code("e"), (m) => { const items = m.popMark(); m.topOf("List", "APPENDS").items.push(...items) }],
  [code(")"), (m) => m.push(tuple([]))],
  [code("t"), (m) => m.push(tuple(m.popMark()))],
  [0x85, (m) => m.push(tuple([m.pop()]))],
  [0x86, (m) => { const b = m.pop(); m.push(tuple([m.pop(), b])) }],
  [0x87, (m) => { const c = m.pop(); const b = m.pop(); m.push(tuple([m.pop(), b, c])) }],
  [code("}"), (m) => m.push({ _tag: "Dict", entries: [] })],
  [code("d"), (m) => { const dict: PyDict = { _tag: "Dict", entries: [] }; pairs(m.popMark(), dict); m.push(dict) }],
  [code("s"), (m) => { const value = m.pop(); const key = m.pop(); m.topOf("Dict", "SETITEM").entries.push([key, value]) }],
  [code("u"), (m) => { const items = m.popMark(); pairs(items, m.topOf("Dict", "SETITEMS")) }],
  [0x8f, (m) => m.push(set([], false))],
  [0x90, (m) => { const items = m.popMark(); m.topOf("Set", "ADDITEMS").items.push(...items) }],
  [0x91, (m) => m.push(set(m.popMark(), true))],
  [0x94, (m) => void m.memo.set(m.memo.size, m.top())],
  [code("q"), (m) => void m.memo.set(m.u8(), m.top())],
  [code("r"), (m) => void m.memo.set(m.u32(), m.top())],
  [code("h"), (m) => m.get(m.u8())],
  [code("j"), (m) => m.get(m.u32())],
  [code("c"), (m) => { const module = m.line(); m.push({ _tag: "Global", module, name: m.line() }) }],
  [0x93, (m) => { const name = m.pop(); const module = m.pop(); m.push(globalOf(module, name)) }],
  [code("R"), (m) => { const args = m.pop(); m.push(call(m.pop(), args)) }],
  [0x81, (m) => { const args = m.pop(); m.push(call(m.pop(), args)) }],
  [0x92, (m) => { m.pop(); const args = m.pop(); m.push(call(m.pop(), args)) }], // NEWOBJ_EX: keyword arguments are left out
  [code("b"), (m) => { const state = m.pop(); m.topOf("Call", "BUILD").state = state }]
])

const globalOf = (module: PyValue, name: PyValue): PyValue => {
  if (typeof module !== "string" || typeof name !== "string") throw new Refused("STACK_GLOBAL with names that are not str")
  return { _tag: "Global", module, name }
}

/** Refuses a value with more than `max` containers nested, or one that contains itself (shared parts are walked once). */
const checkDepth = (value: PyValue, max: number): void => {
  const known = new Map<object, number>()
  const open = new Set<object>()
  const depth = (v: PyValue, level: number): number => {
    if (v === null || typeof v !== "object" || v instanceof Uint8Array) return 0
    if (level >= max) throw new Refused(`nested deeper than ${max} levels`)
    const seen = known.get(v)
    if (seen !== undefined) {
      if (level + seen > max) throw new Refused(`nested deeper than ${max} levels`)
      return seen
    }
    if (open.has(v)) throw new Refused("a value that contains itself")
    open.add(v)
    const children: ReadonlyArray<PyValue> =
      v._tag === "Dict" ? v.entries.flat() : v._tag === "Call" ? [v.callee, ...v.args, ...(v.state === undefined ? [] : [v.state])] : v._tag === "Global" ? [] : v.items
    let deepest = 0
    for (const child of children) deepest = Math.max(deepest, depth(child, level + 1))
    open.delete(v)
    known.set(v, deepest + 1)
    return deepest + 1
  }
  depth(value, 0)
}

/**
 * Decodes one pickle that ends exactly at its STOP, or says why not (an
 * unsupported opcode, truncated data, bytes after STOP, a cycle, nesting over
 * `maxDepth`). Linear in the input: every opcode reads what it needs once.
 */
export const decodePickle = (bytes: Uint8Array, maxDepth = MAX_DEPTH): Either.Either<PyValue, string> => {
  const m = new Machine(bytes)
  try {
    while (m.at < bytes.length) {
      const opcode = m.u8()
      if (opcode === 0x2e) {
        const value = m.pop()
        if (m.at !== bytes.length) return Either.left(`${bytes.length - m.at} byte(s) after STOP`)
        checkDepth(value, maxDepth)
        return Either.right(value)
      }
      const op = OPS.get(opcode)
      if (op === undefined) return Either.left(`unsupported opcode 0x${opcode.toString(16).padStart(2, "0")} at byte ${m.at - 1}`)
      op(m)
    }
    return Either.left("no STOP")
  } catch (error) {
    if (error instanceof Refused) return Either.left(error.why)
    throw error
  }
}
