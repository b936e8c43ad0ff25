/**
 * Generators for the action properties: hostile values, and templates built
 * from known parts so the exact expected words are known.
 */
import { FastCheck as fc } from "effect"

/** Placeholder names, including the computed ones. */
export const names = ["ip", "jail", "action", "k.1", "a-b", "X_9", "_msg", "_channel"] as const
export type Name = (typeof names)[number]

/** Fragments an attacker would put in a value. */
const hostileFragments = [
  " ",
  "\t",
  "'",
  "\"",
  ";",
  "$(id)",
  "`id`",
  "|",
  "&&",
  ">",
  "<",
  "*",
  "?",
  "[a]",
  "~",
  "\n",
  "-",
  "--",
  "-rf",
  "$1",
  "${1}",
  "$@",
  "\\",
  "%",
  "%ip%",
  "%%",
  "#",
  "!",
  "é",
  "😀",
  "\u{10FFFF}",
  "\u200B"
]

/** A value from the network: any code point but NUL (which argv cannot carry), biased to shell syntax. */
export const hostileValue: fc.Arbitrary<string> = fc
  .string({
    unit: fc.oneof(fc.constantFrom(...hostileFragments), fc.string({ unit: "binary", minLength: 1, maxLength: 1 })),
    maxLength: 12
  })
  .map((value) => value.replaceAll("\0", ""))

export interface Values {
  readonly fields: ReadonlyMap<string, string>
  readonly body: string
  readonly channel: string
}

export const hostileValues: fc.Arbitrary<Values> = fc
  .record({
    fields: fc.dictionary(fc.constantFrom(...names.filter((name) => !name.startsWith("_"))), hostileValue),
    body: hostileValue,
    channel: hostileValue
  })
  .map(({ body, channel, fields }) => ({ fields: new Map(Object.entries(fields)), body, channel }))

/** Every non-computed name has a value, so "reject" never fires. */
export const completeValues: fc.Arbitrary<Values> = fc
  .record({
    fields: fc.record(
      Object.fromEntries(names.filter((name) => !name.startsWith("_")).map((name) => [name, hostileValue]))
    ),
    body: hostileValue,
    channel: hostileValue
  })
  .map(({ body, channel, fields }) => ({ fields: new Map(Object.entries(fields)), body, channel }))

export const valueOf = (values: Values, name: string): string =>
  name === "_msg" ? values.body : name === "_channel" ? values.channel : values.fields.get(name) ?? ""

/** One part of a generated word: literal text, or a placeholder. */
export type Part = { readonly literal: string } | { readonly placeholder: Name }

/** Characters of literal text: quotes, backslashes, %, blanks, shell syntax, unicode. */
export const literalText: fc.Arbitrary<string> = fc.string({
  unit: fc.constantFrom("a", "Z", "0", "-", ".", "/", " ", "\t", "'", "\"", "\\", "%", "$", "`", "|", ";", "&", "(", ")", "<", ">", "*", "#", "~", "\n", "é", "😀"),
  maxLength: 8
})

export const placeholderPart: fc.Arbitrary<Part> = fc.constantFrom(...names).map((placeholder) => ({ placeholder }))
export const literalPart: fc.Arbitrary<Part> = literalText.map((literal) => ({ literal }))

export const isPlaceholder = (part: Part): part is { readonly placeholder: Name } => "placeholder" in part

/** How a group of parts is written in the source. */
export type Style = "bare" | "single" | "double"

/** Adjacent parts written in one style: `a%ip%b`, `'a%ip%b'` or `"a%ip%b"`. */
export interface Group {
  readonly style: Style
  readonly parts: ReadonlyArray<Part>
}

export type GeneratedWord = ReadonlyArray<Group>

const BARE_SAFE = /^[A-Za-z0-9./_-]$/

const encodeLiteral = (style: Style, text: string): string => {
  if (text.length === 0) return style === "bare" ? "''" : ""
  const percent = (s: string) => s.replaceAll("%", "%%")
  switch (style) {
    case "single":
      return percent(text).replaceAll("'", "'\\''")
    case "double":
      return percent(text.replace(/[\\"$`]/g, "\\$&"))
    case "bare":
      return [...text]
        .map((char) => char === "%" ? "%%" : char === "\n" ? "\"\n\"" : BARE_SAFE.test(char) ? char : `\\${char}`)
        .join("")
  }
}

/** The source text of one word: written so that sh-like quoting reads back exactly its parts. */
export const encodeWord = (word: GeneratedWord): string =>
  word
    .map(({ parts, style }) => {
      const body = parts.map((part) => isPlaceholder(part) ? `%${part.placeholder}%` : encodeLiteral(style, part.literal)).join("")
      return style === "single" ? `'${body}'` : style === "double" ? `"${body}"` : body
    })
    .join("")

/** The word a template word renders to: its literal text with each value in its placeholder's place. */
export const expectedWord = (word: GeneratedWord, values: Values): string =>
  word.flatMap((group) => group.parts.map((part) => isPlaceholder(part) ? valueOf(values, part.placeholder) : part.literal)).join("")

const style: fc.Arbitrary<Style> = fc.constantFrom("bare", "single", "double")

const group = (part: fc.Arbitrary<Part>): fc.Arbitrary<Group> =>
  fc.record({ style, parts: fc.array(part, { minLength: 1, maxLength: 4 }) })

/** An argument word: literal text and placeholders in any quoting. */
export const argumentWord: fc.Arbitrary<GeneratedWord> = fc.array(group(fc.oneof(literalPart, placeholderPart)), {
  minLength: 1,
  maxLength: 3
})

/** The command word: literal text only, non-empty. */
export const commandWord: fc.Arbitrary<GeneratedWord> = fc
  .array(group(literalPart), { minLength: 1, maxLength: 2 })
  .filter((word) => word.some((g) => g.parts.some((part) => !isPlaceholder(part) && part.literal.length > 0)))

export const blanks: fc.Arbitrary<string> = fc.string({ unit: fc.constantFrom(" ", "\t"), minLength: 1, maxLength: 3 })

export interface GeneratedTemplate {
  readonly source: string
  readonly words: ReadonlyArray<GeneratedWord>
}

/** A whole non-shell action: a command word then argument words, separated (and surrounded) by blanks. */
export const generatedTemplate: fc.Arbitrary<GeneratedTemplate> = fc
  .tuple(
    fc.string({ unit: fc.constantFrom(" ", "\t"), maxLength: 2 }),
    commandWord,
    fc.array(fc.tuple(blanks, argumentWord), { maxLength: 5 }),
    fc.string({ unit: fc.constantFrom(" ", "\t"), maxLength: 2 })
  )
  .map(([leading, command, rest, trailing]) => ({
    source: leading + encodeWord(command) + rest.map(([sep, word]) => sep + encodeWord(word)).join("") + trailing,
    words: [command, ...rest.map(([, word]) => word)]
  }))
