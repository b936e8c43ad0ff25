/**
 * configuration.md properties of actions without a shell: a value never becomes a
 * second argument, compiling and rendering never throw, and the word
 * splitting agrees with /bin/sh's own quoting.
 */
import { spawnSync } from "node:child_process"
import { FastCheck as fc } from "effect"
import * as Either from "effect/Either"
import { describe, expect, it } from "vitest"
import { compileTemplate, renderArgv, wordCount } from "../../src/action/index.js"
import {
  completeValues,
  expectedWord,
  generatedTemplate,
  hostileValue,
  hostileValues,
  isPlaceholder,
  valueOf
} from "./arbitraries.js"
import { compile } from "./helpers.js"

describe("configuration.md no shell: a value can never become a second argument", () => {
  it("for hostile values, argv has exactly wordCount entries and each is the word's literal text with the values in place", () => {
    fc.assert(
      fc.property(generatedTemplate, completeValues, ({ source, words }, values) => {
        const template = compile(source)
        const argv = renderArgv(template, values, "reject")
        expect(Either.isRight(argv)).toBe(true)
        if (Either.isLeft(argv)) return
        expect(argv.right.length).toBe(wordCount(template))
        expect(argv.right.length).toBe(words.length)
        expect(argv.right).toEqual(words.map((word) => expectedWord(word, values)))
        words.forEach((word, index) => {
          for (const part of word.flatMap((group) => group.parts)) {
            if (isPlaceholder(part)) expect(argv.right[index]).toContain(valueOf(values, part.placeholder))
          }
        })
      }),
      { numRuns: 1000 }
    )
  })

  it("with missing: empty, a missing key renders as \"\" and the word count is unchanged", () => {
    fc.assert(
      fc.property(generatedTemplate, hostileValues, ({ source, words }, values) => {
        const template = compile(source)
        const argv = renderArgv(template, values, "empty")
        expect(Either.getOrThrow(argv)).toEqual(words.map((word) => expectedWord(word, values)))
      })
    )
  })

  it("with missing: reject, rendering fails exactly when a used key is absent, naming the first such key", () => {
    fc.assert(
      fc.property(generatedTemplate, hostileValues, ({ source }, values) => {
        const template = compile(source)
        const absent = template.placeholders.find((name) => !name.startsWith("_") && !values.fields.has(name))
        const argv = renderArgv(template, values, "reject")
        if (absent === undefined) expect(Either.isRight(argv)).toBe(true)
        else expect(Either.isLeft(argv) && argv.left.key).toBe(absent)
      })
    )
  })
})

describe("configuration.md compiling and rendering are total", () => {
  const syntax = fc.string({
    unit: fc.constantFrom("a", " ", "\t", "\n", "%", "%ip%", "%%", "'", "\"", "\\", "$", "$(", "${", "$'", "`", "(", ")", "((", "}", "#", "<<", "|", ";", "😀"),
    maxLength: 30
  })
  const anything = fc.oneof(syntax, fc.string({ unit: "binary", maxLength: 30 }))

  it("compileTemplate never throws, and a refusal points inside the source", () => {
    fc.assert(
      fc.property(anything, fc.boolean(), (source, shell) => {
        const result = compileTemplate(source, { shell })
        if (Either.isLeft(result)) {
          expect(result.left.column).toBeGreaterThanOrEqual(0)
          expect(result.left.column).toBeLessThanOrEqual(source.length)
          expect(result.left.source).toBe(source)
          expect(result.left.message.length).toBeGreaterThan(0)
        } else {
          expect(new Set(result.right.placeholders).size).toBe(result.right.placeholders.length)
        }
      }),
      { numRuns: 5000 }
    )
  })

  it("renderArgv never throws and is deterministic, for any compiled action, values and policy", () => {
    fc.assert(
      fc.property(
        fc.oneof(generatedTemplate.map((t) => t.source), anything),
        fc.boolean(),
        hostileValues,
        fc.constantFrom("reject" as const, "empty" as const),
        (source, shell, values, missing) => {
          const compiled = compileTemplate(source, { shell })
          if (Either.isLeft(compiled)) return
          const first = renderArgv(compiled.right, values, missing)
          const second = renderArgv(compiled.right, values, missing)
          expect(second).toEqual(first)
          if (Either.isRight(first)) expect(first.right.length).toBe(wordCount(compiled.right))
        }
      ),
      { numRuns: 2000 }
    )
  })

  it("a compiled action's words do not depend on the values: the same template always renders the same number of words", () => {
    fc.assert(
      fc.property(generatedTemplate, completeValues, completeValues, ({ source }, a, b) => {
        const template = compile(source)
        expect(Either.getOrThrow(renderArgv(template, a, "reject")).length).toBe(
          Either.getOrThrow(renderArgv(template, b, "reject")).length
        )
      })
    )
  })

  it("the value map may hold anything; only the placeholders' keys are read", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), hostileValue), (fields) => {
        const template = compile("cmd %ip%")
        const argv = renderArgv(template, { fields: new Map(Object.entries(fields)), body: "", channel: "" }, "empty")
        expect(Either.getOrThrow(argv)).toEqual(["cmd", Object.hasOwn(fields, "ip") ? fields["ip"] : ""])
      })
    )
  })
})

describe("configuration.md no shell: the word splitting is sh's quoting (differential test against /bin/sh)", () => {
  const quoting = fc.string({
    unit: fc.constantFrom("a", "b", " ", "\t", "\n", "'", "\"", "\\", "\\\\", "\\'", "\\\"", "\\ ", "\\\n", "''", "\"\""),
    maxLength: 16
  })

  it("an action without placeholders or shell syntax splits into the words /bin/sh would pass", () => {
    fc.assert(
      fc.property(quoting, (source) => {
        const compiled = compileTemplate(`cmd ${source}`, { shell: false })
        if (Either.isLeft(compiled)) {
          expect(["UnterminatedQuote", "TrailingBackslash", "ShellSyntax"]).toContain(compiled.left.reason)
          return
        }
        const ours = Either.getOrThrow(renderArgv(compiled.right, { fields: new Map(), body: "", channel: "" }, "reject"))
        const sh = spawnSync("/bin/sh", ["-c", `printf '<%s>' X ${source}`], { encoding: "utf8" })
        expect(sh.status).toBe(0)
        expect(sh.stdout).toBe(["X", ...ours.slice(1)].map((word) => `<${word}>`).join(""))
      }),
      { numRuns: 150 }
    )
  })
})
