/**
 * The action template model (docs/configuration.md, action templates): a compiled template, the context a
 * message renders it with, and the errors of compiling and rendering.
 */
import * as Data from "effect/Data"
import * as Either from "effect/Either"

/** What a placeholder whose key the message lacks becomes: an error, or "" (the original's behaviour). */
export type MissingPolicy = "reject" | "empty"

export interface TemplateOptions {
  /** Run the action as a /bin/sh script instead of executing its words directly. */
  readonly shell: boolean
}

/** A piece of one argv word: fixed text from the config, or a value from the message. */
export type Segment =
  | { readonly _tag: "Literal"; readonly text: string }
  | { readonly _tag: "Placeholder"; readonly name: string }

/** One argv word: its segments are concatenated, so a value never splits or joins words. */
export type Word = ReadonlyArray<Segment>

/**
 * How the template becomes an argv.
 * - `Argv`: the words, split at config load; each renders to exactly one argv entry.
 * - `Script`: a fixed /bin/sh script in which placeholder `placeholders[k]`
 *   is the positional parameter `${k+1}`; values travel only as arguments.
 */
export type TemplateBody =
  | { readonly _tag: "Argv"; readonly words: ReadonlyArray<Word> }
  | { readonly _tag: "Script"; readonly script: string }

export interface CompiledTemplate {
  readonly source: string
  readonly shell: boolean
  /** Distinct placeholder names, in first-use order (may include "_msg", "_channel"). */
  readonly placeholders: ReadonlyArray<string>
  readonly body: TemplateBody
}

/** What a message provides to a template. */
export interface RenderContext {
  /** The message's pairs (empty for a plain-text message). */
  readonly fields: ReadonlyMap<string, string>
  /** The whole message text, envelope removed: the value of `%_msg%`. */
  readonly body: string
  /** The channel the message arrived on: the value of `%_channel%`. */
  readonly channel: string
}

export type TemplateErrorReason =
  | "Empty"
  | "UnterminatedQuote"
  | "TrailingBackslash"
  | "ShellSyntax"
  | "BadPlaceholder"
  | "PlaceholderInCommand"
  | "PlaceholderInSubstitution"

/**
 * An action that cannot be compiled. `detail` is a complete clause whose
 * subject is the action (e.g. `uses shell syntax "|" at column 12 …`), so a
 * config error can read `servers[0].channels[0].action: <detail>`.
 */
export class TemplateError extends Data.TaggedError("TemplateError")<{
  readonly reason: TemplateErrorReason
  readonly source: string
  /** 0-based index in `source` where the problem is. */
  readonly column: number
  readonly detail: string
}> {
  override get message(): string {
    return `action ${this.detail}`
  }
}

export class RenderError extends Data.TaggedError("RenderError")<{
  readonly reason: "MissingKey"
  readonly key: string
}> {
  override get message(): string {
    return `message has no key "${this.key}", which the action uses as %${this.key}%`
  }
}

/** A compile failure at `column` of `source`. */
export const failure = (
  reason: TemplateError["reason"],
  source: string,
  column: number,
  detail: string
): Either.Either<never, TemplateError> => Either.left(new TemplateError({ reason, source, column, detail }))

/** The action ends with an unpaired backslash (both modes). */
export const trailingBackslash = (source: string, column: number) =>
  failure("TrailingBackslash", source, column, `ends with a backslash at column ${column}; write \\\\ for a literal backslash`)
