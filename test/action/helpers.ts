/**
 * Shared helpers for the action tests: compile-or-fail, render-or-fail,
 * and running a rendered argv for real (the one place these tests do I/O).
 */
import { spawnSync } from "node:child_process"
import * as Either from "effect/Either"
import { expect } from "vitest"
import {
  type CompiledTemplate,
  compileTemplate,
  type MissingPolicy,
  renderArgv,
  type RenderContext,
  TemplateError
} from "../../src/action/index.js"

export const compile = (source: string, shell = false): CompiledTemplate => {
  const result = compileTemplate(source, { shell })
  if (Either.isLeft(result)) throw new Error(`expected ${JSON.stringify(source)} to compile: ${result.left.message}`)
  return result.right
}

export const compileError = (source: string, shell = false): TemplateError => {
  const result = compileTemplate(source, { shell })
  if (Either.isRight(result)) throw new Error(`expected ${JSON.stringify(source)} to be refused`)
  expect(result.left).toBeInstanceOf(TemplateError)
  return result.left
}

export const context = (
  fields: Record<string, string>,
  body = "jail=sshd, action=banip, ip=192.168.0.1",
  channel = "Fail2ban"
): RenderContext => ({ fields: new Map(Object.entries(fields)), body, channel })

export const render = (
  template: CompiledTemplate,
  ctx: RenderContext,
  missing: MissingPolicy = "reject"
): ReadonlyArray<string> => {
  const result = renderArgv(template, ctx, missing)
  if (Either.isLeft(result)) throw new Error(`expected rendering to succeed: ${result.left.message}`)
  return result.right
}

/** Runs an argv directly (no shell of ours) and returns what it printed; fails the test on a non-zero exit. */
export const run = (argv: ReadonlyArray<string>): string => {
  const [command, ...args] = argv
  if (command === undefined) throw new Error("empty argv")
  const result = spawnSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 10_000 })
  if (result.error !== undefined) throw result.error
  expect(result.stderr).toBe("")
  expect(result.status).toBe(0)
  return result.stdout
}
