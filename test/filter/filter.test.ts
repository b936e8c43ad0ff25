/**
 * Examples of filter evaluation (configuration.md), starting from the seed README's filter
 * `(%action% == "banip" || %action% == "unbanip") && %jail% == "sshd"`.
 */
import { describe, expect, it } from "vitest"
import { renderRejection } from "../../src/decide/rejection.js"
import { checkFilters, evaluateFilter, type FilterVerdict } from "../../src/filter/index.js"

/** A refusal as the log phrases it (`decide/rejection.ts` renders every stage's cause). */
const describeVerdict = (verdict: Extract<FilterVerdict, { _tag: "Reject" }>): string => renderRejection({ _tag: "Filter", verdict })
import type { Filter } from "../../src/filter/index.js"

const fields = (entries: Record<string, string>): ReadonlyMap<string, string> => new Map(Object.entries(entries))

const seed: Filter = [
  { key: "action", values: ["banip", "unbanip"] },
  { key: "jail", values: ["sshd"] }
]

describe("configuration.md filters: the seed README example", () => {
  it("passes `jail=sshd, action=banip, ip=192.168.0.1`", () => {
    expect(evaluateFilter(seed, fields({ jail: "sshd", action: "banip", ip: "192.168.0.1" }))).toEqual({ pass: true })
  })

  it("passes action=unbanip (OR within an entry)", () => {
    expect(evaluateFilter(seed, fields({ jail: "sshd", action: "unbanip" })).pass).toBe(true)
  })

  it("rejects a jail that is not sshd (AND across entries), naming the key and value", () => {
    expect(evaluateFilter(seed, fields({ jail: "nginx", action: "banip" }))).toEqual({
      pass: false,
      key: "jail",
      value: "nginx",
      values: ["sshd"]
    })
  })

  it("rejects an action outside the list even when the jail matches", () => {
    expect(evaluateFilter(seed, fields({ jail: "sshd", action: "flush" }))).toMatchObject({ pass: false, key: "action" })
  })

  it("reports the first failing entry in filter order", () => {
    expect(evaluateFilter(seed, fields({ jail: "x", action: "y" }))).toMatchObject({ pass: false, key: "action" })
  })
})

describe("configuration.md filters: rules", () => {
  it("compares exactly and case-sensitively", () => {
    expect(evaluateFilter(seed, fields({ jail: "SSHD", action: "banip" }))).toMatchObject({ pass: false, key: "jail" })
    expect(evaluateFilter(seed, fields({ jail: "sshd ", action: "banip" }))).toMatchObject({ pass: false, key: "jail" })
    expect(evaluateFilter(seed, fields({ jail: "sshd", action: "BanIP" }))).toMatchObject({ pass: false, key: "action" })
  })

  it("rejects a message that lacks a filtered key, with value undefined", () => {
    expect(evaluateFilter(seed, fields({ action: "banip" }))).toEqual({
      pass: false,
      key: "jail",
      value: undefined,
      values: ["sshd"]
    })
  })

  it("an empty filter passes every message, even one without fields", () => {
    expect(evaluateFilter([], fields({}))).toEqual({ pass: true })
    expect(evaluateFilter([], fields({ a: "1" }))).toEqual({ pass: true })
  })

  it("an entry with an empty values list never passes", () => {
    expect(evaluateFilter([{ key: "jail", values: [] }], fields({ jail: "sshd" }))).toMatchObject({
      pass: false,
      key: "jail"
    })
  })

  it("an empty value matches only an empty allowed value", () => {
    expect(evaluateFilter([{ key: "a", values: [""] }], fields({ a: "" })).pass).toBe(true)
    expect(evaluateFilter([{ key: "a", values: ["x"] }], fields({ a: "" })).pass).toBe(false)
  })
})

describe("configuration.md filters: server and channel levels", () => {
  const server: Filter = [{ key: "action", values: ["banip", "unbanip"] }]
  const channel: Filter = [{ key: "jail", values: ["sshd"] }]

  it("passes a message that passes both the server's and the channel's filter", () => {
    expect(checkFilters({ server, channel }, fields({ jail: "sshd", action: "banip" }))).toEqual({ _tag: "Pass" })
  })

  it("rejects with scope server when the server filter fails", () => {
    expect(checkFilters({ server, channel }, fields({ jail: "sshd", action: "flush" }))).toEqual({
      _tag: "Reject",
      scope: "server",
      key: "action",
      value: "flush",
      values: ["banip", "unbanip"]
    })
  })

  it("rejects with scope channel when only the channel filter fails", () => {
    expect(checkFilters({ server, channel }, fields({ jail: "nginx", action: "banip" }))).toMatchObject({
      _tag: "Reject",
      scope: "channel",
      key: "jail",
      value: "nginx"
    })
  })

  it("checks the server filter first when both fail", () => {
    expect(checkFilters({ server, channel }, fields({}))).toMatchObject({ _tag: "Reject", scope: "server" })
  })

  it("with no filter at either level, every message passes", () => {
    expect(checkFilters({ server: [], channel: [] }, fields({}))).toEqual({ _tag: "Pass" })
  })
})

describe("filter verdicts in the log", () => {
  it("names the scope, key, rejected value and allowed values", () => {
    expect(
      describeVerdict({ _tag: "Reject", scope: "server", key: "jail", value: "ssh", values: ["sshd"] })
    ).toBe("jail=\"ssh\" is not one of [sshd] (server filter)")
  })

  it("says when the key is missing", () => {
    expect(
      describeVerdict({ _tag: "Reject", scope: "channel", key: "jail", value: undefined, values: ["sshd"] })
    ).toBe("key \"jail\" is missing (channel filter)")
  })

  it("escapes control characters and bounds the length of the message's value", () => {
    const text = describeVerdict({
      _tag: "Reject",
      scope: "server",
      key: "k",
      value: `\u001b[31m${"x".repeat(1000)}`,
      values: ["a"]
    })
    expect(text).not.toContain("\u001b")
    expect(text.length).toBeLessThan(300)
  })
})
