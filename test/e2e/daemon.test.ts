/**
 * End to end over real loopback TCP: the built `f2bc` broker, daemon and
 * publish as separate processes, with an action that records its argv.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { rawClient, recorder, runF2bc, startBroker, startF2bc, stopAll, tempDir, writeConfig } from "../support/harness.js"

const BAN = "jail=sshd, action=banip, ip=192.0.2.7"

describe("daemon with one server", () => {
  const dir = tempDir()
  const rec = recorder(dir)
  let port = 0
  let publish: (channel: string, message: string) => ReturnType<typeof runF2bc>

  beforeAll(async () => {
    const broker = await startBroker()
    port = broker.port
    const config = writeConfig(
      dir,
      `servers:
  - host: 127.0.0.1
    port: ${port}
    ping_timeout: 5
    channels:
      - name: Fail2ban
        action: "${rec.script} set %jail% %action% %ip%"
      - name: Raw
        action: "${rec.script} raw %_msg% %_channel%"
    filter:
      - key: action
        values: [banip, unbanip]
      - key: jail
        values: [sshd]
log_level: 3
`
    )
    const daemon = startF2bc(["daemon", "run", "--config", config])
    await daemon.waitFor(/connected, subscribed to Fail2ban, Raw/)
    publish = (channel, message) => runF2bc(["publish", "--node-name", "test-publisher", "-c", channel, "-m", message, "--host", "127.0.0.1", "-p", String(port)])
  })
  afterAll(stopAll)

  // Each test publishes, then waits for the expected number of calls; the
  // broker and daemon keep order, so a later accepted message is the barrier
  // proving an earlier rejected one ran nothing.
  it("runs the action once with the exact argv for a published message (seed example)", async () => {
    const result = await publish("Fail2ban", BAN)
    expect(result).toMatchObject({ code: 0 })
    const calls = await rec.waitForCalls(1)
    expect(calls).toEqual([["set", "sshd", "banip", "192.0.2.7"]])
  })

  it("runs nothing for a message the server filter rejects", async () => {
    const before = rec.calls().length
    expect((await publish("Fail2ban", "jail=apache, action=banip, ip=192.0.2.8")).code).toBe(0)
    expect((await publish("Fail2ban", "jail=sshd, action=unbanip, ip=192.0.2.9")).code).toBe(0)
    const calls = await rec.waitForCalls(before + 1)
    expect(calls.slice(before)).toEqual([["set", "sshd", "unbanip", "192.0.2.9"]])
  })

  it("runs nothing for a delivery on the reserved channel all", async () => {
    const before = rec.calls().length
    const client = await rawClient(port)
    client.send(`announce all ${BAN}\n`)
    await client.sync()
    client.close()
    expect((await publish("Fail2ban", "jail=sshd, action=banip, ip=192.0.2.10")).code).toBe(0)
    const calls = await rec.waitForCalls(before + 1)
    expect(calls.slice(before)).toEqual([["set", "sshd", "banip", "192.0.2.10"]])
  })

  it("delivers a message containing ! whole, and %_channel% is the channel name", async () => {
    const before = rec.calls().length
    // The server-level filter applies to every channel of the server, Raw included.
    const text = "jail=sshd, action=banip, note=alert! brute force!"
    expect((await publish("Raw", text)).code).toBe(0)
    const calls = await rec.waitForCalls(before + 1)
    expect(calls.slice(before)).toEqual([["raw", text, "Raw"]])
  })

  it("passes hostile values as single arguments, never through a shell", async () => {
    const before = rec.calls().length
    const marker = path.join(dir, "pwned")
    const hostile = `192.0.2.11; touch ${marker} $(touch ${marker}) \`touch ${marker}\``
    // An untyped value reaches the action as one verbatim word (%_msg% is the fields without the envelope)…
    expect((await publish("Raw", `jail=sshd, action=banip, note=${hostile}`)).code).toBe(0)
    const calls = await rec.waitForCalls(before + 1)
    expect(calls.slice(before)).toEqual([["raw", `jail=sshd, action=banip, note=${hostile}`, "Raw"]])
    // …and publish refuses an ip that is not an address before sending (the daemon would reject it at types).
    const refused = await publish("Fail2ban", `jail=sshd, action=banip, ip=${hostile}`)
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain("is not an IP address (a daemon would reject it)")
    expect(fs.existsSync(marker)).toBe(false)
  })

  it("rejects a malformed message and keeps serving", async () => {
    const before = rec.calls().length
    const client = await rawClient(port)
    client.send("announce Fail2ban jail=sshd, action=banip, ip=1.2.3.4, jail=other\n")
    client.send("announce Fail2ban jail=sshd, banip\n")
    await client.sync()
    client.close()
    expect((await publish("Fail2ban", "jail=sshd, action=banip, ip=192.0.2.12")).code).toBe(0)
    const calls = await rec.waitForCalls(before + 1)
    expect(calls.slice(before)).toEqual([["set", "sshd", "banip", "192.0.2.12"]])
  })
})
