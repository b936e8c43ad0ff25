/**
 * Rendering a compiled action with a message into the argv to execute
 * (docs/configuration.md, action templates): each value fills exactly the place its placeholder holds.
 */
import * as Either from "effect/Either"
import { SCRIPT_NAME, SHELL } from "./shell.js"
import { type CompiledTemplate, type MissingPolicy, type RenderContext, RenderError } from "./template.js"

/** The value of one placeholder: `_msg` and `_channel` are computed, any other name is a message key. */
const lookup = (
  name: string,
  context: RenderContext,
  missing: MissingPolicy
): Either.Either<string, RenderError> => {
  if (name === "_msg") return Either.right(context.body)
  if (name === "_channel") return Either.right(context.channel)
  const value = context.fields.get(name)
  if (value !== undefined) return Either.right(value)
  return missing === "empty" ? Either.right("") : Either.left(new RenderError({ reason: "MissingKey", key: name }))
}

/**
 * The argv for one message. Without a shell: one entry per compiled word.
 * With `shell: true`: `["/bin/sh", "-c", SCRIPT, "f2bc", V1, …]`, one value per
 * distinct placeholder, in `template.placeholders` order.
 */
export const renderArgv = (
  template: CompiledTemplate,
  context: RenderContext,
  missing: MissingPolicy
): Either.Either<ReadonlyArray<string>, RenderError> => {
  const values = new Map<string, string>()
  for (const name of template.placeholders) {
    const value = lookup(name, context, missing)
    if (Either.isLeft(value)) return Either.left(value.left)
    values.set(name, value.right)
  }
  const body = template.body
  if (body._tag === "Script") {
    return Either.right([SHELL, "-c", body.script, SCRIPT_NAME, ...template.placeholders.map((name) => values.get(name) ?? "")])
  }
  return Either.right(body.words.map((word) =>
    word.map((segment) => segment._tag === "Literal" ? segment.text : values.get(segment.name) ?? "").join("")
  ))
}

/** The length of every argv `renderArgv` returns for this template. */
export const wordCount = (template: CompiledTemplate): number =>
  template.body._tag === "Argv" ? template.body.words.length : 4 + template.placeholders.length
