/**
 * The subset of Python's pickle that f2bc speaks with fail2ban-server: the value model a decoded
 * answer is, the encoder of a request (a list of str), and the rendering of a value as Python writes it.
 */

/**
 * A decoded Python value. Objects are never built: a class call (`REDUCE`,
 * `NEWOBJ`) stays data naming the class and its arguments, so a hostile answer
 * can name any class and nothing runs.
 */
export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyList
  | PyTuple
  | PyDict
  | PySet
  | PyCall
  | PyGlobal

/** Lists, dicts and sets are mutable while decoding (APPENDS, SETITEMS, ADDITEMS after their creation). */
export interface PyList { readonly _tag: "List"; readonly items: Array<PyValue> }
export interface PyTuple { readonly _tag: "Tuple"; readonly items: ReadonlyArray<PyValue> }
export interface PyDict { readonly _tag: "Dict"; readonly entries: Array<readonly [PyValue, PyValue]> }
export interface PySet { readonly _tag: "Set"; readonly items: Array<PyValue>; readonly frozen: boolean }
/** A class named by GLOBAL or STACK_GLOBAL, not called. */
export interface PyGlobal { readonly _tag: "Global"; readonly module: string; readonly name: string }
/** `callee(*args)` as data, with the state BUILD gave it (exceptions carry their text in `args`). */
export interface PyCall { readonly _tag: "Call"; readonly callee: PyValue; readonly args: ReadonlyArray<PyValue>; state: PyValue | undefined }

const PROTO = 0x80
const EMPTY_LIST = 0x5d // ]
const MARK = 0x28 // (
const BINUNICODE = 0x58 // X
const APPENDS = 0x65 // e
const STOP = 0x2e // .

/**
 * A list of str as protocol 2 (PROTO 2, EMPTY_LIST, MARK, BINUNICODE…, APPENDS,
 * STOP): what fail2ban-client's `dumps(list(argv))` means, without memo opcodes.
 */
export const encodeStringList = (items: ReadonlyArray<string>): Uint8Array => {
  const texts = items.map((item) => Buffer.from(item, "utf8"))
  const size = 2 + 1 + (items.length === 0 ? 0 : 2) + texts.reduce((n, text) => n + 5 + text.length, 0) + 1
  const out = Buffer.alloc(size)
  let at = 0
  out[at++] = PROTO
  out[at++] = 2
  out[at++] = EMPTY_LIST
  if (items.length > 0) {
    out[at++] = MARK
    for (const text of texts) {
      out[at++] = BINUNICODE
      at = out.writeUInt32LE(text.length, at)
      at += text.copy(out, at)
    }
    out[at++] = APPENDS
  }
  out[at++] = STOP
  return out
}

/** Python's repr of a str: single quotes unless the text holds one and no double quote. */
const reprString = (text: string): string => {
  const quote = text.includes("'") && !text.includes("\"") ? "\"" : "'"
  let out = quote
  for (const char of text) {
    const code = char.codePointAt(0)!
    if (char === quote || char === "\\") out += `\\${char}`
    else if (char === "\n") out += "\\n"
    else if (char === "\r") out += "\\r"
    else if (char === "\t") out += "\\t"
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`
    else out += char
  }
  return out + quote
}

const reprBytes = (bytes: Uint8Array): string =>
  `b'${Array.from(bytes, (byte) =>
    byte === 0x27 || byte === 0x5c ? `\\${String.fromCharCode(byte)}` : byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, "0")}`
  ).join("")}'`

const reprNumber = (value: number): string =>
  Number.isNaN(value) ? "nan" : value === Infinity ? "inf" : value === -Infinity ? "-inf" : String(value)

/** A class by its own name: `fail2ban.exceptions.UnknownJailException` reads as `UnknownJailException`. */
const calleeName = (callee: PyValue, render: (value: PyValue) => string): string =>
  callee !== null && typeof callee === "object" && "_tag" in callee && callee._tag === "Global" ? callee.name : render(callee)

/** A `str` subclass (fail2ban's IPAddr) is pickled as `builtins.str('…')`: it reads as the text. */
const isStrCall = (value: PyCall): boolean =>
  value.callee !== null && typeof value.callee === "object" && "_tag" in value.callee && value.callee._tag === "Global" &&
  value.callee.module === "builtins" && value.callee.name === "str" && value.args.length === 1 && typeof value.args[0] === "string"

/**
 * A value as Python's repr writes it (`(1, UnknownJailException('nojail'))`),
 * at most `maxChars` characters and `maxDepth` levels deep (`…` beyond): a
 * shared or cyclic structure cannot make the text grow without bound.
 */
export const renderValue = (value: PyValue, maxChars = 2048, maxDepth = 16): string => {
  let budget = maxChars
  const go = (v: PyValue, depth: number): string => {
    if (budget <= 0 || depth > maxDepth) return "…"
    return renderOne(v, depth)
  }
  // Each piece of text pays for itself once: a container only for its brackets.
  const spend = (text: string): string => {
    budget -= text.length
    return text
  }
  const join = (items: ReadonlyArray<PyValue>, depth: number): string => {
    const parts: Array<string> = []
    for (const item of items) {
      if (budget <= 0) return [...parts, "…"].join(", ")
      parts.push(go(item, depth + 1))
    }
    return parts.join(", ")
  }
  const renderOne = (v: PyValue, depth: number): string => {
    if (v === null) return spend("None")
    if (typeof v === "boolean") return spend(v ? "True" : "False")
    if (typeof v === "number") return spend(reprNumber(v))
    if (typeof v === "bigint") return spend(v.toString())
    if (typeof v === "string") return spend(reprString(v))
    if (v instanceof Uint8Array) return spend(reprBytes(v))
    budget -= 2
    switch (v._tag) {
      case "List":
        return `[${join(v.items, depth)}]`
      case "Tuple":
        return v.items.length === 1 ? `(${join(v.items, depth)},)` : `(${join(v.items, depth)})`
      case "Set":
        return v.items.length === 0 ? (v.frozen ? "frozenset()" : "set()") : v.frozen ? `frozenset({${join(v.items, depth)}})` : `{${join(v.items, depth)}}`
      case "Dict":
        return `{${v.entries.map(([key, item]) => budget <= 0 ? "…" : `${go(key, depth + 1)}: ${go(item, depth + 1)}`).join(", ")}}`
      case "Global":
        return spend(`${v.module}.${v.name}`)
      case "Call":
        return isStrCall(v) ? spend(reprString(v.args[0] as string)) : `${calleeName(v.callee, (c) => go(c, depth + 1))}(${join(v.args, depth)})`
    }
  }
  const text = go(value, 0)
  return text.length > maxChars ? `${text.slice(0, maxChars)}…` : text
}
