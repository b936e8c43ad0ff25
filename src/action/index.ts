/**
 * Action templates (docs/configuration.md, action templates): compile an action at config load, render it
 * with a message into the argv to execute. Pure: no I/O.
 */
export { compileTemplate } from "./compile.js"
export { renderArgv, wordCount } from "./render.js"
export { SCRIPT_NAME, SHELL } from "./shell.js"
export { soleWordOf } from "./word.js"
export {
  type CompiledTemplate,
  type MissingPolicy,
  type RenderContext,
  RenderError,
  type Segment,
  type TemplateBody,
  TemplateError,
  type TemplateErrorReason,
  type TemplateOptions,
  type Word
} from "./template.js"
