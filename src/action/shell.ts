/**
 * Shell mode (docs/configuration.md, `shell: true`): the action becomes a fixed /bin/sh
 * script in which each placeholder is a quoted positional reference.
 *
 * The script is built once, at config load, from the template alone: values
 * only ever travel as the arguments after it (`/bin/sh -c SCRIPT f2bc V1 …`),
 * so they can never become script text. One positional per distinct name:
 * `placeholders[k]` is `${k+1}` (always braced: `${10}` works, `$10` does not).
 *
 * The reference must fit the quoting context the placeholder stands in,
 * which is tracked here:
 *   outside quotes  `"${N}"`
 *   inside "…"      `${N}`
 *   inside '…'      `'"${N}"'`  (close, quote, reopen)
 * A placeholder whose context cannot be known is refused
 * (PlaceholderInSubstitution): inside `$(…)`, `$((…))`, `((…))`, backquotes,
 * `${…}` or `$'…'`; directly after a `$`; and anywhere after a here-document
 * `<<` or after a `$'…'` holding `\'` (dash and bash disagree where that ends),
 * from which point the rest of the script is copied as it stands.
 * A `#` that starts a word outside quotes starts a comment to the end of the
 * line, copied as it stands (a `%name%` there is not substituted).
 * `%%` is a literal `%` everywhere (write `printf '%%s'`, `date +%%F`).
 */
import * as Either from "effect/Either"
import { readPercent } from "./placeholder.js"
import { TemplateError, failure, trailingBackslash } from "./template.js"

/** The shell that runs a shell-mode action. */
export const SHELL = "/bin/sh"
/** `$0` of the script: names it in the shell's own error messages. */
export const SCRIPT_NAME = "f2bc"

export interface Script {
  readonly script: string
  readonly placeholders: ReadonlyArray<string>
}

type Opener = "$(" | "((" | "${" | "`"

/** A quoting or substitution context open at the current position. */
type Frame =
  | { readonly kind: "Top" }
  | { readonly kind: "Single"; readonly open: number }
  | { readonly kind: "AnsiC"; readonly open: number; backslashQuote: number | undefined }
  | { readonly kind: "Double"; readonly open: number }
  | { readonly kind: "Substitution"; readonly open: number; readonly opener: Opener; readonly inDouble: boolean; depth: number }

const OPERATORS = new Set([" ", "\t", "\n", ";", "&", "|", "(", ")", "<", ">"])

const reference = (position: number): string => `\${${position}}`

const OPENER_NAMES: Record<Opener, string> = {
  "$(": "command substitution \"$(\"",
  "((": "arithmetic expression \"((\"",
  "${": "parameter expansion \"${\"",
  "`": "backquoted command substitution"
}


export const compileScript = (source: string): Either.Either<Script, TemplateError> => new ScriptBuilder(source).run()

class ScriptBuilder {
  private readonly out: Array<string> = []
  private readonly placeholders: Array<string> = []
  private readonly stack: Array<Frame> = [{ kind: "Top" }]
  private atWordStart = true
  /** Set once the rest of the script is copied verbatim: why a placeholder there is refused. */
  private opaque: string | undefined

  constructor(private readonly source: string) {}

  run(): Either.Either<Script, TemplateError> {
    const source = this.source
    if (source.trim().length === 0) return failure("Empty", source, 0, "is empty; give the script to run")
    let i = 0
    while (i < source.length) {
      const next = this.step(i)
      if (Either.isLeft(next)) return Either.left(next.left)
      i = next.right
    }
    const open = this.stack[this.stack.length - 1]
    if (this.opaque === undefined && open !== undefined && open.kind !== "Top") {
      return failure(
        "UnterminatedQuote",
        source,
        open.open,
        `has an unterminated ${frameName(open)} opened at column ${open.open}`
      )
    }
    return Either.right({ script: this.out.join(""), placeholders: this.placeholders })
  }

  private get frame(): Frame {
    return this.stack[this.stack.length - 1] ?? { kind: "Top" }
  }

  private innermostSubstitution(): Extract<Frame, { kind: "Substitution" }> | undefined {
    for (let k = this.stack.length - 1; k >= 0; k--) {
      const frame = this.stack[k]
      if (frame?.kind === "Substitution") return frame
    }
    return undefined
  }

  private emit(text: string): void {
    this.out.push(text)
  }

  private push(frame: Frame): void {
    this.stack.push(frame)
  }

  private pop(): void {
    const frame = this.stack.pop()
    this.atWordStart = false
    if (frame?.kind === "AnsiC" && frame.backslashQuote !== undefined && this.opaque === undefined) {
      this.opaque = `after the $'…' string holding \\' at column ${frame.backslashQuote} (shells disagree where it ends)`
    }
  }

  /** Reads what starts at `i`; returns the index after it. */
  private step(i: number): Either.Either<number, TemplateError> {
    const char = this.source.charAt(i)
    if (char === "%") return this.percent(i)
    if (this.opaque !== undefined) {
      this.emit(char)
      return Either.right(i + 1)
    }
    const frame = this.frame
    switch (frame.kind) {
      case "Top":
        return this.unquoted(i, undefined)
      case "Substitution":
        return frame.opener === "`" ? this.backquoted(i) : this.unquoted(i, frame)
      case "Single":
        if (char === "'") this.pop()
        this.emit(char)
        return Either.right(i + 1)
      case "AnsiC":
        return this.ansiC(i, frame)
      case "Double":
        return this.doubleQuoted(i)
    }
  }

  /** The `%` at `index`: a literal `%`, or a placeholder replaced by its reference. */
  private percent(index: number): Either.Either<number, TemplateError> {
    return Either.flatMap(readPercent(this.source, index), (token) => {
      if (token._tag === "Percent") {
        this.emit("%")
        this.atWordStart = false
        return Either.right(token.end)
      }
      const refused = (where: string) =>
        failure(
          "PlaceholderInSubstitution",
          this.source,
          index,
          `uses placeholder %${token.name}% at column ${index} ${where}, where its quoting cannot be determined safely; move it out into a plain, "double" or 'single' quoted word`
        )
      if (this.opaque !== undefined) return refused(this.opaque)
      const substitution = this.innermostSubstitution()
      if (substitution !== undefined) {
        return refused(`inside the ${OPENER_NAMES[substitution.opener]} opened at column ${substitution.open}`)
      }
      const frame = this.frame
      if (frame.kind === "AnsiC") return refused(`inside the $'…' string opened at column ${frame.open}`)
      let position = this.placeholders.indexOf(token.name) + 1
      if (position === 0) position = this.placeholders.push(token.name)
      const ref = reference(position)
      this.emit(frame.kind === "Double" ? ref : frame.kind === "Single" ? `'"${ref}"'` : `"${ref}"`)
      this.atWordStart = false
      return Either.right(token.end)
    })
  }

  /** A `$` at `i` directly followed by a placeholder: `$"${1}"` or `"$${1}"` would misread it. */
  private dollarBeforePlaceholder(i: number): Either.Either<void, TemplateError> {
    if (this.source[i + 1] !== "%") return Either.void
    return Either.flatMap(readPercent(this.source, i + 1), (token) =>
      token._tag === "Percent"
        ? Either.void
        : failure(
          "PlaceholderInSubstitution",
          this.source,
          i + 1,
          `uses placeholder %${token.name}% at column ${i + 1} directly after "$", where it would read as part of a parameter name; put the "$" in quotes or escape it as \\$`
        ))
  }

  /** Outside quotes, at the top level or inside `$(…)`, `((…))`, `${…}`. */
  private unquoted(i: number, sub: Extract<Frame, { kind: "Substitution" }> | undefined): Either.Either<number, TemplateError> {
    const source = this.source
    const char = source.charAt(i)
    const next = source[i + 1]
    const wordStart = this.atWordStart
    this.atWordStart = OPERATORS.has(char)

    if (char === "\\") {
      if (next === undefined) {
        return trailingBackslash(source, i)
      }
      // `\%ip%` is the placeholder itself: dropping the backslash keeps `\"${1}"` from escaping the quote.
      if (next === "%") return Either.right(i + 1)
      this.emit(char + next)
      return Either.right(i + 2)
    }
    if (sub?.opener === "${" && char === "}") {
      this.emit(char)
      this.pop()
      return Either.right(i + 1)
    }
    if (char === "'" && !(sub?.opener === "${" && sub.inDouble)) {
      this.push({ kind: "Single", open: i })
      this.emit(char)
      return Either.right(i + 1)
    }
    if (char === "\"") {
      this.push({ kind: "Double", open: i })
      this.emit(char)
      return Either.right(i + 1)
    }
    if (char === "`") {
      this.push({ kind: "Substitution", open: i, opener: "`", inDouble: false, depth: 0 })
      this.emit(char)
      return Either.right(i + 1)
    }
    if (char === "$") {
      const dollar = this.dollarBeforePlaceholder(i)
      if (Either.isLeft(dollar)) return Either.left(dollar.left)
      if (next === "'") {
        this.push({ kind: "AnsiC", open: i, backslashQuote: undefined })
        this.emit("$'")
        return Either.right(i + 2)
      }
      return this.substitution(i, false)
    }
    if (sub?.opener === "${") {
      this.emit(char)
      return Either.right(i + 1)
    }
    // What follows applies at the top level and inside `$(…)` / `((…))`, not inside `${…}`.
    if (char === "#" && wordStart) return this.comment(i)
    if (char === "<" && next === "<") {
      this.opaque = `after the here-document "<<" at column ${i}`
      this.emit("<<")
      return Either.right(i + 2)
    }
    if (char === "(") {
      if (next === "(") {
        this.push({ kind: "Substitution", open: i, opener: "((", inDouble: false, depth: 1 })
        this.emit("((")
        this.atWordStart = true
        return Either.right(i + 2)
      }
      if (sub !== undefined) sub.depth++
    } else if (char === ")" && sub !== undefined) {
      if (sub.depth === 0) {
        this.emit(char)
        this.pop()
        return Either.right(i + 1)
      }
      sub.depth--
    }
    this.emit(char)
    return Either.right(i + 1)
  }

  /** After a `$` at `i` (outside single quotes): `$(`, `${` open a substitution; anything else is copied. */
  private substitution(i: number, inDouble: boolean): Either.Either<number, TemplateError> {
    const next = this.source[i + 1]
    if (next === "(" || next === "{") {
      const opener = next === "(" ? "$(" : "${"
      this.push({ kind: "Substitution", open: i, opener, inDouble, depth: 0 })
      this.emit(opener)
      this.atWordStart = opener === "$("
      return Either.right(i + 2)
    }
    this.emit("$")
    return Either.right(i + 1)
  }

  /** A comment from `i` to the end of the line, copied as it stands. */
  private comment(i: number): Either.Either<number, TemplateError> {
    const end = this.source.indexOf("\n", i)
    const stop = end === -1 ? this.source.length : end
    this.emit(this.source.slice(i, stop))
    return Either.right(stop)
  }

  /** Inside backquotes: only a backslash escapes, and the next backquote closes. */
  private backquoted(i: number): Either.Either<number, TemplateError> {
    const char = this.source.charAt(i)
    const next = this.source[i + 1]
    if (char === "\\" && next !== undefined) {
      this.emit(char + next)
      return Either.right(i + 2)
    }
    this.emit(char)
    if (char === "`") this.pop()
    return Either.right(i + 1)
  }

  /** Inside `$'…'`: a backslash escapes the next character. */
  private ansiC(i: number, frame: Extract<Frame, { kind: "AnsiC" }>): Either.Either<number, TemplateError> {
    const char = this.source.charAt(i)
    const next = this.source[i + 1]
    if (char === "\\" && next !== undefined) {
      if (next === "'") frame.backslashQuote ??= i
      this.emit(char + next)
      return Either.right(i + 2)
    }
    this.emit(char)
    if (char === "'") this.pop()
    return Either.right(i + 1)
  }

  /** Inside `"…"`: `$(`, `${` and backquotes still substitute; a backslash before `%` is literal. */
  private doubleQuoted(i: number): Either.Either<number, TemplateError> {
    const char = this.source.charAt(i)
    const next = this.source[i + 1]
    if (char === "\\" && next !== undefined) {
      // In "…", `\%` is a literal backslash (as in sh): write it as `\\` so it cannot escape the `$` of `${N}`.
      if (next === "%") {
        this.emit("\\\\")
        return Either.right(i + 1)
      }
      this.emit(char + next)
      return Either.right(i + 2)
    }
    if (char === "\"") {
      this.emit(char)
      this.pop()
      return Either.right(i + 1)
    }
    if (char === "`") {
      this.push({ kind: "Substitution", open: i, opener: "`", inDouble: true, depth: 0 })
      this.emit(char)
      return Either.right(i + 1)
    }
    if (char === "$") {
      const dollar = this.dollarBeforePlaceholder(i)
      if (Either.isLeft(dollar)) return Either.left(dollar.left)
      return this.substitution(i, true)
    }
    this.emit(char)
    return Either.right(i + 1)
  }
}

const frameName = (frame: Exclude<Frame, { kind: "Top" }>): string => {
  switch (frame.kind) {
    case "Single":
      return "single quote"
    case "Double":
      return "double quote"
    case "AnsiC":
      return "$'…' string"
    case "Substitution":
      return OPENER_NAMES[frame.opener]
  }
}
