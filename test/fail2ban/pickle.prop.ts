/**
 * Properties of the pickle subset spoken with fail2ban: requests decode to what was encoded (here and
 * in Python's own unpickler), Python's pickles of answer-like values decode to the same data, and no input throws, hangs or nests without bound.
 */
import { FastCheck as fc } from "effect"
import * as Either from "effect/Either"
import { execFileSync } from "node:child_process"
import { describe, expect, it } from "vitest"
import { decodePickle, encodeRequest, encodeStringList, END, MAX_DEPTH, renderValue, type PyValue } from "../../src/fail2ban/index.js"
import { FAIL2BAN_PYTHON } from "../support/fail2ban.js"

const word = fc.oneof(fc.fullUnicodeString({ maxLength: 40 }), fc.constantFrom("set", "cluster-sshd", "banip", "192.0.2.7", "2001:db8::1", "é", "😀", ""))

/** Python, fed one JSON document per line, answering one line per document. */
const python = (script: string, lines: ReadonlyArray<string>): ReadonlyArray<string> =>
  execFileSync(FAIL2BAN_PYTHON, ["-c", script], { input: lines.join("\n") + "\n", encoding: "utf8", maxBuffer: 64 * 1024 * 1024 })
    .split("\n")
    .filter((line) => line !== "")

describe("requests", () => {
  it("decode back to the list of words that was encoded", () => {
    fc.assert(
      fc.property(fc.array(word, { maxLength: 20 }), (words) => {
        expect(decodePickle(encodeStringList(words))).toEqual(Either.right({ _tag: "List", items: words }))
      })
    )
  })

  it("are read by Python's own unpickler as the same list of str", () => {
    const samples = fc.sample(fc.array(word, { minLength: 1, maxLength: 12 }), 300)
    const requests = samples.map((words) => Buffer.from(Either.getOrThrow(encodeRequest(words))).toString("base64"))
    const script = `
import sys, pickle, base64, json
END = b"<F2B_END_COMMAND>"
for line in sys.stdin:
    raw = base64.b64decode(line)
    assert raw.endswith(END) and raw.find(END) == len(raw) - len(END)
    print(json.dumps(pickle.loads(raw[:-len(END)])))
`
    expect(python(script, requests).map((line) => JSON.parse(line))).toEqual(samples)
  })

  it("refuse a word that holds fail2ban's terminator, wherever it stands", () => {
    fc.assert(
      fc.property(fc.array(word, { maxLength: 5 }), fc.nat(), fc.string(), fc.string(), (words, at, before, after) => {
        const poisoned = [...words]
        poisoned.splice(at % (words.length + 1), 0, `${before}${END.toString()}${after}`)
        expect(Either.isLeft(encodeRequest(poisoned))).toBe(true)
      })
    )
  })
})

/** A value Python can build from JSON, and the PyValue the decoder must give for its pickle. */
type Spec = { readonly json: unknown; readonly value: PyValue }

const leaf: fc.Arbitrary<Spec> = fc.oneof(
  fc.constant<Spec>({ json: { t: "none" }, value: null }),
  fc.boolean().map((v): Spec => ({ json: { t: "bool", v }, value: v })),
  fc.bigInt({ min: -(1n << 100n), max: 1n << 100n }).map((v): Spec => ({
    json: { t: "int", v: v.toString() },
    value: v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v
  })),
  fc.integer({ min: -70_000, max: 70_000 }).map((v): Spec => ({ json: { t: "int", v: String(v) }, value: v })),
  fc.double().map((v): Spec => ({ json: { t: "float", v: Object.is(v, -0) ? "-0.0" : String(v) }, value: v })),
  fc.fullUnicodeString({ maxLength: 300 }).map((v): Spec => ({ json: { t: "str", v }, value: v })),
  fc.uint8Array({ maxLength: 300 }).map((v): Spec => ({ json: { t: "bytes", v: [...v] }, value: v })),
  fc.string().map((v): Spec => ({
    json: { t: "exc", v },
    value: { _tag: "Call", callee: { _tag: "Global", module: "builtins", name: "ValueError" }, args: [v], state: undefined }
  }))
)

/** Hashable keys that stay distinct in Python (no bools: True == 1). */
const key = fc.oneof(fc.fullUnicodeString({ maxLength: 10 }), fc.integer())
const keySpec = (k: string | number): Spec => typeof k === "string" ? { json: { t: "str", v: k }, value: k } : { json: { t: "int", v: String(k) }, value: k }

const { spec } = fc.letrec<{ spec: Spec }>((tie) => ({
  spec: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc.array(tie("spec"), { maxLength: 5 }).map((items): Spec => ({ json: { t: "list", v: items.map((i) => i.json) }, value: { _tag: "List", items: items.map((i) => i.value) } })),
    fc.array(tie("spec"), { maxLength: 5 }).map((items): Spec => ({ json: { t: "tuple", v: items.map((i) => i.json) }, value: { _tag: "Tuple", items: items.map((i) => i.value) } })),
    fc.uniqueArray(fc.tuple(key, tie("spec")), { maxLength: 5, selector: ([k]) => k }).map((entries): Spec => ({
      json: { t: "dict", v: entries.map(([k, v]) => [keySpec(k).json, v.json]) },
      value: { _tag: "Dict", entries: entries.map(([k, v]) => [keySpec(k).value, v.value] as const) }
    })),
    fc.uniqueArray(key, { maxLength: 5 }).map((items): Spec => ({
      json: { t: "set", v: items.map((k) => keySpec(k).json) },
      value: { _tag: "Set", items: items.map((k) => keySpec(k).value), frozen: false }
    }))
  )
}))

/** Sets come back in Python's hash order: compare them sorted. */
const normal = (value: PyValue): unknown => {
  if (value === null || typeof value !== "object" || value instanceof Uint8Array) return value
  switch (value._tag) {
    case "Set":
      return { ...value, items: value.items.map(normal).sort((a, b) => String(a).localeCompare(String(b))) }
    case "List":
    case "Tuple":
      return { ...value, items: value.items.map(normal) }
    case "Dict":
      return { ...value, entries: value.entries.map(([k, v]) => [normal(k), normal(v)]) }
    default:
      return value
  }
}

const BUILD = `
import sys, json, pickle, base64
def build(d):
    t, v = d["t"], d.get("v")
    if t == "none": return None
    if t in ("bool", "str"): return v
    if t == "int": return int(v)
    if t == "float": return float(v)
    if t == "bytes": return bytes(v)
    if t == "exc": return ValueError(v)
    if t == "list": return [build(x) for x in v]
    if t == "tuple": return tuple(build(x) for x in v)
    if t == "dict": return {build(k): build(x) for k, x in v}
    if t == "set": return {build(x) for x in v}
for line in sys.stdin:
    d = json.loads(line)
    print(base64.b64encode(pickle.dumps(build(d["value"]), d["protocol"])).decode())
`

describe("answers: Python's pickles of fail2ban-like values", () => {
  it.each([4, 5])("decode to the same data (protocol %i, with memo, frames and class calls)", (protocol) => {
    const samples = fc.sample(spec, 400)
    const pickles = python(BUILD, samples.map((s) => JSON.stringify({ value: s.json, protocol })))
    pickles.forEach((b64, i) => {
      const decoded = decodePickle(Buffer.from(b64, "base64"), 64)
      expect(Either.map(decoded, normal)).toEqual(Either.right(normal(samples[i]!.value)))
    })
  })
})

describe("any bytes", () => {
  it("are decoded or refused with a reason, never thrown", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        const decoded = decodePickle(bytes)
        if (Either.isLeft(decoded)) expect(decoded.left).not.toBe("")
        else expect(() => renderValue(decoded.right)).not.toThrow()
      }),
      { numRuns: 2000 }
    )
  })

  it("are decoded or refused when they are a real answer with bytes changed", () => {
    const answer = Buffer.from(
      "gAWVQQAAAAAAAABLAYwTZmFpbDJiYW4uZXhjZXB0aW9uc5SMFFVua25vd25KYWlsRXhjZXB0aW9ulJOUjAZub2phaWyUhZRSlIaULg==",
      "base64"
    )
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(answer.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (changes) => {
        const bytes = Buffer.from(answer)
        for (const [at, byte] of changes) bytes[at] = byte
        const decoded = decodePickle(bytes)
        if (Either.isRight(decoded)) expect(typeof renderValue(decoded.right)).toBe("string")
      }),
      { numRuns: 2000 }
    )
  })

  it("nest at most MAX_DEPTH levels: deeper is refused, not recursed into", () => {
    const deep = (n: number) => Buffer.concat([Buffer.from([0x80, 5, 0x4e]), Buffer.alloc(n, 0x85), Buffer.from(".")])
    expect(Either.isRight(decodePickle(deep(MAX_DEPTH)))).toBe(true)
    expect(decodePickle(deep(MAX_DEPTH + 1))).toEqual(Either.left(`nested deeper than ${MAX_DEPTH} levels`))
    expect(Either.isLeft(decodePickle(deep(1_000_000)))).toBe(true)
  })

  it("refuse a list that contains itself", () => {
    // EMPTY_LIST, MEMOIZE, BINGET 0, APPEND, STOP
    expect(decodePickle(Buffer.from([0x80, 5, 0x5d, 0x94, 0x68, 0, 0x61, 0x2e]))).toEqual(Either.left("a value that contains itself"))
  })

  it("render shared structure within the bound, however often it is shared", () => {
    // Each level is a list holding the previous one twice: 2^40 leaves if copied.
    const parts = [Buffer.from([0x80, 5, 0x4e, 0x94])]
    for (let i = 0; i < 40; i++) parts.push(Buffer.from([0x5d, 0x94, 0x28, 0x68, i, 0x68, i, 0x65]))
    parts.push(Buffer.from("."))
    const decoded = decodePickle(Buffer.concat(parts), 64)
    expect(Either.isRight(decoded)).toBe(true)
    expect(renderValue(Either.getOrThrow(decoded)).length).toBeLessThanOrEqual(2049)
  })

  it("refuse the opcodes that would build objects or run code by name", () => {
    // INST, OBJ, PERSID, BINPERSID, EXT1, protocol-0 text opcodes.
    for (const opcode of ["i", "o", "P", "Q", "\x82", "I", "S", "V", "p", "g"]) {
      expect(Either.isLeft(decodePickle(Buffer.from(`\x80\x02${opcode}`, "latin1")))).toBe(true)
    }
  })
})
