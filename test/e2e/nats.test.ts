/**
 * The NATS transport end to end (issue 7) with real nats-server processes:
 * live delivery in core and JetStream mode with signatures, a three-node
 * cluster losing a node, and refused credentials and certificates.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, afterEach, describe, expect, it } from "vitest"
import { recorder, runF2bc, startF2bc, stopAll, tempDir, waitUntil, writeConfig } from "../support/harness.js"
import { selfSignedCertificate, startNats, stopAllNats } from "../support/nats.js"

afterEach(stopAll)
afterAll(stopAllNats)

const writeSecret = (dir: string, name: string, text: string): string => {
  const file = path.join(dir, name)
  fs.writeFileSync(file, text, { mode: 0o600 })
  return file
}

const channelYaml = (name: string, action: string, secret?: string) => `      - name: ${name}
        action: "${action} ${name} %ip%"
${secret === undefined ? "" : `        secret_file: ${JSON.stringify(secret)}\n`}`

const publish = (config: string, channel: string, ip: string) =>
  runF2bc(["publish", "--config", config, "--node-name", "test-publisher", "-c", channel, "-m", `jail=sshd, action=banip, ip=${ip}`])

describe("live delivery (issue 7, test 1)", () => {
  it("delivers signed messages in core and in JetStream mode, and refuses a wrong signature in both", async () => {
    const server = await startNats({ jetstream: true })
    const dir = tempDir()
    const rec = recorder(dir)
    const key = writeSecret(dir, "key", "the channel secret, long enough")
    const wrong = writeSecret(dir, "wrong", "a different secret, long enough")
    // One nats-server, two entries: core subjects under "live", JetStream under "f2bc".
    const entries = (secret: string, action: string) => `servers:
  - transport: nats
    url: ${server.url}
    subject_prefix: live
    channels:
${channelYaml("Core", action, secret)}  - transport: nats
    servers: [${server.url}]
    jetstream: { stream: F2BC, max_age: 1h }
    channels:
${channelYaml("Durable", action, secret)}`
    const daemonConfig = writeConfig(dir, `node_name: host-under-test\nlog_level: 3\nstate_dir: ${path.join(dir, "state")}\n${entries(key, rec.script)}`)
    const publisherConfig = writeConfig(dir, `node_name: publisher\n${entries(key, "true")}`, "publisher.yml")
    const forgerConfig = writeConfig(dir, `node_name: forger\n${entries(wrong, "true")}`, "forger.yml")
    const daemon = startF2bc(["daemon", "run", "--config", daemonConfig])
    await daemon.waitFor(/connected to 127\.0\.0\.1:\d+ \(core\), subscribed to Core/)
    await daemon.waitFor(/connected to 127\.0\.0\.1:\d+ \(JetStream stream F2BC, consumer host-under-test\), subscribed to Durable/)

    // Signed with another key: delivered, and refused by the daemon.
    expect((await publish(forgerConfig, "Core", "192.0.2.10")).code).toBe(0)
    expect((await publish(forgerConfig, "Durable", "192.0.2.11")).code).toBe(0)
    const core = await publish(publisherConfig, "Core", "192.0.2.1")
    expect(core).toMatchObject({ code: 0, stderr: "" })
    const durable = await publish(publisherConfig, "Durable", "192.0.2.2")
    expect(durable).toMatchObject({ code: 0, stderr: "" })
    const calls = await rec.waitForCalls(2)
    expect(calls.sort()).toEqual([
      ["Core", "192.0.2.1"],
      ["Durable", "192.0.2.2"]
    ])
    expect(daemon.output().match(/rejected at signature: _sig does not match/g)).toHaveLength(2)
    expect(daemon.output()).toMatch(/_origin=test-publisher, _sig=[A-Za-z0-9_-]{43}/)
    expect(daemon.output()).not.toContain("the channel secret")
  })

  it("publish to a JetStream entry exits 1, naming the server, when no stream acknowledges (JetStream not enabled)", async () => {
    const server = await startNats()
    const dir = tempDir()
    const config = writeConfig(dir, `servers:
  - transport: nats
    url: ${server.url}
    jetstream: {}
    ping_timeout: 3
    channels:
${channelYaml("Fail2ban", "true")}`)
    const result = await publish(config, "Fail2ban", "192.0.2.3")
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(`not confirmed by 1 of 1 server(s): ${server.url} (`)
    expect(result.stderr).toMatch(/JetStream/)
  })
})

describe("a three-node NATS cluster (issue 7, test 4)", () => {
  it("keeps delivering, and publish keeps confirming, when the node a daemon used is killed", async () => {
    const a = await startNats({ cluster: { name: "f2bc", routes: [], node: "a" } })
    const routes = [`nats://127.0.0.1:${a.clusterPort}`]
    const b = await startNats({ cluster: { name: "f2bc", routes, node: "b" } })
    const c = await startNats({ cluster: { name: "f2bc", routes, node: "c" } })
    // Every node routes to the two others (b and c find each other through a).
    for (const node of [a, b, c]) await waitUntil(() => (node.output().match(/Route connection created/g)?.length ?? 0) >= 2 ? true : undefined, 10_000, "routes")
    const dir = tempDir()
    const rec = recorder(dir)
    const daemonYaml = (name: string, urls: ReadonlyArray<string>) => `node_name: ${name}
log_level: 3
servers:
  - transport: nats
    servers: [${urls.join(", ")}]
    ping_timeout: 3
    channels:
      - name: Fail2ban
        action: "${rec.script} ${name} %ip%"
`
    // d1 reaches the cluster through b only; d2 through a (which dies), knowing b and c from the cluster.
    const d1 = startF2bc(["daemon", "run", "--config", writeConfig(dir, daemonYaml("d1", [b.url]), "d1.yml")])
    const d2 = startF2bc(["daemon", "run", "--config", writeConfig(dir, daemonYaml("d2", [a.url]), "d2.yml")])
    await d1.waitFor(/connected to .*subscribed to Fail2ban/)
    await d2.waitFor(new RegExp(`connected to 127\\.0\\.0\\.1:${a.port} .*subscribed to Fail2ban`))
    // The publisher knows a (which dies) and c.
    const publisherConfig = writeConfig(dir, `servers:
  - transport: nats
    servers: [${a.url}, ${c.url}]
    channels:
      - name: Fail2ban
        action: "true"
`, "publisher.yml")
    // Interest reaches every node of the cluster before the first publish counts on it.
    const publishUntilBoth = async (ip: string, before: number) => {
      expect((await publish(publisherConfig, "Fail2ban", ip)).code).toBe(0)
      await rec.waitForCalls(before + 2)
    }
    await publishUntilBoth("192.0.2.1", 0)

    const mark = d2.output().length
    await a.kill()
    await d2.waitFor(/disconnected from|connection lost/, 10_000, mark)
    // d1, connected through b, keeps receiving; publish, knowing a (dead) and c, still confirms.
    const result = await publish(publisherConfig, "Fail2ban", "192.0.2.2")
    expect(result).toMatchObject({ code: 0, stderr: "" })
    await waitUntil(() => (rec.calls().some((argv) => argv[0] === "d1" && argv[1] === "192.0.2.2") ? true : undefined), 10_000, "d1 to run 192.0.2.2")
    // d2 reconnects to a surviving node (learnt from the cluster) and receives again. Core NATS keeps
    // nothing for a subscriber that is away, and its new interest reaches c's routes a moment later:
    // publish until d2 has one (d1 running each one says it went through the cluster).
    await d2.waitFor(/reconnected to 127\.0\.0\.1:\d+|connected to 127\.0\.0\.1:\d+/, 15_000, mark)
    let received = false
    for (let k = 3; k < 13 && !received; k++) {
      expect((await publish(publisherConfig, "Fail2ban", `192.0.2.${k}`)).code).toBe(0)
      await waitUntil(() => (rec.calls().some((argv) => argv[0] === "d1" && argv[1] === `192.0.2.${k}`) ? true : undefined), 10_000, "d1")
      received = rec.calls().some((argv) => argv[0] === "d2" && argv[1] !== "192.0.2.1")
    }
    expect(received).toBe(true)
  })
})

describe("refused credentials and certificates (issue 7, test 5)", () => {
  it("says clearly why, retries with backoff, and keeps serving the other servers", async () => {
    const dir = tempDir()
    const secured = await startNats({ config: `authorization { user: f2bc, password: "the-right-password" }\n` })
    const { cert, key } = selfSignedCertificate(dir)
    const tls = await startNats({ config: `tls { cert_file: "${cert}", key_file: "${key}" }\n` })
    const open = await startNats()
    const rec = recorder(dir)
    const wrongPassword = writeSecret(dir, "password", "not-the-password\n")
    const config = writeConfig(dir, `node_name: host-under-test
log_level: 3
servers:
  - transport: nats
    url: ${secured.url}
    user: f2bc
    password_file: ${wrongPassword}
    channels:
${channelYaml("Fail2ban", rec.script)}  - transport: nats
    url: tls://127.0.0.1:${tls.port}
    tls: {}
    channels:
${channelYaml("Fail2ban", rec.script)}  - transport: nats
    url: ${open.url}
    channels:
${channelYaml("Fail2ban", rec.script)}`)
    const daemon = startF2bc(["daemon", "run", "--config", config])
    await daemon.waitFor(new RegExp(`server=${open.url} connected to`))
    // Each refused server is named, with the reason, and retried with growing delays.
    const auth = new RegExp(`server=${secured.url.replace(/\./g, "\\.")} connection failed: cannot connect: .*Authorization Violation.*retrying with backoff \\(failure 2\\)`)
    const cert_ = new RegExp(`server=tls://127\\.0\\.0\\.1:${tls.port} connection failed: cannot connect: .*certificate.*retrying with backoff \\(failure 2\\)`, "i")
    await daemon.waitFor(auth)
    await daemon.waitFor(cert_)
    expect(daemon.output()).not.toContain("not-the-password")

    // The open server works all along.
    const publisherConfig = writeConfig(dir, `servers:
  - transport: nats
    url: ${open.url}
    channels:
${channelYaml("Fail2ban", "true")}`, "publisher.yml")
    expect((await publish(publisherConfig, "Fail2ban", "192.0.2.7")).code).toBe(0)
    expect(await rec.waitForCalls(1)).toEqual([["Fail2ban", "192.0.2.7"]])

    // The same refusals from publish: exit 1, naming the server and the reason.
    const refused = await publish(config, "Fail2ban", "192.0.2.8")
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain("not confirmed by 2 of 3 server(s)")
    expect(refused.stderr).toMatch(/Authorization Violation/)
    expect(refused.stderr).toMatch(/certificate/i)
    expect(refused.stderr).not.toContain("not-the-password")

    // With the certificate as its CA, the TLS server is trusted.
    const trusting = writeConfig(dir, `servers:
  - transport: nats
    url: tls://127.0.0.1:${tls.port}
    tls: { ca_file: ${cert} }
    channels:
${channelYaml("Fail2ban", "true")}`, "trusting.yml")
    expect(await publish(trusting, "Fail2ban", "192.0.2.9")).toMatchObject({ code: 0, stderr: "" })
  })
})

describe("a NATS server that comes back (issue 7: reconnect with backoff)", () => {
  it("is reconnected to within seconds of its return, and delivers again, after a short outage", async () => {
    const dir = tempDir()
    const first = await startNats({ jetstream: true, dir })
    const rec = recorder(dir)
    const config = writeConfig(
      dir,
      `node_name: host-under-test
log_level: 3
servers:
  - transport: nats
    url: ${first.url}
    jetstream: { stream: F2BC, max_age: 1h }
    channels:
${channelYaml("Fail2ban", rec.script)}`
    )
    const daemon = startF2bc(["daemon", "run", "--config", config])
    await daemon.waitFor(/subscribed to Fail2ban/)
    await first.kill()
    await daemon.waitFor(/disconnected from 127\.0\.0\.1:\d+; reconnecting/)
    const mark = daemon.output().length
    // The outage's length is this scenario's input, not a wait for an event:
    // 3 s of refused reconnect attempts (the bug: they had pushed the next one to 30 s).
    await new Promise((resolve) => setTimeout(resolve, 3_000))
    const second = await startNats({ jetstream: true, dir, port: first.port })
    const back = Date.now()
    // Half the outage, with jitter, is the wait: well within 10 s (a count of the client's calls reached the 30 s cap).
    await daemon.waitFor(/reconnected to 127\.0\.0\.1:\d+/, 10_000, mark)
    expect(Date.now() - back).toBeLessThan(10_000)
    expect((await publish(config, "Fail2ban", "192.0.2.90")).code).toBe(0)
    expect(await rec.waitForCalls(1)).toEqual([["Fail2ban", "192.0.2.90"]])
    await second.kill()
  })
})
