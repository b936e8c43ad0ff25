/**
 * YAML errors point at their likely cause (an unclosed quote or bracket, the first of two equal keys),
 * hostile shapes (deep nesting, tens of thousands of keys) are refused quickly and without a crash.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import { performance } from "node:perf_hooks"
import { ConfigError, decodeConfig } from "../../src/config/index.js"

const refusal = (yaml: string): ConfigError =>
  Either.match(decodeConfig(yaml, "<inline>"), {
    onLeft: (error) => error,
    onRight: () => {
      throw new Error("expected the config to be refused")
    }
  })

const server = (action: string): string => `servers:
  - host: 127.0.0.1
    port: 1986
    channels:
      - name: Fail2ban
        filter: []
        action: ${action}
      - name: other
        action: echo

log_level: 2
`

describe("a YAML syntax error names where it likely starts, with that line quoted", () => {
  it("an unclosed double quote on line 7, noticed at the end of the file", () => {
    const error = refusal(server(`"fail2ban-client set %jail% banip %ip%`))
    expect(error.reason).toBe("Syntax")
    expect(error.message).toBe([
      "invalid YAML in <inline> at line 12, column 1: Missing closing \"quote",
      "  likely cause: the \" at line 7, column 17 is never closed",
      "    7 |         action: \"fail2ban-client set %jail% banip %ip%"
    ].join("\n"))
  })

  it("an unclosed single quote", () => {
    const error = refusal(server(`'echo %ip%`))
    expect(error.message).toContain("\n  likely cause: the ' at line 7, column 17 is never closed\n    7 |         action: 'echo %ip%")
  })

  it("an unclosed flow sequence", () => {
    const error = refusal("servers:\n  - host: [127.0.0.1\n    port: 1986\n    channels:\n      - name: x\n        action: echo\n")
    expect(error.message.split("\n").slice(0, 3)).toEqual([
      "invalid YAML in <inline> at line 3, column 5: Flow sequence in block collection must be sufficiently indented and end with a ]",
      "  likely cause: the [ at line 2, column 11 is never closed",
      "    2 |   - host: [127.0.0.1"
    ])
  })

  it("a key written twice names the first one", () => {
    const error = refusal("log_level: 1\nservers: []\nlog_level: 3\n")
    expect(error.issues[0]?.message).toBe(
      "line 3, column 1: Map keys must be unique\n  likely cause: \"log_level\" is first set at line 1, column 1\n    1 | log_level: 1"
    )
  })

  it("adds nothing when the error is where it starts, and escapes control characters in the quoted line", () => {
    expect(refusal("servers:\n  - host: a: b\n").message).not.toContain("likely cause")
    const error = refusal("servers:\n  - host: \"a\u001b[31m\u202e\n")
    expect(error.message).toContain("    2 |   - host: \"a\\u001b[31m\\u202e")
  })

  it("keeps a quote closed by an escaped backslash, and a doubled single quote, closed", () => {
    const error = refusal("a: \"x\\\\\"\nb: 'it''s'\nc: [\n")
    expect(error.message).toContain("likely cause: the [ at line 3, column 4 is never closed")
  })
})

describe("hostile YAML is refused without a crash", () => {
  const nested = (depth: number): Record<string, string> => ({
    "flow sequences": `servers: ${"[".repeat(depth)}1${"]".repeat(depth)}\n`,
    "flow mappings": `servers: ${"{a: ".repeat(depth)}1${"}".repeat(depth)}\n`,
    "block sequences": `servers:\n${"- ".repeat(depth)}1\n`,
    // Each level indents one more space: 5000 levels are 12.5 MB already.
    "block mappings": Array.from({ length: Math.min(depth, 5000) }, (_, i) => `${" ".repeat(i)}a:\n`).join("") + `${" ".repeat(Math.min(depth, 5000))}1\n`
  })

  for (const depth of [100, 5000, 100_000]) {
    for (const [shape, yaml] of Object.entries(nested(depth))) {
      it(`${shape} ${depth} levels deep: a syntax error at the first level too deep`, () => {
        const error = refusal(yaml)
        expect(error.reason).toBe("Syntax")
        expect(error.issues).toHaveLength(1)
        expect(error.issues[0]?.message).toMatch(/^line \d+, column \d+: nested deeper than 64 levels \(a config needs about 8\)$/)
      })
    }
  }

  it("accepts 64 levels", () => {
    const error = refusal(`x: ${"[".repeat(63)}1${"]".repeat(63)}\nservers: []\n`)
    expect(error.reason).toBe("Invalid")
  })

  const unknownKeys = (n: number): string =>
    server("echo") + Array.from({ length: n }, (_, i) => `k${i}: 1\n`).join("")

  const fastest = (yaml: string): number => {
    let best = Infinity
    for (let run = 0; run < 3; run++) {
      const start = performance.now()
      expect(refusal(yaml).issues.length).toBeGreaterThan(0)
      best = Math.min(best, performance.now() - start)
    }
    return best
  }

  it("reports n unknown keys in time linear in n (4n keys take well under 16 times as long)", () => {
    fastest(unknownKeys(1000))
    const small = fastest(unknownKeys(5000))
    const large = fastest(unknownKeys(20_000))
    expect(refusal(unknownKeys(20_000)).issues).toHaveLength(20_000)
    expect(large / small).toBeLessThan(8)
  }, 120_000)
})
