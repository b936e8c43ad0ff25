/**
 * The one renderer of rejections: every cause, rendered as the daemon logs it,
 * is the exact text the docs quote (troubleshooting tables, examples).
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { RenderError } from "../../src/action/index.js"
import { keyOf, rejectionLine, stageOf, type Rejection } from "../../src/decide/rejection.js"
import { MessageError } from "../../src/message/index.js"
import { escapeUnsafe } from "../../src/text/untrusted.js"

const docs = (name: string): string => fs.readFileSync(path.join(import.meta.dirname, "../../docs", name), "utf8")

/** Each cause with the docs file that quotes its line, and the line exactly as the log shows it. */
const CASES: ReadonlyArray<readonly [string, Rejection, string]> = [
  ["security.md", { _tag: "Channel", reason: "Unconfigured", channel: "x" }, `ignored: delivery on unconfigured channel "x"`],
  ["operations.md", { _tag: "Channel", reason: "Reserved", channel: "all" }, `ignored: delivery on reserved channel "all"`],
  ["operations.md", { _tag: "Grammar", error: new MessageError({ reason: "DuplicateKey", part: "ip", index: 3 }) }, `rejected at grammar: duplicate key "ip" in part 4`],
  ["security.md", { _tag: "Envelope", reason: "Malformed", key: "_id" }, "rejected at envelope: _id must be 32 lowercase hex digits"],
  ["configuration.md", { _tag: "Envelope", reason: "Missing", key: "_id" }, "rejected at envelope: _id is missing (a signed channel needs _id and _ts)"],
  ["security.md", { _tag: "Signature", reason: "Mismatch" }, "rejected at signature: _sig does not match (wrong secret, or the message was changed)"],
  ["operations.md", { _tag: "Signature", reason: "Missing" }, "rejected at signature: _sig is missing (this channel has a secret: only signed messages are accepted)"],
  ["configuration.md", { _tag: "Signature", reason: "NotLast" }, "must be the last pair"],
  [
    "security.md",
    { _tag: "Timestamp", ts: 1795614370, nowMs: (1795614370 + 602) * 1000, maxSkewMs: 120_000 },
    "rejected at timestamp: _ts=1795614370 is 602 s behind this host's clock (max_skew 120 s)"
  ],
  [
    "operations.md",
    { _tag: "Duplicate", id: "c291ac7267b72a991c07ca05da7cd90d", agoMs: 0 },
    "skipped at duplicate: duplicate of _id=c291ac7267b72a991c07ca05da7cd90d executed 0.0 s ago (received through another server, or replayed)"
  ],
  ["security.md", { _tag: "Origin", origin: "web1" }, "skipped at origin: own message: _origin=web1 is this daemon's node_name (a host does not re-apply its own bans)"],
  [
    "security.md",
    { _tag: "Types", key: "ip", value: "--help", problem: { reason: "LeadingDash" }, wholeText: false },
    `rejected at types: ip="--help" starts with "-" (it could pass as an option)`
  ],
  [
    "configuration.md",
    { _tag: "Types", key: "ip", value: "192.0.2.7; rm -rf /", problem: { reason: "NotOfType", type: { _tag: "ip" } }, wholeText: false },
    `rejected at types: ip="192.0.2.7; rm -rf /" is not an IP address`
  ],
  [
    "configuration.md",
    { _tag: "Types", key: "port", value: "x22", problem: { reason: "NotOfType", type: { _tag: "int" } }, wholeText: false },
    `rejected at types: port="x22" is not an integer`
  ],
  [
    "configuration.md",
    { _tag: "Types", key: "note", value: "a\u001b[31m", problem: { reason: "Forbidden", character: { kind: "control", code: 0x1b, index: 1 } }, wholeText: false },
    `rejected at types: note="a\\u001b[31m" contains a control character U+001B at position 1`
  ],
  [
    "security.md",
    { _tag: "Types", key: "note", value: "a\u202eb", problem: { reason: "Forbidden", character: { kind: "bidi", code: 0x202e, index: 1 } }, wholeText: false },
    `rejected at types: note="a\\u202eb" contains a bidi formatting character U+202E at position 1`
  ],
  [
    "configuration.md",
    { _tag: "Types", key: "_msg", value: "-x=1", problem: { reason: "LeadingDash" }, wholeText: true },
    `rejected at types: the message text starts with "-" (it could pass as an option)`
  ],
  ["security.md", { _tag: "Ignoreip", ip: "127.0.0.2", entry: "127.0.0.1/8" }, "rejected at ignoreip: ip=127.0.0.2 is in ignoreip (127.0.0.1/8): never acted on"],
  [
    "security.md",
    { _tag: "Filter", verdict: { _tag: "Reject", scope: "server", key: "jail", value: "ssh", values: ["sshd"] } },
    `rejected at filter: jail="ssh" is not one of [sshd] (server filter)`
  ],
  [
    "configuration.md",
    { _tag: "Filter", verdict: { _tag: "Reject", scope: "server", key: "action", value: "foo", values: ["banip", "unbanip"] } },
    `rejected at filter: action="foo" is not one of [banip, unbanip] (server filter)`
  ],
  ["security.md", { _tag: "Render", error: new RenderError({ reason: "MissingKey", key: "ip" }) }, `rejected at render: message has no key "ip", which the action uses as %ip%`]
]

describe("rejections as the docs quote them", () => {
  it.each(CASES.map(([file, rejection, text]) => [rejection._tag, file, rejection, text] as const))(
    "%s: the line in docs/%s is the rendered one",
    (_tag, file, rejection, text) => {
      // As a log line shows it: the logger escapes control and bidi characters.
      const line = escapeUnsafe(rejectionLine(rejection))
      expect(line).toContain(text)
      expect(docs(file)).toContain(text)
    }
  )

  it("covers every cause of the union", () => {
    const tags = new Set(CASES.map(([, rejection]) => rejection._tag))
    const all: ReadonlyArray<Rejection["_tag"]> = [
      "Channel", "Grammar", "Envelope", "Signature", "Timestamp", "Duplicate", "Origin", "Types", "Ignoreip", "Filter", "Render"
    ]
    expect([...tags].sort()).toEqual([...all].sort())
  })

  it("names the key the operations table says each stage blames", () => {
    expect(stageOf({ _tag: "Signature", reason: "Mismatch" })).toBe("signature")
    expect(keyOf({ _tag: "Signature", reason: "Mismatch" })).toBe("_sig")
    expect(keyOf({ _tag: "Timestamp", ts: 1, nowMs: 0, maxSkewMs: 0 })).toBe("_ts")
    expect(keyOf({ _tag: "Ignoreip", ip: "127.0.0.1", entry: "127.0.0.1/8" })).toBe("ip")
    expect(keyOf({ _tag: "Render", error: new RenderError({ reason: "MissingKey", key: "ip" }) })).toBe("ip")
    expect(keyOf({ _tag: "Grammar", error: new MessageError({ reason: "BadKey", part: "a b", index: 0 }) })).toBeUndefined()
    expect(keyOf({ _tag: "Filter", verdict: { _tag: "Reject", scope: "channel", key: "jail", value: "x", values: [] } })).toBeUndefined()
  })

  it("quotes a hostile value bounded and escaped", () => {
    const line = rejectionLine({
      _tag: "Types", key: "note", value: `\u001b[2J${"x".repeat(1000)}`, problem: { reason: "LeadingDash" }, wholeText: false
    })
    expect(line).not.toContain("\u001b")
    expect(line).toContain(`note="\\u001b[2J${"x".repeat(76)}…"`)
  })
})
