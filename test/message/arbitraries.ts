/**
 * Generators for the message grammar's property tests: valid keys, values and pair lists,
 * and whitespace/empty-part noise that the grammar must ignore.
 */
import { FastCheck as fc } from "effect"
import { ENVELOPE_KEYS } from "../../src/message/index.js"

const KEY_FIRST = [..."abcxyzABCXYZ0189.-"]
const KEY_REST = [...KEY_FIRST, "_"]

/** Whitespace the grammar trims around keys and values. */
export const blank: fc.Arbitrary<string> = fc.string({ unit: fc.constantFrom(" ", "\t"), maxLength: 3 })

/** A non-envelope key: `[A-Za-z0-9_.-]+` not starting with "_". */
export const fieldKey: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom(...KEY_FIRST), fc.string({ unit: fc.constantFrom(...KEY_REST), maxLength: 8 }))
  .map(([head, rest]) => head + rest)

/** A key a message may carry: a field key or one of the envelope keys. */
export const anyKey: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fieldKey },
  { weight: 1, arbitrary: fc.constantFrom(...ENVELOPE_KEYS) }
)

const FORBIDDEN_IN_VALUE = new Set([",", "\r", "\n", "\0"])

const valueChar: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom("=", "!", " ", "\t", "a", "Z", "9", "_", "%", "é", "🙂", "東", "\"", "'", "$", ";"),
  fc.string({ unit: "grapheme", minLength: 1, maxLength: 1 }).filter((c) => !FORBIDDEN_IN_VALUE.has(c))
)

const trimBlank = (s: string): string => s.replace(/^[ \t]+|[ \t]+$/g, "")

/** A valid value: no ",", CR, LF or NUL, no leading or trailing space/tab; may be empty. */
export const value: fc.Arbitrary<string> = fc
  .array(valueChar, { maxLength: 12 })
  .map((chars) => trimBlank(chars.join("")))

/** A valid pair list: unique keys, envelope keys allowed, at least one pair. */
export const pairList: fc.Arbitrary<Array<[string, string]>> = fc.uniqueArray(fc.tuple(anyKey, value), {
  minLength: 1,
  maxLength: 8,
  selector: (pair) => pair[0]
})

/** Zero or more empty parts (commas followed by optional whitespace). */
export const emptyParts: fc.Arbitrary<string> = fc
  .array(blank, { maxLength: 2 })
  .map((parts) => parts.map((p) => `${p},`).join(""))

/** A non-blank part without "=" (or ","/CR/LF/NUL): text the grammar cannot read as a pair. */
export const partWithoutEquals: fc.Arbitrary<string> = fc
  .tuple(blank, fc.array(valueChar.filter((c) => !c.includes("=")), { minLength: 1, maxLength: 8 }), blank)
  .filter(([, chars]) => trimBlank(chars.join("")) !== "")
  .map(([before, chars, after]) => before + chars.join("") + after)
