/**
 * The issue formatter behind configuration.md's messages: Effect Schema parse issues
 * become `path: message` lines an operator can act on, in path order.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { ConfigError, formatIssue } from "../../src/config/errors.js"
import { describeValue, friendlyIssues } from "../../src/config/issues.js"
import { comparePath, formatPath, toConfigIssues, type IssuePath } from "../../src/config/path.js"
import { ExpectedId } from "../../src/config/schema.js"

/** The friendly issues of decoding `input` with `schema`, as `path: message` lines. */
const report = <A, I>(schema: Schema.Schema<A, I>, input: unknown): ReadonlyArray<string> =>
  Either.match(Schema.decodeUnknownEither(schema, { errors: "all", onExcessProperty: "error" })(input), {
    onLeft: (error) => toConfigIssues(friendlyIssues(error.issue)).map(formatIssue),
    onRight: () => []
  })

describe("formatPath: keys dotted, indexes in brackets", () => {
  it("renders the root as the empty string", () => {
    expect(formatPath([])).toBe("")
  })

  it("renders servers[0].channels[1].action", () => {
    expect(formatPath(["servers", 0, "channels", 1, "action"])).toBe("servers[0].channels[1].action")
  })

  it("quotes a key that is not a plain word, so it cannot be mistaken for structure", () => {
    expect(formatPath(["servers", 0, "a.b"])).toBe(`servers[0]["a.b"]`)
    expect(formatPath(["", "x"])).toBe(`[""].x`)
  })
})

describe("comparePath: issues are listed in document order", () => {
  const sorted = (paths: ReadonlyArray<IssuePath>) => [...paths].sort(comparePath).map(formatPath)

  it("puts a parent before its children and indexes in numeric order", () => {
    expect(sorted([["servers", 10], ["servers", 2, "port"], ["servers"], ["servers", 2]])).toEqual([
      "servers",
      "servers[2]",
      "servers[2].port",
      "servers[10]"
    ])
  })

  it("orders sibling keys alphabetically", () => {
    expect(sorted([["servers", 0, "port"], ["servers", 0, "channels", 1, "action"], ["log_level"]])).toEqual([
      "log_level",
      "servers[0].channels[1].action",
      "servers[0].port"
    ])
  })

  it("keeps issues at one path in the order they were found", () => {
    expect(toConfigIssues([{ path: ["a"], message: "2" }, { path: [], message: "0" }, { path: ["a"], message: "1" }]))
      .toEqual([{ path: "", message: "0" }, { path: "a", message: "2" }, { path: "a", message: "1" }])
  })
})

describe("describeValue: what the operator wrote, briefly", () => {
  it("quotes strings, shows numbers and booleans, names lists and mappings", () => {
    expect([describeValue("abc"), describeValue(7), describeValue(false), describeValue(null)]).toEqual([
      `"abc"`,
      "7",
      "false",
      "nothing (null)"
    ])
    expect([describeValue([]), describeValue([1]), describeValue({ a: 1 })]).toEqual([
      "an empty list",
      "a list",
      "a mapping"
    ])
  })

  it("shortens a long string and escapes control characters", () => {
    expect(describeValue("x".repeat(100))).toBe(`"${"x".repeat(60)}…"`)
    expect(describeValue("a\nb")).toBe(`"a\\nb"`)
  })
})

describe("friendlyIssues: Effect's issues in the config's words", () => {
  const Port = Schema.Number.pipe(Schema.int(), Schema.between(1, 9)).annotations({ [ExpectedId]: "a digit from 1 to 9" })
  const Inner = Schema.Struct({ port: Port, name: Schema.String })
  const Outer = Schema.Struct({ items: Schema.Array(Inner), flag: Schema.optionalWith(Schema.Boolean, { exact: true }) })

  it("says `is missing` for a missing key", () => {
    expect(report(Outer, { items: [{ port: 1 }] })).toEqual(["items[0].name: is missing"])
  })

  it("names the expected keys for an unknown key", () => {
    expect(report(Outer, { items: [], flg: true })).toEqual(["flg: unknown key (expected one of: items, flag)"])
  })

  it("uses the annotation for a refinement, whether its type or its predicate fails", () => {
    expect(report(Outer, { items: [{ port: "x", name: "a" }, { port: 10, name: "b" }, { port: 1.5, name: "c" }] }))
      .toEqual([
        `items[0].port: must be a digit from 1 to 9, got "x"`,
        "items[1].port: must be a digit from 1 to 9, got 10",
        "items[2].port: must be a digit from 1 to 9, got 1.5"
      ])
  })

  it("describes an unannotated type by its kind", () => {
    expect(report(Outer, { items: {}, flag: "yes" })).toEqual([
      `flag: must be true or false, got "yes"`,
      "items: must be a list, got a mapping"
    ])
    expect(report(Outer, [])).toEqual(["the config must be a mapping, got an empty list"])
  })

  it("reports inside the union member a value was meant to be, not every member", () => {
    const Maybe = Schema.Struct({ section: Schema.NullOr(Inner) })
    expect(report(Maybe, { section: { port: 1, name: "a", extra: 1 } })).toEqual([
      "section.extra: unknown key (expected one of: port, name)"
    ])
    expect(report(Maybe, { section: 5 })).toEqual(["section: must be a mapping or nothing (null), got 5"])
  })

  it("sees through optional keys with defaults", () => {
    const WithDefault = Schema.Struct({ port: Schema.optionalWith(Port, { exact: true, default: () => 1 }) })
    expect(report(WithDefault, { port: 0, other: 1 })).toEqual([
      "other: unknown key (expected one of: port)",
      "port: must be a digit from 1 to 9, got 0"
    ])
  })
})

describe("ConfigError.message", () => {
  it("Invalid: a header naming the source, then one indented `path: message` line per issue", () => {
    const error = new ConfigError({
      source: "/etc/f.yml",
      reason: "Invalid",
      issues: [{ path: "servers[0].channels[1].action", message: "is missing" }, { path: "", message: "root" }]
    })
    expect(error.message).toBe("invalid config /etc/f.yml:\n  servers[0].channels[1].action: is missing\n  root")
  })

  it("Read: names the source and the system's reason", () => {
    const error = new ConfigError({ source: "/x.yml", reason: "Read", issues: [{ path: "", message: "permission denied (EACCES)" }] })
    expect(error.message).toBe("cannot read config /x.yml: permission denied (EACCES)")
  })

  it("Syntax: names the source, line and column; further YAML errors follow on their own lines", () => {
    const error = new ConfigError({
      source: "a.yml",
      reason: "Syntax",
      issues: [{ path: "", message: "line 2, column 1: bad" }, { path: "", message: "line 3, column 4: worse" }]
    })
    expect(error.message).toBe("invalid YAML in a.yml at line 2, column 1: bad\n  at line 3, column 4: worse")
  })

  it("is a tagged error an Effect program can catch by tag", () => {
    expect(new ConfigError({ source: "s", reason: "Read", issues: [] })._tag).toBe("ConfigError")
  })
})
