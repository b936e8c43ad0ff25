/**
 * `f2bc publish --host H -p P --config C`: the config's entry for that server
 * signs and names the message, and a config without it is refused; never a
 * silent unsigned send to a signed cluster.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { rawClient, runF2bc, startBroker, stopAll, tempDir, waitUntil, writeConfig } from "../support/harness.js"

afterEach(stopAll)

/** A config whose Fail2ban channel on the broker at `port` is signed. */
const signedConfig = (dir: string, port: number): string => {
  const key = path.join(dir, "key")
  fs.writeFileSync(key, "correct horse battery staple\n", { mode: 0o600 })
  return writeConfig(
    dir,
    `node_name: signer
servers:
  - host: 127.0.0.1
    port: ${port}
    channels:
      - name: Fail2ban
        action: "true %ip%"
        secret_file: ${key}
`
  )
}

describe("publish --host with --config", () => {
  it("signs with the config's secret and node_name for that server", async () => {
    const dir = tempDir()
    const broker = await startBroker()
    const config = signedConfig(dir, broker.port)
    const listener = await rawClient(broker.port)
    listener.send("subscribe Fail2ban\n")
    await listener.sync()
    const result = await runF2bc(["publish", "--host", "127.0.0.1", "-p", String(broker.port), "--config", config, "-c", "Fail2ban", "-m", "jail=sshd, action=banip, ip=192.0.2.7"])
    expect(result).toMatchObject({ code: 0, stderr: "" })
    const line = await waitUntil(() => listener.received().match(/^Fail2ban!.*$/m)?.[0], 5000, "the delivery")
    expect(line).toMatch(/, _origin=signer, _sig=[A-Za-z0-9_-]{43}$/)
    listener.close()
  })

  it("refuses (exit 2) a server or channel the config does not have, and --secret-file beside --config", async () => {
    const dir = tempDir()
    const broker = await startBroker()
    const config = signedConfig(dir, broker.port)
    const listener = await rawClient(broker.port)
    listener.send("subscribe Fail2ban\nsubscribe Other\n")
    await listener.sync()
    const publish = (extra: ReadonlyArray<string>) => runF2bc(["publish", "-m", "jail=sshd, action=banip, ip=192.0.2.7", "--config", config, ...extra])
    const otherHost = await publish(["-c", "Fail2ban", "--host", "localhost", "-p", String(broker.port)])
    expect(otherHost.code).toBe(2)
    expect(otherHost.stderr).toContain(`f2bc: --host localhost -p ${broker.port} with --config: no server entry for localhost:${broker.port}`)
    expect(otherHost.stderr).toContain(`(it is on 127.0.0.1:${broker.port})`)
    const otherChannel = await publish(["-c", "Other", "--host", "127.0.0.1", "-p", String(broker.port)])
    expect(otherChannel.code).toBe(2)
    expect(otherChannel.stderr).toContain(`has a channel named "Other"`)
    const both = await publish(["-c", "Fail2ban", "--host", "127.0.0.1", "-p", String(broker.port), "--secret-file", path.join(dir, "key")])
    expect(both.code).toBe(2)
    expect(both.stderr).toContain("--secret-file and --config both say how to sign")
    await listener.sync()
    expect(listener.received()).not.toMatch(/^(Fail2ban|Other)!/m)
    listener.close()
  })
})
