/**
 * Trust end to end (security.md) with a real broker, daemon and publish: signed
 * channels, key rotation, own origin, refused files, and the README's quick start.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { ROOT, recorder, runF2bc, startBroker, startF2bc, stopAll, tempDir, writeConfig } from "../support/harness.js"

afterEach(stopAll)

const writeSecret = (dir: string, name: string, text: string, mode = 0o600): string => {
  const file = path.join(dir, name)
  fs.writeFileSync(file, text, { mode })
  fs.chmodSync(file, mode)
  return file
}

/** A broker and a daemon (node_name daemon-under-test) whose Fail2ban channel is signed with `secretFiles`. */
const signedSetup = async (secretFiles: ReadonlyArray<string>, dir = tempDir()) => {
  const rec = recorder(dir)
  const broker = await startBroker()
  const config = writeConfig(
    dir,
    `node_name: daemon-under-test
log_level: 3
state_dir: ${path.join(dir, "state")}
servers:
  - host: 127.0.0.1
    port: ${broker.port}
    channels:
      - name: Fail2ban
        action: "${rec.script} %jail% %ip%"
        secret_file: [${secretFiles.map((file) => JSON.stringify(file)).join(", ")}]
`
  )
  const daemon = startF2bc(["daemon", "run", "--config", config])
  await daemon.waitFor(/connected, subscribed to Fail2ban/)
  const publish = (message: string, extra: ReadonlyArray<string>) =>
    runF2bc(["publish", "--host", "127.0.0.1", "-p", String(broker.port), "-c", "Fail2ban", "-m", message, ...extra])
  return { dir, rec, broker, config, daemon, publish }
}

describe("signed channels (security.md)", () => {
  it("runs a message signed with the channel's secret, and refuses an unsigned one and one signed with another key", async () => {
    const dir = tempDir()
    const key = writeSecret(dir, "key", "correct horse battery staple\n")
    const other = writeSecret(dir, "other", "a different secret of enough length")
    const { rec, daemon, publish } = await signedSetup([key], dir)

    expect((await publish("jail=sshd, ip=192.0.2.40", ["--node-name", "web1"])).code).toBe(0)
    await daemon.waitFor(/rejected at signature: _sig is missing/)
    expect((await publish("jail=sshd, ip=192.0.2.41", ["--node-name", "web1", "--secret-file", other])).code).toBe(0)
    await daemon.waitFor(/rejected at signature: _sig does not match/)
    expect((await publish("jail=sshd, ip=192.0.2.42", ["--node-name", "web1", "--secret-file", key])).code).toBe(0)
    // Messages are decided in order: by the time the signed one ran, both others had been refused.
    expect(await rec.waitForCalls(1)).toEqual([["sshd", "192.0.2.42"]])
    expect(daemon.output()).not.toContain("correct horse")
  })

  it("rotates keys: a channel with [new, old] accepts both, and publish --config signs with the first", async () => {
    const dir = tempDir()
    const oldKey = writeSecret(dir, "old.key", "the old secret, still accepted")
    const newKey = writeSecret(dir, "new.key", "the new secret, which now signs")
    const { rec, daemon, publish, broker } = await signedSetup([newKey, oldKey], dir)

    expect((await publish("jail=sshd, ip=192.0.2.50", ["--node-name", "web1", "--secret-file", oldKey])).code).toBe(0)
    await rec.waitForCalls(1)
    // A publisher whose config lists only the new key (relative to its own directory).
    const publisherConfig = writeConfig(
      dir,
      `node_name: web2
servers:
  - host: 127.0.0.1
    port: ${broker.port}
    channels:
      - name: Fail2ban
        action: "true"
        secret_file: new.key
`,
      "publisher.yml"
    )
    const published = await runF2bc(["publish", "--config", publisherConfig, "-c", "Fail2ban", "-m", "jail=sshd, ip=192.0.2.51"])
    expect(published.stderr).toBe("")
    expect(published.code).toBe(0)
    expect(await rec.waitForCalls(2)).toEqual([
      ["sshd", "192.0.2.50"],
      ["sshd", "192.0.2.51"]
    ])
    expect(daemon.output()).toMatch(/_origin=web2, _sig=[A-Za-z0-9_-]{43}/)
  })

  it("skips the daemon's own messages and says so", async () => {
    const dir = tempDir()
    const key = writeSecret(dir, "key", "sixteen bytes at least, surely")
    const { rec, daemon, config } = await signedSetup([key], dir)
    // The same config: the same node_name, as on a host whose fail2ban publishes its own bans.
    expect((await runF2bc(["publish", "--config", config, "-c", "Fail2ban", "-m", "jail=sshd, ip=192.0.2.60"])).code).toBe(0)
    await daemon.waitFor(/skipped at origin: own message: _origin=daemon-under-test is this daemon's node_name/)
    expect(rec.calls()).toEqual([])
  })

  it("publish refuses a plain-text message for a signed channel, and a message that already carries envelope keys", async () => {
    const dir = tempDir()
    const key = writeSecret(dir, "key", "sixteen bytes at least, surely")
    const plain = await runF2bc(["publish", "--host", "127.0.0.1", "-p", "1", "--secret-file", key, "-c", "Fail2ban", "-m", "hello world"])
    expect(plain.code).toBe(2)
    expect(plain.stderr).toContain("cannot be signed")
    const forged = await runF2bc(["publish", "--host", "127.0.0.1", "-p", "1", "-c", "Fail2ban", "-m", "ip=192.0.2.1, _origin=elsewhere"])
    expect(forged.code).toBe(2)
    expect(forged.stderr).toContain("_origin belong to the envelope")
  })
})

describe("files others could change are refused (security.md)", () => {
  const minimal = (extra = "") => `servers:
  - host: 127.0.0.1
    port: 1
    channels:
      - name: Fail2ban
        action: "true"
${extra}`

  it("daemon, publish and check exit 2 when the config is writable by group or others", async () => {
    const dir = tempDir()
    const config = writeConfig(dir, minimal())
    fs.chmodSync(config, 0o664)
    for (const args of [["daemon", "run"], ["check"], ["publish", "-c", "Fail2ban", "-m", "ip=192.0.2.1"]]) {
      const result = await runF2bc([...args, "--config", config])
      expect(result.code, args.join(" ")).toBe(2)
      expect(result.stderr).toContain(`refusing config ${config}`)
      expect(result.stderr).toContain("is writable by group (mode 0664)")
    }
  })

  it("the daemon exits 2 when a secret file is readable by others, naming the key that names it", async () => {
    const dir = tempDir()
    const key = writeSecret(dir, "key", "sixteen bytes at least, surely", 0o644)
    const config = writeConfig(dir, minimal(`        secret_file: ${key}\n`))
    const result = await runF2bc(["daemon", "run", "--config", config])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain(`servers[0].channels[0].secret_file: ${key} is readable by others (mode 0644)`)
    expect(result.stderr).not.toContain("sixteen bytes")
  })

  it("publish --secret-file refuses a secret readable by others", async () => {
    const dir = tempDir()
    const key = writeSecret(dir, "key", "sixteen bytes at least, surely", 0o604)
    const result = await runF2bc(["publish", "--host", "127.0.0.1", "-p", "1", "--secret-file", key, "-c", "Fail2ban", "-m", "ip=192.0.2.1"])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain("is readable by others")
  })
})

describe("README quick start", () => {
  it("examples/quickstart.yml runs a message published from the same machine with the README's command", async () => {
    const dir = tempDir()
    const port = (await startBroker()).port // only to learn a free port…
    await stopAll() // …then free it for the daemon's embedded broker
    const text = fs.readFileSync(path.join(ROOT, "examples/quickstart.yml"), "utf8").replaceAll("1986", String(port))
    const config = writeConfig(dir, text, "quickstart.yml")
    const daemon = startF2bc(["daemon", "run", "--config", config])
    await daemon.waitFor(/connected, subscribed to Fail2ban/)
    expect(daemon.output()).toMatch(/channel=Fail2ban channel has no secret_file: it accepts unsigned messages/)
    const published = await runF2bc(["publish", "--host", "127.0.0.1", "-p", String(port), "-c", "Fail2ban", "-m", "jail=sshd, action=banip, ip=192.0.2.7"])
    expect(published.code).toBe(0)
    // The log line the README quotes, as the daemon writes it.
    const quoted = /the daemon logs\n`([^`]+)`/.exec(fs.readFileSync(path.join(ROOT, "README.md"), "utf8"))?.[1]
    expect(quoted).toBeDefined()
    await daemon.waitFor(new RegExp(quoted!.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
  })
})
