/**
 * The keys of a `transport: nats` server entry (issue 7): defaults, the
 * durable consumer's name, and every refusal with its exact `path: message`.
 */
import { describe, expect, it } from "vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Effect from "effect/Effect"
import type { NatsServerConfig } from "../../src/config/index.js"
import { loadConfig } from "../../src/config/load.js"
import { tempDir } from "../support/harness.js"
import { decoded, issues } from "./expect.js"

const nats = (entry: string, top = "") => `${top}servers:
  - transport: nats
${entry}
    channels:
      - name: Fail2ban
        action: "true"
`

const natsServer = (yaml: string): NatsServerConfig => {
  const server = decoded(yaml).servers[0]
  if (server?.transport !== "nats") throw new Error("expected a NATS server")
  return server
}

describe("a NATS server entry (issue 7)", () => {
  it("takes url, or servers; core mode without jetstream; subject prefix f2bc by default", () => {
    const one = natsServer(nats("    url: nats://127.0.0.1:4222"))
    expect(one.urls).toEqual(["nats://127.0.0.1:4222"])
    expect(one.subject_prefix).toBe("f2bc")
    expect(one.jetstream).toBeUndefined()
    expect(one.tls).toBeUndefined()
    expect(one.ping_timeout).toBe(60)
    const cluster = natsServer(nats("    servers: [nats://n1:4222, tls://n2:4222, n3:4222]\n    subject_prefix: acme.bans"))
    expect(cluster.urls).toEqual(["nats://n1:4222", "tls://n2:4222", "n3:4222"])
    expect(cluster.subject_prefix).toBe("acme.bans")
  })

  it("jetstream: with nothing takes every default; durations take units; the consumer is named after node_name", () => {
    const server = natsServer(nats("    url: nats://hub:4222\n    jetstream:", "node_name: web1\n"))
    expect(server.jetstream).toEqual({ stream: "F2BC", max_age: 7 * 86_400, consumer: "web1", ack_wait: 30, max_ack_pending: 1000, replicas: 1 })
    const tuned = natsServer(nats("    url: nats://hub:4222\n    jetstream: { stream: BANS, max_age: 12h, ack_wait: 90s, consumer: edge-7, replicas: 3 }"))
    expect(tuned.jetstream).toMatchObject({ stream: "BANS", max_age: 43_200, ack_wait: 90, consumer: "edge-7", replicas: 3 })
    expect(natsServer(nats("    url: nats://hub:4222\n    jetstream: { max_age: 300 }")).jetstream?.max_age).toBe(300)
    expect(natsServer(nats("    url: nats://hub:4222\n    jetstream: { max_age: 30m }")).jetstream?.max_age).toBe(1800)
    // A dotted node name cannot be a consumer name as it is.
    expect(natsServer(nats("    url: nats://hub:4222\n    jetstream: {}", "node_name: web1.example.com\n")).jetstream?.consumer).toMatch(
      /^web1_example_com_[0-9a-f]{8}$/
    )
  })

  it("resolves credential and TLS file paths against the config's directory", () => {
    const server = natsServer(nats("    url: tls://hub:4222\n    user: f2bc\n    password_file: secrets/nats.pw\n    tls: { ca_file: ca.pem }"))
    expect(server.auth.user).toBe("f2bc")
    expect(server.auth.password_file).toBe(path.resolve(process.cwd(), "secrets/nats.pw"))
    expect(server.tls).toEqual({ ca_file: path.resolve(process.cwd(), "ca.pem"), cert_file: undefined, key_file: undefined })
  })

  it("refuses fanout keys on a NATS entry and NATS keys on a fanout entry", () => {
    expect(issues(nats("    url: nats://hub:4222\n    host: hub\n    port: 4222"))).toEqual([
      "servers[0].host: is a fanout key: a NATS server is named by url (nats://host:4222) or servers",
      "servers[0].port: is a fanout key: a NATS server is named by url (nats://host:4222) or servers"
    ])
    expect(issues(`servers:
  - host: hub
    port: 1986
    url: nats://hub:4222
    jetstream: {}
    channels:
      - name: Fail2ban
        action: "true"
`)).toEqual([
      "servers[0].jetstream: is a NATS key: it is allowed only with transport: nats",
      "servers[0].url: is a NATS key: it is allowed only with transport: nats"
    ])
  })

  it("needs url or servers, not both, and checks each URL", () => {
    expect(issues(nats("    subject_prefix: f2bc"))).toEqual([
      "servers[0].url: is missing (a NATS server needs url, or servers: a list of URLs of one cluster)"
    ])
    expect(issues(nats("    url: nats://a:4222\n    servers: [nats://b:4222]"))).toEqual([
      "servers[0].servers: goes instead of url, not with it (list every URL under servers)"
    ])
    expect(issues(nats("    servers: [nats://a:4222, \"http://b\", nats://c:99999, nats://user:pw@d:4222]"))).toEqual([
      `servers[0].servers[1]: "http://b" is not a NATS URL like nats://host:4222 (or tls://host:4222)`,
      "servers[0].servers[2]: port 99999 is not from 1 to 65535",
      "servers[0].servers[3]: must not carry credentials (user:password@ or token@): use the user/password_file or token_file keys"
    ])
  })

  it("takes one authentication method, complete", () => {
    expect(issues(nats("    url: nats://a:4222\n    token_file: /t\n    creds_file: /c"))).toEqual([
      "servers[0].creds_file: one authentication method per server: token and creds_file are both given"
    ])
    expect(issues(nats("    url: nats://a:4222\n    user: f2bc"))).toEqual([
      "servers[0].password_file: is missing (user needs password_file or password)"
    ])
    expect(issues(nats("    url: nats://a:4222\n    password_file: /p"))).toEqual(["servers[0].user: is missing (a password needs its user)"])
    expect(issues(nats("    url: nats://a:4222\n    token: abc\n    token_file: /t"))).toEqual(["servers[0].token_file: goes instead of token, not with it"])
    expect(issues(nats("    url: nats://a:4222\n    tls: { cert_file: /c }"))).toEqual([
      "servers[0].tls.key_file: is missing (a client certificate needs cert_file and key_file)"
    ])
  })

  it("refuses bad values with what was expected", () => {
    expect(issues(nats("    url: nats://a:4222\n    jetstream: { max_age: 7 days }"))).toEqual([
      `servers[0].jetstream.max_age: must be a duration greater than 0 and at most 3650d, in seconds or with a unit (300s, 30m, 12h, 7d), got "7 days"`
    ])
    expect(issues(nats("    url: nats://a:4222\n    jetstream: { stream: my.stream }"))).toEqual([
      `servers[0].jetstream.stream: must be a name of 1 to 200 letters, digits, "_" or "-", got "my.stream"`
    ])
    expect(issues(nats("    url: nats://a:4222\n    subject_prefix: \"f2bc.*\""))).toEqual([
      `servers[0].subject_prefix: must be a subject prefix of letters, digits, "_" and "-" in tokens joined by "." (no wildcards), got "f2bc.*"`
    ])
    expect(issues(nats("    url: nats://a:4222\n    transport2: x"))).toEqual([
      "servers[0].transport2: unknown key (expected one of: transport, url, servers, ping_timeout, channels, filter, subject_prefix, token, token_file, user, password, password_file, creds_file, nkey_file, tls, jetstream)"
    ])
    expect(issues(`servers:\n  - transport: carrier-pigeon\n    url: x\n    channels: [{ name: C, action: "true" }]\n`)).toEqual([
      `servers[0].transport: must be "fanout" or "nats", got "carrier-pigeon"`
    ])
  })

  it("refuses a channel name that is not one NATS subject token", () => {
    expect(issues(`servers:
  - transport: nats
    url: nats://a:4222
    channels:
      - name: "bans.*"
        action: "true"
`)).toEqual([`servers[0].channels[0].name: "bans.*" cannot be a NATS subject token: a channel of a NATS server has no ".", "*" or ">"`])
  })

  it("refuses two JetStream entries that would share one durable consumer", () => {
    const twice = `node_name: web1
servers:
  - transport: nats
    url: nats://a:4222
    jetstream: {}
    channels: [{ name: A, action: "true" }]
  - transport: nats
    url: nats://b:4222
    jetstream: {}
    channels: [{ name: B, action: "true" }]
`
    expect(issues(twice)).toEqual([
      "servers[1].jetstream.consumer: servers[0] already reads stream F2BC through consumer web1: two entries sharing one consumer would each miss half the messages; give one of them its own jetstream.consumer"
    ])
    expect(decoded(twice.replace("    jetstream: {}\n    channels: [{ name: B", "    jetstream: { consumer: web1-b }\n    channels: [{ name: B")).servers).toHaveLength(2)
  })
})

describe("loading a NATS entry's files (issue 7)", () => {
  const load = (dir: string, yaml: string) => {
    const file = path.join(dir, "f2bc.yml")
    fs.writeFileSync(file, yaml, { mode: 0o600 })
    fs.chmodSync(file, 0o600)
    return Effect.runPromise(Effect.either(loadConfig(file)))
  }

  it("reads the password file, trimmed, and refuses one readable by others", async () => {
    const dir = tempDir()
    const pw = path.join(dir, "nats.pw")
    fs.writeFileSync(pw, "s3cret-password\n", { mode: 0o600 })
    const yaml = nats(`    url: nats://a:4222\n    user: f2bc\n    password_file: nats.pw`)
    const loaded = await load(dir, yaml)
    expect(loaded._tag).toBe("Right")
    if (loaded._tag === "Right") expect((loaded.right.servers[0] as NatsServerConfig).secrets.password).toBe("s3cret-password")
    fs.chmodSync(pw, 0o644)
    const refused = await load(dir, yaml)
    expect(refused._tag === "Left" && refused.left.message).toMatch(/servers\[0\]\.password_file: .*nats\.pw is readable by others/)
  })

  it("refuses an inline token in a config file others can read", async () => {
    const dir = tempDir()
    const file = path.join(dir, "f2bc.yml")
    fs.writeFileSync(file, nats("    url: nats://a:4222\n    token: abc"), { mode: 0o644 })
    fs.chmodSync(file, 0o644)
    const refused = await Effect.runPromise(Effect.either(loadConfig(file)))
    expect(refused._tag === "Left" && refused.left.message).toMatch(/servers\[0\]: holds an inline token or password, and .* is readable by others/)
  })
})
