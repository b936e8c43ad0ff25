/**
 * `f2bc publish` to a real nats-server with JetStream, as fail2ban runs it:
 * a success prints nothing, and what it logs is f2bc's own log format.
 */
import { afterEach, describe, expect, it } from "vitest"
import { runF2bc, stopAll, tempDir, writeConfig } from "../support/harness.js"
import { startNats, stopAllNats } from "../support/nats.js"

afterEach(async () => {
  await stopAll()
  await stopAllNats()
})

describe("publish over NATS", () => {
  it("prints nothing on success, also when it creates the JetStream stream", async () => {
    const server = await startNats({ jetstream: true })
    const config = writeConfig(
      tempDir(),
      `servers:\n  - transport: nats\n    url: ${server.url}\n    jetstream: { stream: F2BC }\n    channels:\n      - name: Fail2ban\n        action: "true %ip%"\n`
    )
    for (const ip of ["192.0.2.7", "192.0.2.8"]) {
      const result = await runF2bc(["publish", "--config", config, "-c", "Fail2ban", "-m", `jail=sshd, action=banip, ip=${ip}`])
      expect(result).toEqual({ code: 0, stdout: "", stderr: "" })
    }
  })

  it("a failure is f2bc's one-line error, with no Effect log line", async () => {
    const server = await startNats()
    const config = writeConfig(
      tempDir(),
      `servers:\n  - transport: nats\n    url: ${server.url}\n    jetstream: { stream: F2BC }\n    channels:\n      - name: Fail2ban\n        action: "true %ip%"\n`
    )
    const result = await runF2bc(["publish", "--config", config, "--timeout", "2", "-c", "Fail2ban", "-m", "ip=192.0.2.7"])
    expect(result.code).toBe(1)
    expect(result.stdout).toBe("")
    expect(result.stderr).toMatch(/^f2bc: not confirmed by 1 of 1 server\(s\): nats:\/\/127\.0\.0\.1:\d+ \(JetStream is not available/)
    expect(result.stderr).not.toContain("fiber=")
  })
})
