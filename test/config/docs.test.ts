/**
 * docs/configuration.md's "Every key in one table" against the schema the
 * loader uses: every accepted key has a row, and every row is a real key.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import * as AST from "effect/SchemaAST"
import { describe, expect, it } from "vitest"
import { RawConfig } from "../../src/config/schema.js"

const ROOT = path.resolve(import.meta.dirname, "../..")

/** Every key path the schema accepts: `servers[].channels[].name`, `broker.host`, … */
const keyPaths = (ast: AST.AST, prefix: string, into: Set<string>): void => {
  switch (ast._tag) {
    case "TypeLiteral":
      // A record (`types`) is a leaf: its keys are the user's.
      if (ast.indexSignatures.length > 0 && ast.propertySignatures.length === 0) return
      for (const property of ast.propertySignatures) {
        const name = `${prefix}${String(property.name)}`
        into.add(name)
        keyPaths(property.type, `${name}.`, into)
      }
      return
    case "TupleType":
      for (const rest of ast.rest) keyPaths(rest.type, `${prefix.slice(0, -1)}[].`, into)
      return
    case "Union":
      for (const member of ast.types) keyPaths(member, prefix, into)
      return
    case "Refinement":
      return keyPaths(ast.from, prefix, into)
    case "Transformation":
      return keyPaths(ast.from, prefix, into)
    case "Suspend":
      return keyPaths(ast.f(), prefix, into)
    default:
      return
  }
}

/** The rows of a `## heading` section's tables. */
const rowsOf = (text: string, heading: string): ReadonlyArray<string> => {
  const start = text.indexOf(heading)
  if (start === -1) return []
  const section = text.slice(start)
  const body = section.slice(0, section.indexOf("\n## ", 5) === -1 ? undefined : section.indexOf("\n## ", 5))
  return [...body.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]!)
}

/** The table of every key, and the NATS server keys, documented in their own section. */
const documentedKeys = (): Set<string> => {
  const text = fs.readFileSync(path.join(ROOT, "docs/configuration.md"), "utf8")
  return new Set([...rowsOf(text, "## Every key in one table"), ...rowsOf(text, "## NATS servers")])
}

describe("docs/configuration.md lists every config key", () => {
  const accepted = new Set<string>()
  keyPaths(RawConfig.ast, "", accepted)
  // Filter entries are documented once, in the Filters section, not per place a filter may appear.
  const filterEntry = /\.filter\[\]\.(key|values)$|^servers\[\]\.filter\[\]|\.filter\[\]$/
  const keys = [...accepted].filter((key) => !filterEntry.test(key))

  it("finds the schema's keys (the walk itself works)", () => {
    expect(keys).toContain("servers[].channels[].action")
    expect(keys).toContain("broker.max_subscriptions")
    expect(keys).toContain("metrics.listen")
  })

  it("has a row for every key the loader accepts", () => {
    const documented = documentedKeys()
    expect(keys.filter((key) => !documented.has(key))).toEqual([])
  })

  it("has no row for a key the loader refuses", () => {
    expect([...documentedKeys()].filter((key) => !accepted.has(key))).toEqual([])
  })
})
