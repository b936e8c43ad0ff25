/**
 * Property tests of security.md's universal value rules: for every type, a control,
 * line-separator or bidi character is refused at its first position, and a leading "-" is refused unless the type is int.
 */
import { FastCheck as fc } from "effect"
import * as Either from "effect/Either"
import { describe, expect, it } from "vitest"
import { checkFields, parseValueType, valueProblem, type ValueRejection, type ValueType } from "../../src/trust/index.js"
import { describeValueProblem } from "../../src/decide/rejection.js"
import { forbiddenKind } from "./forbidden.js"

/** A refusal as `{ key, value, problem }` with the problem as the log phrases it. */
const shown = (rejection: ValueRejection | undefined) =>
  rejection === undefined ? undefined : { key: rejection.key, value: rejection.value, problem: describeValueProblem(rejection.problem) }

/** Why a value is refused, as the log phrases it (undefined when it is accepted). */
const problemText = (type: ValueType, value: string): string | undefined => {
  const problem = valueProblem(type, value)
  return problem === undefined ? undefined : describeValueProblem(problem)
}

const NUM_RUNS = 300

/** The characters no value may hold: C0, DEL, C1, U+2028/9 and the bidi formatting characters. */
const isForbidden = (code: number): boolean =>
  code <= 0x1f || (code >= 0x7f && code <= 0x9f) || code === 0x061c || code === 0x200e || code === 0x200f ||
  code === 0x2028 || code === 0x2029 || (code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069)

const FORBIDDEN_CODES = [
  ...Array.from({ length: 0x20 }, (_, i) => i),
  ...Array.from({ length: 0x21 }, (_, i) => 0x7f + i),
  0x061c, 0x200e, 0x200f, 0x2028, 0x2029, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069
]

const forbiddenChar = fc.constantFrom(...FORBIDDEN_CODES).map((code) => String.fromCharCode(code))

/** Any string, often holding forbidden characters and a leading "-". */
const anyValue = fc.oneof(
  fc.string({ unit: "binary", maxLength: 16 }),
  fc.string({ unit: fc.oneof(forbiddenChar, fc.constantFrom("-", "a", "1", ".", " ", "é", "🙂")), maxLength: 8 }),
  fc.string({ maxLength: 12 }).map((s) => `-${s}`)
)

const typeOf = (spec: string): ValueType => Either.getOrThrow(parseValueType(spec))

/** Every type, including a regex that matches anything, so the universal rules are what refuses. */
const anyType = fc.constantFrom("ip", "cidr", "int", "name", "text", "/[\\s\\S]*/", "/.*/s", "/-?[0-9a-f.:]+/i")
  .map(typeOf)

const utf16IndexOfFirstForbidden = (value: string): number => {
  for (let i = 0; i < value.length; i++) if (isForbidden(value.charCodeAt(i))) return i
  return -1
}

describe("security.md universal value rules (properties)", () => {
  it("for every type, a value holding a forbidden character is refused, naming the first one and its position", () => {
    fc.assert(
      fc.property(anyType, fc.string({ maxLength: 10 }), forbiddenChar, fc.string({ maxLength: 10 }), (type, before, c, after) => {
        const value = before + c + after
        const at = utf16IndexOfFirstForbidden(value)
        const char = value.charCodeAt(at)
        const code = char.toString(16).toUpperCase().padStart(4, "0")
        expect(problemText(type, value)).toBe(`contains ${forbiddenKind(char)} U+${code} at position ${at}`)
      }),
      { numRuns: NUM_RUNS }
    )
  })

  it("for every type but int, a value starting with - is refused; without forbidden characters that is the problem named", () => {
    fc.assert(
      fc.property(anyType, fc.string({ maxLength: 12 }), (type, rest) => {
        const value = `-${rest}`
        const problem = problemText(type, value)
        if (type._tag === "int") {
          if (/^-(0|[1-9][0-9]{0,17})$/.test(value)) expect(problem).toBeUndefined()
          else expect(problem).toBeDefined()
        } else if (utf16IndexOfFirstForbidden(value) === -1) {
          expect(problem).toBe(`starts with "-" (it could pass as an option)`)
        } else {
          expect(problem).toMatch(/^contains a (control character|line separator|bidi formatting character) /)
        }
      }),
      { numRuns: NUM_RUNS }
    )
  })

  it("text accepts exactly the values without forbidden characters that do not start with -", () => {
    fc.assert(
      fc.property(anyValue, (value) => {
        const acceptable = utf16IndexOfFirstForbidden(value) === -1 && !value.startsWith("-")
        expect(problemText({ _tag: "text" }, value) === undefined).toBe(acceptable)
      }),
      { numRuns: NUM_RUNS }
    )
  })

  it("no type accepts a value that text refuses (the universal rules hold for all)", () => {
    fc.assert(
      fc.property(anyType, anyValue, (type, value) => {
        if (problemText(type, value) === undefined && type._tag !== "int") {
          expect(problemText({ _tag: "text" }, value)).toBeUndefined()
        }
        if (problemText(type, value) === undefined) expect(utf16IndexOfFirstForbidden(value)).toBe(-1)
      }),
      { numRuns: NUM_RUNS }
    )
  })

  it("a /regex/ type accepts a value exactly when the pattern matches all of it", () => {
    /** Each pattern and, written without regular expressions, the language it denotes. */
    const languages: ReadonlyArray<readonly [string, (v: string) => boolean]> = [
      ["[a-z]+", (v) => v.length > 0 && [...v].every((c) => c >= "a" && c <= "z")],
      ["a|ab", (v) => v === "a" || v === "ab"],
      ["x*", (v) => [...v].every((c) => c === "x")],
      ["[0-9]{2,3}", (v) => (v.length === 2 || v.length === 3) && [...v].every((c) => c >= "0" && c <= "9")],
      ["(ab)+", (v) => v.length > 0 && v === "ab".repeat(v.length / 2)],
      ["a.c", (v) => v.length === 3 && v[0] === "a" && v[2] === "c"]
    ]
    const value = fc.string({ unit: fc.constantFrom("a", "b", "c", "x", "0", "1", "."), maxLength: 6 })
    fc.assert(
      fc.property(fc.constantFrom(...languages), value, ([source, inLanguage], v) => {
        expect(problemText(typeOf(`/${source}/`), v) === undefined).toBe(inLanguage(v))
      }),
      { numRuns: NUM_RUNS }
    )
  })

  it("checkFields reports the first field in message order that its type refuses, or nothing", () => {
    const key = fc.constantFrom("ip", "port", "jail", "note")
    const types = new Map<string, ValueType>([["ip", { _tag: "ip" }], ["port", { _tag: "int" }], ["jail", { _tag: "name" }]])
    const value = fc.constantFrom("192.0.2.7", "::1", "22", "-1", "sshd", "-x", "a b", "x\u0000", "")
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(key, value), { selector: ([k]) => k, maxLength: 4 }), (entries) => {
        const fields = new Map(entries)
        const first = entries.find(([k, v]) => problemText(types.get(k) ?? { _tag: "text" }, v) !== undefined)
        const result = shown(checkFields(fields, types))
        if (first === undefined) expect(result).toBeUndefined()
        else expect(result).toEqual({ key: first[0], value: first[1], problem: problemText(types.get(first[0]) ?? { _tag: "text" }, first[1]) })
      }),
      { numRuns: NUM_RUNS }
    )
  })
})
