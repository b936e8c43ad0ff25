/**
 * configuration.md `shell: true`, end to end: for every quoting context (outside,
 * "…", '…', and mixed), hostile values run through the real /bin/sh arrive
 * verbatim — no word splitting, no globbing, no execution.
 */
import { randomUUID } from "node:crypto"
import { existsSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { FastCheck as fc } from "effect"
import * as Either from "effect/Either"
import { describe, expect, it } from "vitest"
import { renderArgv, SCRIPT_NAME, SHELL, wordCount } from "../../src/action/index.js"
import { argumentWord, blanks, completeValues, encodeWord, expectedWord, hostileValue, type Values } from "./arbitraries.js"
import { compile, run } from "./helpers.js"

const marker = join(tmpdir(), `f2bc-pwned-${randomUUID()}`)

/** Hostile values plus payloads that would create the marker file if a value were ever executed. */
const attack: fc.Arbitrary<string> = fc.oneof(
  hostileValue,
  fc.constantFrom(
    `$(touch ${marker})`,
    `\`touch ${marker}\``,
    `'; touch ${marker}; '`,
    `"; touch ${marker}; "`,
    `"$(touch ${marker})"`,
    `'$(touch ${marker})'`,
    `\${x:-$(touch ${marker})}`,
    `$((0+$(touch ${marker})))`
  )
)

const attackValues: fc.Arbitrary<Values> = fc
  .record({
    fields: fc.record({ ip: attack, jail: attack, action: attack, "k.1": attack, "a-b": attack, X_9: attack }),
    body: attack,
    channel: attack
  })
  .map(({ body, channel, fields }) => ({ fields: new Map(Object.entries(fields)), body, channel }))

/** `printf '%s\n'` followed by generated words: prints each argument it gets on its own line. */
const printfScript = fc
  .array(fc.tuple(blanks, argumentWord), { minLength: 1, maxLength: 5 })
  .map((rest) => ({
    source: `printf '%%s\\n'${rest.map(([sep, word]) => sep + encodeWord(word)).join("")}`,
    words: rest.map(([, word]) => word)
  }))

describe("configuration.md shell: values travel only as arguments", () => {
  it("in every quoting context, /bin/sh prints exactly the expected words: nothing split, globbed or executed", () => {
    fc.assert(
      fc.property(printfScript, fc.oneof(attackValues, completeValues), ({ source, words }, values) => {
        const template = compile(source, true)
        const argv = Either.getOrThrow(renderArgv(template, values, "reject"))
        expect(argv.length).toBe(wordCount(template))
        expect(run(argv)).toBe(words.map((word) => `${expectedWord(word, values)}\n`).join(""))
      }),
      { numRuns: 100 }
    )
    expect(existsSync(marker)).toBe(false)
  })

  it("the script is fixed by the template: values only appear after it, one per distinct placeholder", () => {
    fc.assert(
      fc.property(printfScript, attackValues, completeValues, ({ source }, a, b) => {
        const template = compile(source, true)
        const first = Either.getOrThrow(renderArgv(template, a, "reject"))
        const second = Either.getOrThrow(renderArgv(template, b, "reject"))
        expect(first.slice(0, 4)).toEqual(second.slice(0, 4))
        expect(first.slice(0, 2)).toEqual([SHELL, "-c"])
        expect(first[3]).toBe(SCRIPT_NAME)
        const valueOf = (values: Values, name: string) =>
          name === "_msg" ? values.body : name === "_channel" ? values.channel : values.fields.get(name)
        expect(first.slice(4)).toEqual(template.placeholders.map((name) => valueOf(a, name)))
      })
    )
  })

  it("shell mode and direct execution give the program the same arguments", () => {
    fc.assert(
      fc.property(printfScript, completeValues, ({ source }, values) => {
        const direct = Either.getOrThrow(renderArgv(compile(source), values, "reject"))
        const viaShell = run(Either.getOrThrow(renderArgv(compile(source, true), values, "reject")))
        expect(viaShell).toBe(direct.slice(2).map((word) => `${word}\n`).join(""))
      }),
      { numRuns: 50 }
    )
  })
})
