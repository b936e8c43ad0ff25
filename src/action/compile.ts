/**
 * Compiling an action at config load (docs/configuration.md, action templates): without a shell, split it
 * into argv words with sh-like quoting only; with `shell: true`, build a script.
 *
 * Quoting (no shell): blanks (space, tab) separate words; `'…'` is literal;
 * in `"…"` a backslash escapes only `"` `\` `$` backtick (and a newline, which
 * it removes), other backslashes stay; outside quotes `\x` is `x` and
 * `\<newline>` is removed. Adjacent pieces form one word; `''` is an empty
 * word. Nothing is expanded: `$`, backtick, `~`, `*`, `#` inside quotes stay
 * literal. Unquoted `| & ; < > ( ) $` backtick and newline (or CR) are shell
 * syntax and an error that points to `shell: true`. An unquoted `#` is literal.
 *
 * `%` is read before quoting, everywhere (even in `'…'`): `%name%` is a
 * placeholder, `%%` a literal `%`, so `\%` outside quotes is just `%`'s
 * placeholder syntax (the backslash is dropped). A placeholder in the first
 * word is refused: a message must never choose the program.
 */
import * as Either from "effect/Either"
import { readPercent } from "./placeholder.js"
import { compileScript } from "./shell.js"
import { type CompiledTemplate, type Segment, type TemplateOptions, type Word, TemplateError, failure, trailingBackslash } from "./template.js"

export const compileTemplate = (
  source: string,
  options: TemplateOptions
): Either.Either<CompiledTemplate, TemplateError> =>
  options.shell
    ? Either.map(compileScript(source), ({ placeholders, script }) => ({
      source,
      shell: true,
      placeholders,
      body: { _tag: "Script", script }
    }))
    : Either.map(splitWords(source), ({ placeholders, words }) => ({
      source,
      shell: false,
      placeholders,
      body: { _tag: "Argv", words }
    }))

const SHELL_SYNTAX = new Set(["|", "&", ";", "<", ">", "(", ")", "$", "`", "\n", "\r"])
const BLANKS = new Set([" ", "\t"])
const DOUBLE_QUOTE_ESCAPES = new Set(["\"", "\\", "$", "`"])

/** Collects one word's segments, merging adjacent literal text. */
class WordBuilder {
  private readonly segments: Array<Segment> = []
  private text = ""
  literal(text: string): void {
    this.text += text
  }
  placeholder(name: string): void {
    this.flush()
    this.segments.push({ _tag: "Placeholder", name })
  }
  finish(): Word {
    this.flush()
    return this.segments
  }
  private flush(): void {
    if (this.text.length > 0) this.segments.push({ _tag: "Literal", text: this.text })
    this.text = ""
  }
}


interface SplitWords {
  readonly words: ReadonlyArray<Word>
  readonly placeholders: ReadonlyArray<string>
}

const splitWords = (source: string): Either.Either<SplitWords, TemplateError> => new Splitter(source).run()

/** One pass over the source; each step returns the index after what it read. */
class Splitter {
  private readonly words: Array<Word> = []
  private readonly placeholders: Array<string> = []
  private word: WordBuilder | undefined

  constructor(private readonly source: string) {}

  run(): Either.Either<SplitWords, TemplateError> {
    const source = this.source
    let i = 0
    while (i < source.length) {
      const char = source.charAt(i)
      if (BLANKS.has(char)) {
        this.endWord()
        i++
        continue
      }
      const next = this.step(char, i)
      if (Either.isLeft(next)) return Either.left(next.left)
      i = next.right
    }
    this.endWord()

    const command = this.words[0]
    if (command === undefined) return failure("Empty", source, 0, "is empty; give the command to run")
    if (command.length === 0) return failure("Empty", source, source.search(/\S/), "has an empty command name")
    return Either.right({ words: this.words, placeholders: this.placeholders })
  }

  private step(char: string, i: number): Either.Either<number, TemplateError> {
    const source = this.source
    if (char === "%") return this.percent(i)
    if (char === "'") return this.singleQuoted(i)
    if (char === "\"") return this.doubleQuoted(i)
    if (char === "\\") {
      const escaped = source[i + 1]
      if (escaped === undefined) {
        return trailingBackslash(source, i)
      }
      if (escaped === "\n") return Either.right(i + 2)
      if (escaped === "%") return Either.right(i + 1)
      this.current().literal(escaped)
      return Either.right(i + 2)
    }
    if (SHELL_SYNTAX.has(char)) {
      return failure(
        "ShellSyntax",
        source,
        i,
        `uses shell syntax ${JSON.stringify(char)} at column ${i} outside quotes; quote it, or set "shell: true" on the channel to run the action through /bin/sh`
      )
    }
    this.current().literal(char)
    return Either.right(i + 1)
  }

  private current(): WordBuilder {
    return (this.word ??= new WordBuilder())
  }

  private endWord(): void {
    if (this.word !== undefined) this.words.push(this.word.finish())
    this.word = undefined
  }

  /** The `%` at `index`, inside the current word. */
  private percent(index: number): Either.Either<number, TemplateError> {
    return Either.flatMap(readPercent(this.source, index), (token) => {
      if (token._tag === "Percent") {
        this.current().literal("%")
        return Either.right(token.end)
      }
      if (this.words.length === 0) {
        return failure(
          "PlaceholderInCommand",
          this.source,
          index,
          `uses placeholder %${token.name}% in the command name at column ${index}; the program to run must be fixed in the config, never chosen by a message`
        )
      }
      if (!this.placeholders.includes(token.name)) this.placeholders.push(token.name)
      this.current().placeholder(token.name)
      return Either.right(token.end)
    })
  }

  /** `'…'` opened at `open`: everything literal except the `%` syntax. */
  private singleQuoted(open: number): Either.Either<number, TemplateError> {
    const source = this.source
    this.current()
    let j = open + 1
    while (j < source.length) {
      const char = source.charAt(j)
      if (char === "'") return Either.right(j + 1)
      if (char === "%") {
        const next = this.percent(j)
        if (Either.isLeft(next)) return Either.left(next.left)
        j = next.right
      } else {
        this.current().literal(char)
        j++
      }
    }
    return this.unterminated(open, "single")
  }

  /** `"…"` opened at `open`: a backslash escapes only `"` `\` `$` backtick and newline. */
  private doubleQuoted(open: number): Either.Either<number, TemplateError> {
    const source = this.source
    this.current()
    let j = open + 1
    while (j < source.length) {
      const char = source.charAt(j)
      if (char === "\"") return Either.right(j + 1)
      if (char === "%") {
        const next = this.percent(j)
        if (Either.isLeft(next)) return Either.left(next.left)
        j = next.right
      } else if (char === "\\" && j + 1 < source.length) {
        const escaped = source.charAt(j + 1)
        if (escaped === "\n") j += 2
        else if (DOUBLE_QUOTE_ESCAPES.has(escaped)) {
          this.current().literal(escaped)
          j += 2
        } else {
          this.current().literal("\\")
          j++
        }
      } else {
        this.current().literal(char)
        j++
      }
    }
    return this.unterminated(open, "double")
  }

  private unterminated(open: number, kind: "single" | "double"): Either.Either<never, TemplateError> {
    return failure(
      "UnterminatedQuote",
      this.source,
      open,
      `has an unterminated ${kind} quote opened at column ${open}`
    )
  }
}
