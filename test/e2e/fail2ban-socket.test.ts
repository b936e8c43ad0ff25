/**
 * `fail2ban_socket` end to end with a real fail2ban-server: received bans and unbans go into the jail
 * over fail2ban's own socket, batched, with no process; a stopped server fails the action, then it recovers.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { rawClient, startBroker, startF2bc, stopAll, tempDir, waitUntil, writeConfig, type Running } from "../support/harness.js"
import { bannedIn, makeFail2ban, recordAction, type Fail2ban } from "../support/fail2ban.js"

/**
 * The action's program does not exist: started as a process it would fail
 * `executable not found`, so every success below went over the socket.
 */
const PROGRAM = "/nonexistent/bin/fail2ban-client"

describe("fail2ban_socket with a real fail2ban-server", () => {
  const dir = tempDir("f2bc-f2bsock-e2e-")
  const record = recordAction(dir)
  let fail2ban: Fail2ban
  let broker: Running & { port: number }
  let daemon: Running

  /** Announces each line on the channel and waits until the broker has taken them. */
  const announce = async (...messages: ReadonlyArray<string>) => {
    const client = await rawClient(broker.port)
    client.send(messages.map((message) => `announce Fail2ban ${message}\n`).join(""))
    await client.sync()
    client.close()
  }
  const executedLines = () => daemon.output().split("\n").filter((line) => line.includes("action executed"))

  beforeAll(async () => {
    fail2ban = makeFail2ban(dir, "[cluster-sshd]\nenabled = true\nfilter =\naction = record\n", { "action.d/record.conf": record.conf })
    await fail2ban.start()
    broker = await startBroker()
    const config = writeConfig(
      dir,
      `node_name: receiver
servers:
  - host: 127.0.0.1
    port: ${broker.port}
    ping_timeout: 10
    channels:
      - name: Fail2ban
        action: "${PROGRAM} set cluster-%jail% %action% %ip%"
        batch: { key: ip, max: 100, linger: 200ms }
        timeout: 5
        expire_action: "${PROGRAM} set cluster-%jail% unbanip %ip%"
        fail2ban_socket: ${fail2ban.socket}
log_level: 2
state_dir: ${dir}/state
`
    )
    daemon = startF2bc(["daemon", "run", "--config", config])
    await daemon.waitFor(/connected, subscribed to Fail2ban/)
  }, 30_000)

  afterAll(async () => {
    await stopAll()
    await fail2ban?.stop()
  })

  it("applies a burst of received bans and an unban into the jail, batched, over the socket", async () => {
    const ips = Array.from({ length: 40 }, (_, i) => `198.51.100.${i + 1}`)
    await announce(...ips.map((ip) => `jail=sshd, action=banip, ip=${ip}`), `jail=sshd, action=unbanip, ip=${ips[0]}`)
    await waitUntil(() => (record.lines().length >= ips.length + 1 ? true : undefined), 20_000, "the jail's action to record 40 bans and an unban")
    expect([...(await bannedIn(fail2ban.socket, "cluster-sshd"))].sort()).toEqual(ips.slice(1).sort())
    expect(record.lines().filter((line) => line.startsWith("unban"))).toEqual([`unban ${ips[0]}`])
    const lines = executedLines()
    // A few commands, each logged with the socket it went over and fail2ban's answer, none as a process.
    expect(lines.length).toBeLessThanOrEqual(5)
    expect(lines.map((line) => Number(/ batch=(\d+)/.exec(line)?.[1] ?? 1)).reduce((a, b) => a + b, 0)).toBe(ips.length + 1)
    for (const line of lines) {
      expect(line).toContain(`fail2ban_socket=${fail2ban.socket}`)
      expect(line).toMatch(/ answer=\d+/)
      expect(line).not.toContain("exit=")
    }
    expect(daemon.output()).not.toContain("action failed")
  })

  it("a ban's expire_action goes over the socket too when its ban_until comes", async () => {
    const banUntil = Math.floor(Date.now() / 1000) + 2
    await announce(`jail=sshd, action=banip, ip=198.51.100.150, ban_until=${banUntil}`)
    await daemon.waitFor(/action executed .*"banip","198\.51\.100\.150"/)
    const [line] = await daemon.waitFor(/action executed .*"unbanip","198\.51\.100\.150".*\n/, 10_000)
    expect(line).toContain(`fail2ban_socket=${fail2ban.socket}`)
    expect(await bannedIn(fail2ban.socket, "cluster-sshd")).not.toContain("198.51.100.150")
  })

  it("an unknown jail fails the action with fail2ban's error text", async () => {
    await announce("jail=nojail, action=banip, ip=198.51.100.200")
    const [line] = await daemon.waitFor(/action failed: .*cluster-nojail.*\n/)
    expect(line).toContain("action failed: fail2ban answered: UnknownJailException('cluster-nojail') reason=Fail2ban")
  })

  it("a stopped fail2ban-server fails the action naming the socket; the daemon serves on and recovers once it is back", async () => {
    await fail2ban.stop()
    await announce("jail=sshd, action=banip, ip=198.51.100.201")
    const [failed] = await daemon.waitFor(/action failed: cannot connect to fail2ban's socket .*\n/)
    expect(failed).toContain(`cannot connect to fail2ban's socket ${fail2ban.socket}`)
    expect(failed).toContain("reason=Connect")
    await fail2ban.start()
    const mark = daemon.output().length
    await announce("jail=sshd, action=banip, ip=198.51.100.202")
    await daemon.waitFor(/action executed .*198\.51\.100\.202/, 15_000, mark)
    expect(await bannedIn(fail2ban.socket, "cluster-sshd")).toContain("198.51.100.202")
    expect(daemon.child.exitCode).toBeNull()
  })
})
