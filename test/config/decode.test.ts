/**
 * configuration.md configuration: the seed's config loads unchanged, defaults apply,
 * and every broken config is refused with the exact list of `path: message` issues.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import { readFileSync } from "node:fs"
import { ConfigError, decodeConfig, formatIssue, type Config } from "../../src/config/index.js"

const example = (name: string): string => readFileSync(new URL(`../../examples/${name}`, import.meta.url), "utf8")

const decoded = (yaml: string): Config =>
  Either.getOrElse(decodeConfig(yaml, "<inline>"), (error) => {
    throw new Error(`expected the config to load, got:\n${error.message}`)
  })

const refusal = (yaml: string): ConfigError =>
  Either.match(decodeConfig(yaml, "<inline>"), {
    onLeft: (error) => error,
    onRight: () => {
      throw new Error("expected the config to be refused")
    }
  })

/** The issues of a refused config, as an operator reads them. */
const issues = (yaml: string): ReadonlyArray<string> => {
  const error = refusal(yaml)
  expect(error.reason).toBe("Invalid")
  return error.issues.map(formatIssue)
}

/** A valid one-server config with `server` spliced into the server and `channel` into its channel. */
const config = ({ top = "", server = "", channel = "" } = {}): string => `
servers:
  - host: hub.example.com
    port: 1986
    channels:
      - name: Fail2ban
        action: "fail2ban-client set %jail% %action% %ip%"
${channel}
${server}
${top}
`

describe("configuration.md: the seed README's config keeps working", () => {
  it("loads examples/seed.yml unchanged and resolves it with defaults applied", () => {
    const loaded = decodeConfig(example("seed.yml"), "examples/seed.yml")
    expect(Either.isRight(loaded)).toBe(true)
    const config = decoded(example("seed.yml"))
    expect(config.source).toBe("<inline>")
    expect(config.log_level).toBe(3)
    expect(config.log_file).toBe("/var/log/fail2ban-clusterd.log")
    expect(config.pid_file).toBe("/var/run/fail2ban-clusterd.pid")
    expect(config.broker).toBeUndefined()
    expect(config.max_line_bytes).toBe(65_536)
    expect(config.servers).toHaveLength(1)
    const [server] = config.servers.filter((s) => s.transport !== "nats")
    expect(server?.host).toBe("host.example.com")
    expect(server?.port).toBe(1234)
    expect(server?.ping_timeout).toBe(60)
    expect(server?.filter).toEqual([
      { key: "action", values: ["banip", "unbanip"] },
      { key: "jail", values: ["sshd"] }
    ])
    expect(server?.channels).toHaveLength(1)
    const [channel] = server?.channels ?? []
    expect(channel).toMatchObject({
      name: "Fail2ban",
      action: "fail2ban-client set %jail% %action% %ip%",
      filter: [],
      shell: false,
      missing: "reject",
      timeout: 30
    })
    expect(channel?.template.source).toBe("fail2ban-client set %jail% %action% %ip%")
    expect(channel?.template.shell).toBe(false)
    expect(channel?.template.placeholders).toEqual(["jail", "action", "ip"])
  })

  it("keeps the path it was given as the config's source", () => {
    expect(Either.map(decodeConfig(example("seed.yml"), "/etc/fail2ban-cluster.yml"), (c) => c.source)).toEqual(
      Either.right("/etc/fail2ban-cluster.yml")
    )
  })

  it("loads examples/quickstart.yml: one node hosting the broker it subscribes to", () => {
    const config = decoded(example("quickstart.yml"))
    expect(config.broker).toEqual({
      host: "127.0.0.1",
      port: 1986,
      max_clients: 1024,
      max_line_bytes: 65_536,
      max_output_bytes: 1_048_576,
      max_subscriptions: 1024,
      max_subscription_bytes: 65_536
    })
    expect(config.log_level).toBe(2)
    expect(config.log_file).toBeUndefined()
    expect(config.pid_file).toBeUndefined()
    expect(config.servers.map((s) => ("host" in s ? [s.host, s.port, s.channels.map((c) => c.name)] : []))).toEqual([
      ["127.0.0.1", 1986, ["Fail2ban"]]
    ])
    expect(config.servers[0]?.filter.map((entry) => entry.key)).toEqual(["action", "jail"])
    expect(config.servers[0]?.channels[0]?.template.placeholders).toEqual(["jail", "action", "ip"])
  })
})

describe("configuration.md: optional keys and their defaults", () => {
  it("takes every channel and server option when given", () => {
    const config = decoded(`
servers:
  - host: a
    port: 1
    ping_timeout: 0.5
    channels:
      - name: X
        action: "/bin/echo %_msg%"
        shell: true
        missing: empty
        timeout: 2.5
        filter:
          - key: jail
            values: [sshd]
log_level: 0
max_line_bytes: 1024
`)
    const server = config.servers[0]
    expect(server?.ping_timeout).toBe(0.5)
    expect(server?.channels[0]).toMatchObject({
      shell: true,
      missing: "empty",
      timeout: 2.5,
      filter: [{ key: "jail", values: ["sshd"] }]
    })
    expect(server?.channels[0]?.template.shell).toBe(true)
    expect(config.log_level).toBe(0)
    expect(config.max_line_bytes).toBe(1024)
  })

  it("takes YAML numbers and booleans in filter values as their text (values: [22] means \"22\")", () => {
    const config = decoded(withFilter("[22, true, sshd, '07']"))
    expect(config.servers[0]?.filter).toEqual([{ key: "port", values: ["22", "true", "sshd", "07"] }])
  })

  it("fills a broker: {} section with the defaults", () => {
    expect(decoded(config({ top: "broker: {}" })).broker).toEqual({
      host: "127.0.0.1",
      port: 1986,
      max_clients: 1024,
      max_line_bytes: 65_536,
      max_output_bytes: 1_048_576,
      max_subscriptions: 1024,
      max_subscription_bytes: 65_536
    })
  })

  it("treats an empty broker: key (YAML null) as broker: {}", () => {
    expect(decoded(config({ top: "broker:" })).broker?.port).toBe(1986)
  })

  it("accepts broker port 0 (any free port) and every broker limit", () => {
    const broker = decoded(config({
      top: "broker: { host: 0.0.0.0, port: 0, max_clients: 5, max_line_bytes: 100, max_output_bytes: 1000 }"
    })).broker
    expect(broker).toEqual({ host: "0.0.0.0", port: 0, max_clients: 5, max_line_bytes: 100, max_output_bytes: 1000, max_subscriptions: 1024, max_subscription_bytes: 65_536 })
  })

  it("allows an empty server list when the daemon only hosts the broker", () => {
    const config = decoded("servers: []\nbroker: {}\n")
    expect(config.servers).toEqual([])
    expect(config.broker?.host).toBe("127.0.0.1")
  })

  it("accepts shell syntax in an action with shell: true", () => {
    const config = decoded(withAction("grep %ip% /etc/hosts | logger", "        shell: true"))
    expect(config.servers[0]?.channels[0]?.template.shell).toBe(true)
  })

  it("allows one channel name on several servers", () => {
    const config = decoded(`
servers:
  - { host: a, port: 1, channels: [{ name: Fail2ban, action: "true" }] }
  - { host: b, port: 1, channels: [{ name: Fail2ban, action: "true" }] }
`)
    expect(config.servers.map((s) => s.channels[0]?.name)).toEqual(["Fail2ban", "Fail2ban"])
  })
})

function withFilter(values: string): string {
  return config({ server: `    filter:\n      - key: port\n        values: ${values}` })
}

function withAction(action: string, extra = ""): string {
  return `
servers:
  - host: hub.example.com
    port: 1986
    channels:
      - name: Fail2ban
        action: ${JSON.stringify(action)}
${extra}
`
}

describe("configuration.md: loading is strict — missing required keys", () => {
  it("refuses a server without host", () => {
    expect(issues("servers:\n  - port: 1986\n    channels: [{ name: X, action: 'true' }]\n")).toEqual([
      "servers[0].host: is missing"
    ])
  })

  it("refuses a server without channels", () => {
    expect(issues("servers:\n  - host: a\n    port: 1986\n")).toEqual(["servers[0].channels: is missing"])
  })

  it("refuses a server without port", () => {
    expect(issues("servers:\n  - host: a\n    channels: [{ name: X, action: 'true' }]\n")).toEqual([
      "servers[0].port: is missing"
    ])
  })

  it("refuses a channel without action, naming its full path", () => {
    expect(issues(`
servers:
  - host: a
    port: 1
    channels:
      - name: A
        action: "true"
      - name: B
`)).toEqual(["servers[0].channels[1].action: is missing"])
  })

  it("refuses a channel without name", () => {
    expect(issues(config({ channel: "      - action: 'true'" }))).toEqual([
      "servers[0].channels[1].name: is missing"
    ])
  })

  it("refuses a config without servers", () => {
    expect(issues("log_level: 2\n")).toEqual(["servers: is missing"])
  })

  it("accepts a pure hub: a broker: section and no servers key", () => {
    const hub = decoded("broker: {}\n")
    expect(hub.servers).toEqual([])
    expect(hub.broker).toMatchObject({ host: "127.0.0.1", port: 1986 })
  })

  it("refuses a filter entry without values", () => {
    expect(issues(config({ server: "    filter:\n      - key: jail" }))).toEqual(["servers[0].filter[0].values: is missing"])
  })
})

describe("configuration.md: loading is strict — bad values", () => {
  it("refuses a port that is not a number", () => {
    expect(issues(config().replace("port: 1986", "port: abc"))).toEqual([
      `servers[0].port: must be an integer from 1 to 65535, got "abc"`
    ])
  })

  it("refuses port 0 on a server (0 is only meaningful for the broker)", () => {
    expect(issues(config().replace("port: 1986", "port: 0"))).toEqual([
      "servers[0].port: must be an integer from 1 to 65535, got 0"
    ])
  })

  it("refuses port 70000 and a fractional port", () => {
    expect(issues(config().replace("port: 1986", "port: 70000"))).toEqual([
      "servers[0].port: must be an integer from 1 to 65535, got 70000"
    ])
    expect(issues(config().replace("port: 1986", "port: 19.5"))).toEqual([
      "servers[0].port: must be an integer from 1 to 65535, got 19.5"
    ])
  })

  it("refuses a quoted port: a string is not a number", () => {
    expect(issues(config().replace("port: 1986", `port: "1986"`))).toEqual([
      `servers[0].port: must be an integer from 1 to 65535, got "1986"`
    ])
  })

  it("refuses an empty host", () => {
    expect(issues(config().replace("host: hub.example.com", `host: ""`))).toEqual([
      `servers[0].host: must be a non-empty string, got ""`
    ])
  })

  it("refuses an empty channel list", () => {
    expect(issues("servers:\n  - { host: a, port: 1, channels: [] }\n")).toEqual([
      "servers[0].channels: must be a non-empty list of channels, got an empty list"
    ])
  })

  it("refuses channels given as a mapping instead of a list", () => {
    expect(issues("servers:\n  - { host: a, port: 1, channels: { name: X, action: 'true' } }\n")).toEqual([
      "servers[0].channels: must be a non-empty list of channels, got a mapping"
    ])
  })

  it("refuses log_level 7 and a log level given as a word", () => {
    expect(issues(config({ top: "log_level: 7" }))).toEqual(["log_level: must be an integer from 0 to 3, got 7"])
    expect(issues(config({ top: "log_level: debug" }))).toEqual([
      `log_level: must be an integer from 0 to 3, got "debug"`
    ])
  })

  it("refuses an empty log_file and a pid_file that is not a string", () => {
    expect(issues(config({ top: `log_file: ""\npid_file: [a]` }))).toEqual([
      `log_file: must be a non-empty string, got ""`,
      "pid_file: must be a non-empty string, got a list"
    ])
  })

  it("refuses ping_timeout 0, a negative timeout, an unknown missing policy and shell: yes", () => {
    expect(issues(config({
      server: "    ping_timeout: 0",
      channel: "        timeout: -1\n        missing: ignore\n        shell: yes"
    }))).toEqual([
      `servers[0].channels[0].missing: must be "reject" or "empty", got "ignore"`,
      `servers[0].channels[0].shell: must be true or false, got "yes"`,
      "servers[0].channels[0].timeout: must be a number of seconds greater than 0 and at most 86400, got -1",
      "servers[0].ping_timeout: must be a number of seconds greater than 0 and at most 86400, got 0"
    ])
  })

  it("refuses a timeout beyond one day (Node timers overflow past ~24.8 days)", () => {
    expect(issues(config({ channel: "        timeout: 1e9" }))).toEqual([
      "servers[0].channels[0].timeout: must be a number of seconds greater than 0 and at most 86400, got 1000000000"
    ])
  })

  it("refuses a channel name that is not a string", () => {
    expect(issues(config().replace("name: Fail2ban", "name: [a]"))).toEqual([
      "servers[0].channels[0].name: must be a string, got a list"
    ])
  })

  it("refuses bad broker values", () => {
    expect(issues(config({ top: "broker: { port: 70000, max_clients: 0, host: '' }" }))).toEqual([
      `broker.host: must be a non-empty string, got ""`,
      "broker.max_clients: must be a positive integer, got 0",
      "broker.port: must be an integer from 0 to 65535 (0 = any free port), got 70000"
    ])
    expect(issues(config({ top: "broker: on" }))).toEqual([
      `broker: must be a mapping (or nothing, for all defaults), got "on"`
    ])
  })

  it("refuses an empty server list without a broker", () => {
    expect(issues("servers: []\n")).toEqual([
      "servers: must list at least one server (an empty list is allowed only with a broker: section)"
    ])
  })

  it("refuses servers given as a mapping", () => {
    expect(issues("servers:\n  host: a\n  port: 1\n")).toEqual(["servers: must be a list of servers, got a mapping"])
  })
})

describe("configuration.md: loading is strict — unknown keys are named with the keys expected there", () => {
  it("at the root", () => {
    expect(issues(config({ top: "loglevel: 3" }))).toEqual([
      "loglevel: unknown key (expected one of: servers, log_level, log_file, pid_file, broker, max_line_bytes, node_name, types, ignoreip, max_skew, dedupe_window, dedupe_max_entries, quorum_max_entries, queue_limit, concurrency, order_key, shutdown_timeout, control_socket, state_dir, outbox_max_age, outbox_max_entries, metrics)"
    ])
  })

  it("in a server", () => {
    expect(issues(config({ server: "    chanels: []" }))).toEqual([
      "servers[0].chanels: unknown key (expected one of: host, port, ping_timeout, channels, filter, transport)"
    ])
  })

  it("in a channel", () => {
    expect(issues(config({ channel: "        command: ls" }))).toEqual([
      "servers[0].channels[0].command: unknown key (expected one of: name, action, filter, shell, missing, timeout, secret_file, types, batch, quorum, expire_action, fail2ban_socket)"
    ])
  })

  it("in a filter entry", () => {
    expect(issues(config({ server: "    filter:\n      - key: jail\n        value: [sshd]\n        values: [sshd]" })))
      .toEqual(["servers[0].filter[0].value: unknown key (expected one of: key, values)"])
  })

  it("in the broker section", () => {
    expect(issues(config({ top: "broker: { listen: 1986 }" }))).toEqual([
      "broker.listen: unknown key (expected one of: host, port, max_clients, max_line_bytes, max_output_bytes, max_subscriptions, max_subscription_bytes)"
    ])
  })

  it("quotes a key that is not a plain word", () => {
    expect(issues(config({ top: `"log level": 3` }))).toEqual([
      `["log level"]: unknown key (expected one of: servers, log_level, log_file, pid_file, broker, max_line_bytes, node_name, types, ignoreip, max_skew, dedupe_window, dedupe_max_entries, quorum_max_entries, queue_limit, concurrency, order_key, shutdown_timeout, control_socket, state_dir, outbox_max_age, outbox_max_entries, metrics)`
    ])
  })
})

describe("protocol.md/configuration.md: channel names", () => {
  it("refuses the reserved channels all and debug", () => {
    expect(issues(`
servers:
  - host: a
    port: 1
    channels:
      - { name: all, action: "true" }
      - { name: debug, action: "true" }
`)).toEqual([
      `servers[0].channels[0].name: "all" is reserved by the fanout protocol (every client receives "all"; "debug" carries server notices)`,
      `servers[0].channels[1].name: "debug" is reserved by the fanout protocol (every client receives "all"; "debug" carries server notices)`
    ])
  })

  it("refuses a name with a space, a \"!\" or nothing at all", () => {
    expect(issues(`
servers:
  - host: a
    port: 1
    channels:
      - { name: "Fail 2ban", action: "true" }
      - { name: "Fail2ban!", action: "true" }
      - { name: "", action: "true" }
`)).toEqual([
      `servers[0].channels[0].name: invalid channel name "Fail 2ban": contains a space`,
      `servers[0].channels[1].name: invalid channel name "Fail2ban!": contains "!"`,
      `servers[0].channels[2].name: invalid channel name "": is empty`
    ])
  })

  it("refuses a channel listed twice on one server, naming the first", () => {
    expect(issues(config({ channel: `      - name: Fail2ban\n        action: "true"` }))).toEqual([
      `servers[0].channels[1].name: duplicate channel "Fail2ban" (first at servers[0].channels[0])`
    ])
  })
})

describe("configuration.md: filters", () => {
  it("refuses an empty values list", () => {
    expect(issues(withFilter("[]"))).toEqual([
      "servers[0].filter[0].values: must be a non-empty list of strings, got an empty list"
    ])
  })

  it("refuses a filter value that is a list or null", () => {
    expect(issues(withFilter("[[a], ~]"))).toEqual([
      "servers[0].filter[0].values[0]: must be a string, got a list",
      "servers[0].filter[0].values[1]: must be a string, got nothing (null)"
    ])
  })

  it("refuses a key outside [A-Za-z0-9_.-]+", () => {
    expect(issues(config({ server: `    filter:\n      - key: "jail name"\n        values: [sshd]` }))).toEqual([
      `servers[0].filter[0].key: must be a key of letters, digits, "_", "." or "-", got "jail name"`
    ])
  })

  it("refuses a key given twice in one filter, at server and at channel level", () => {
    const twice = (indent: string) =>
      `${indent}filter:\n${indent}  - { key: jail, values: [sshd] }\n${indent}  - { key: jail, values: [nginx] }`
    expect(issues(config({ server: twice("    "), channel: twice("        ") }))).toEqual([
      `servers[0].channels[0].filter[1].key: duplicate filter key "jail" (first at servers[0].channels[0].filter[0]; list all accepted values in one entry)`,
      `servers[0].filter[1].key: duplicate filter key "jail" (first at servers[0].filter[0]; list all accepted values in one entry)`
    ])
  })

  it("refuses a filter that is not a list", () => {
    expect(issues(config({ server: "    filter: { key: jail, values: [sshd] }" }))).toEqual([
      "servers[0].filter: must be a list of filter entries, got a mapping"
    ])
  })

  it("refuses a filter entry that is not a mapping", () => {
    expect(issues(config({ server: "    filter: [jail]" }))).toEqual([
      `servers[0].filter[0]: must be a mapping with key and values, got "jail"`
    ])
  })
})

describe("configuration.md: actions compile at load", () => {
  it("refuses an empty action", () => {
    expect(issues(withAction(""))).toEqual([`servers[0].channels[0].action: must be a non-empty string, got ""`])
  })

  it("refuses shell syntax without shell: true, pointing at shell: true", () => {
    expect(issues(withAction("grep %ip% /etc/hosts | logger"))).toEqual([
      `servers[0].channels[0].action: uses shell syntax "|" at column 21 outside quotes; quote it, or set "shell: true" on the channel to run the action through /bin/sh`
    ])
  })

  it("refuses a placeholder in the command word", () => {
    expect(issues(withAction("%cmd% --ban %ip%"))).toEqual([
      `servers[0].channels[0].action: uses placeholder %cmd% in the command name at column 0; the program to run must be fixed in the config, never chosen by a message`
    ])
  })
})

describe("configuration.md: YAML errors and documents of the wrong shape", () => {
  it("reports a YAML syntax error with its line and column", () => {
    const error = refusal("servers:\n  - host: a\n    port: [1\n")
    expect(error.reason).toBe("Syntax")
    expect(error.message).toMatch(/^invalid YAML in <inline> at line \d+, column \d+: \S/)
  })

  it("reports a duplicate mapping key as a syntax error at the second key", () => {
    const error = refusal("log_level: 1\nlog_level: 3\nservers: []\n")
    expect(error.reason).toBe("Syntax")
    const where = "line 2, column 1: Map keys must be unique\n  likely cause: \"log_level\" is first set at line 1, column 1\n    1 | log_level: 1"
    expect(error.issues).toEqual([{ path: "", message: where }])
    expect(error.message).toBe(`invalid YAML in <inline> at ${where}`)
  })

  it("refuses an alias bomb (\"billion laughs\") as a syntax error at the first alias", () => {
    const bomb = [
      "a: &a [x, x, x, x, x, x, x, x, x]",
      "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]",
      "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]",
      "d: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c]"
    ].join("\n")
    const error = refusal(bomb)
    expect(error.reason).toBe("Syntax")
    expect(error.message).toBe(
      "invalid YAML in <inline> at line 2, column 8: Excessive alias count indicates a resource exhaustion attack"
    )
  })

  it("refuses several YAML documents in one file", () => {
    const error = refusal("servers: []\n---\nlog_level: 1\n")
    expect(error.reason).toBe("Syntax")
    expect(error.issues.map((issue) => issue.message)).toEqual([
      "line 2, column 1: Source contains multiple documents; please use YAML.parseAllDocuments()"
    ])
  })

  it("reports a mapping used as a key as an unknown key", () => {
    expect(issues(config({ top: "? [a]\n: 1" }))).toEqual([
      `["[ a ]"]: unknown key (expected one of: servers, log_level, log_file, pid_file, broker, max_line_bytes, node_name, types, ignoreip, max_skew, dedupe_window, dedupe_max_entries, quorum_max_entries, queue_limit, concurrency, order_key, shutdown_timeout, control_socket, state_dir, outbox_max_age, outbox_max_entries, metrics)`
    ])
  })

  it("refuses an empty file and a file of only comments", () => {
    for (const text of ["", "# nothing here\n"]) {
      expect(issues(text)).toEqual(["the config is empty: expected a mapping with a servers list"])
    }
  })

  it("refuses a list at the top level", () => {
    expect(issues("- host: a\n  port: 1\n")).toEqual(["the config must be a mapping, got a list"])
  })

  it("refuses a scalar at the top level", () => {
    expect(issues("servers\n")).toEqual([`the config must be a mapping, got "servers"`])
  })
})

describe("configuration.md: every issue is reported, ordered by path", () => {
  it("reports schema and rule issues of several servers together", () => {
    expect(issues(`
servers:
  - host: a
    port: abc
    channels:
      - name: all
        action: "ls | wc"
      - name: B
  - host: b
    port: 1
    chanels: []
log_level: 9
`)).toEqual([
      "log_level: must be an integer from 0 to 3, got 9",
      `servers[0].channels[0].action: uses shell syntax "|" at column 3 outside quotes; quote it, or set "shell: true" on the channel to run the action through /bin/sh`,
      `servers[0].channels[0].name: "all" is reserved by the fanout protocol (every client receives "all"; "debug" carries server notices)`,
      "servers[0].channels[1].action: is missing",
      `servers[0].port: must be an integer from 1 to 65535, got "abc"`,
      "servers[1].chanels: unknown key (expected one of: host, port, ping_timeout, channels, filter, transport)",
      "servers[1].channels: is missing"
    ])
  })

  it("orders list indexes as numbers: servers[2] before servers[10]", () => {
    const servers = Array.from({ length: 11 }, (_, i) => `  - { host: h${i}, port: ${i === 2 || i === 10 ? 0 : 1}, channels: [{ name: X, action: "true" }] }`)
    expect(issues(`servers:\n${servers.join("\n")}\n`)).toEqual([
      "servers[2].port: must be an integer from 1 to 65535, got 0",
      "servers[10].port: must be an integer from 1 to 65535, got 0"
    ])
  })

  it("renders the whole refusal as one message, one issue per line", () => {
    const error = refusal(config({ top: "log_level: 7\nloglevel: 3" }))
    expect(error.message).toBe(
      "invalid config <inline>:\n" +
        "  log_level: must be an integer from 0 to 3, got 7\n" +
        "  loglevel: unknown key (expected one of: servers, log_level, log_file, pid_file, broker, max_line_bytes, node_name, types, ignoreip, max_skew, dedupe_window, dedupe_max_entries, quorum_max_entries, queue_limit, concurrency, order_key, shutdown_timeout, control_socket, state_dir, outbox_max_age, outbox_max_entries, metrics)"
    )
  })
})
