/**
 * security.md config keys (node_name, types, ignoreip, max_skew, dedupe_window,
 * dedupe_max_entries, channel secret_file and types): their defaults, how they resolve, and every refusal by path.
 */
import { describe, expect, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { hostname } from "node:os"
import * as nodePath from "node:path"
import { decoded, issues } from "./expect.js"
import { nodeNameOf } from "../../src/trust/index.js"

const config = ({ top = "", channel = "" } = {}): string => `
servers:
  - host: hub1
    port: 1986
    channels:
      - name: C
        action: "fail2ban-client set %jail% banip %ip%"
${channel}
      - name: D
        action: "true"
${top}
`



describe("security.md config: defaults", () => {
  it("node_name defaults to the host name (as a node name), and the limits to their documented values", () => {
    const c = decoded(config())
    expect(c.node_name).toBe(nodeNameOf(hostname()))
    expect(c.max_skew).toBe(120)
    expect(c.dedupe_window).toBe(300)
    expect(c.dedupe_max_entries).toBe(100_000)
    expect(c.ignoreip.ranges.map((range) => range.text)).toEqual(["127.0.0.1/8", "::1"])
  })

  it("a channel without secret_file is unsigned, and every channel's types are ip: ip and ban_until: int", () => {
    const channel = decoded(config()).servers[0]!.channels[0]!
    expect(channel.secret_files).toEqual([])
    expect(channel.secrets).toEqual([])
    expect([...channel.types]).toEqual([["ip", { _tag: "ip" }], ["ban_until", { _tag: "int" }]])
  })

  it("the quick start gives its daemon a node_name of its own, so a message published from the same host runs", () => {
    const text = readFileSync(new URL("../../examples/quickstart.yml", import.meta.url), "utf8")
    const c = decoded(text)
    expect(c.node_name).toBe("quickstart-daemon")
    expect(c.node_name).not.toBe(nodeNameOf(hostname()))
  })
})

describe("security.md config: how the keys resolve", () => {
  it("types: the top level over the default, a channel's over the top level, for that channel only", () => {
    const c = decoded(config({
      top: "types:\n  jail: name\n  ip: cidr",
      channel: "        types:\n          jail: /sshd|nginx/\n          port: int"
    }))
    const [first, second] = c.servers[0]!.channels
    expect([...first!.types.keys()]).toEqual(["ip", "ban_until", "jail", "port"])
    expect(first!.types.get("ip")).toEqual({ _tag: "cidr" })
    expect(first!.types.get("jail")).toMatchObject({ _tag: "regex", source: "/sshd|nginx/" })
    expect(first!.types.get("port")).toEqual({ _tag: "int" })
    expect([...second!.types]).toEqual([["ip", { _tag: "cidr" }], ["ban_until", { _tag: "int" }], ["jail", { _tag: "name" }]])
  })

  it("secret_file: one path or a list; a relative path is relative to the config file's directory", () => {
    const one = decoded(config({ channel: "        secret_file: keys/a.key" }), "/etc/f2bc/cluster.yml")
    expect(one.servers[0]!.channels[0]!.secret_files).toEqual(["/etc/f2bc/keys/a.key"])
    const list = decoded(config({ channel: "        secret_file: [/srv/new.key, ../old.key]" }), "/etc/f2bc/cluster.yml")
    expect(list.servers[0]!.channels[0]!.secret_files).toEqual(["/srv/new.key", "/etc/old.key"])
    expect(list.servers[0]!.channels[1]!.secret_files).toEqual([])
  })

  it("secret_file of an inline config is relative to the working directory", () => {
    const inline = decoded(config({ channel: "        secret_file: a.key" }))
    expect(inline.servers[0]!.channels[0]!.secret_files).toEqual([nodePath.resolve(process.cwd(), "a.key")])
  })

  it("ignoreip: a list, or fail2ban's whitespace-separated string; an empty list ignores nothing", () => {
    expect(decoded(config({ top: "ignoreip: [10.0.0.0/8, 2001:db8::1]" })).ignoreip.ranges.map((r) => r.text)).toEqual([
      "10.0.0.0/8",
      "2001:db8::1"
    ])
    expect(decoded(config({ top: "ignoreip: '127.0.0.1/8  ::1\t192.0.2.0/24'" })).ignoreip.ranges.map((r) => r.text)).toEqual([
      "127.0.0.1/8",
      "::1",
      "192.0.2.0/24"
    ])
    expect(decoded(config({ top: "ignoreip: []" })).ignoreip.ranges).toEqual([])
  })

  it("node_name, max_skew, dedupe_window and dedupe_max_entries take the values given", () => {
    const c = decoded(config({ top: "node_name: web-1.example.com\nmax_skew: 30\ndedupe_window: 0.5\ndedupe_max_entries: 7" }))
    expect([c.node_name, c.max_skew, c.dedupe_window, c.dedupe_max_entries]).toEqual(["web-1.example.com", 30, 0.5, 7])
  })
})

describe("security.md config: refusals, each at its path", () => {
  it("an unknown type, an invalid or escaping /regex/", () => {
    expect(issues(config({ top: "types:\n  port: integer\n  jail: /a)|(b/\n  x: /(/" }))).toEqual([
      "types.jail: invalid regular expression /a)|(b/: Invalid regular expression: /a)|(b/: Unmatched ')'",
      `types.port: unknown type "integer" (expected ip, cidr, int, name, text or /regex/)`,
      "types.x: invalid regular expression /(/: Invalid regular expression: /(/: Unterminated group"
    ])
  })

  it("a type for a reserved key", () => {
    const [issue, ...rest] = issues(config({ top: "types:\n  _id: int" }))
    expect(rest).toEqual([])
    expect(issue).toMatch(/^types\._id: "_id" is reserved/)
  })

  it("a channel's types and secret_file", () => {
    expect(issues(config({ channel: "        types:\n          port: nope\n        secret_file: []" }))).toEqual([
      "servers[0].channels[0].secret_file: must be a file path or a non-empty list of file paths, got an empty list",
      `servers[0].channels[0].types.port: unknown type "nope" (expected ip, cidr, int, name, text or /regex/)`
    ])
    expect(issues(config({ channel: "        secret_file: ''" }))).toEqual([
      `servers[0].channels[0].secret_file: must be a file path or a non-empty list of file paths, got ""`
    ])
  })

  it("types that is not a mapping", () => {
    expect(issues(config({ top: "types: [ip]" }))).toEqual([
      "types: must be a mapping of keys to types (ip, cidr, int, name, text or /regex/), got a list"
    ])
  })

  it("ignoreip entries that are not addresses or ranges (host names are not resolved)", () => {
    const why = "(entries are addresses or CIDR ranges; host names are not resolved)"
    expect(issues(config({ top: "ignoreip: [localhost, 10.0.0.0/33, fe80::1%eth0]" }))).toEqual([
      `ignoreip[0]: "localhost" is not an IP address ${why}`,
      `ignoreip[1]: prefix /33 is not from 0 to 32 ${why}`,
      `ignoreip[2]: "fe80::1%eth0" is not an IP address ${why}`
    ])
    expect(issues(config({ top: "ignoreip: 'localhost 10.0.0.0/8'" }))).toEqual([`ignoreip: "localhost" is not an IP address ${why}`])
    expect(issues(config({ top: "ignoreip: [1]" }))).toEqual(["ignoreip[0]: must be a string, got 1"])
  })

  it("a node_name that is not a node name", () => {
    for (const name of ["-bad", "''", "a b", "'a/b'"]) {
      expect(issues(config({ top: `node_name: ${name}` }))[0]).toMatch(
        /^node_name: must be a name of letters, digits, "_", "\." or "-", not starting with "-", got /
      )
    }
  })

  it("limits out of range", () => {
    expect(issues(config({ top: "max_skew: 0\ndedupe_window: -1\ndedupe_max_entries: 0" }))).toEqual([
      "dedupe_max_entries: must be a positive integer, got 0",
      "dedupe_window: must be a number of seconds greater than 0 and at most 86400, got -1",
      "max_skew: must be a number of seconds greater than 0 and at most 86400, got 0"
    ])
  })
})
