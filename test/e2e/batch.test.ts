/**
 * Batched application end to end: the built daemon on a real broker, a burst of bans on a
 * channel with `batch:` runs as a few processes (the action records its argv), in per-address order.
 */
import { afterAll, describe, expect, it } from "vitest"
import { rawClient, shRecorder, startBroker, startF2bc, stopAll, tempDir, waitUntil, writeConfig } from "../support/harness.js"

const N = 300
const MAX = 50

describe("daemon with a batched channel", () => {
  afterAll(stopAll)

  it(`runs a burst of ${N} bans as at most ceil(N/max) + 3 processes, every address once, a ban/unban/ban in order`, async () => {
    const dir = tempDir()
    const rec = shRecorder(dir)
    const broker = await startBroker()
    const config = writeConfig(
      dir,
      `node_name: receiver
servers:
  - host: 127.0.0.1
    port: ${broker.port}
    ping_timeout: 10
    channels:
      - name: Fail2ban
        action: "${rec.script} set cluster-%jail% %action% %ip%"
        batch: { key: ip, max: ${MAX}, linger: 200ms }
log_level: 2
`
    )
    const daemon = startF2bc(["daemon", "run", "--config", config])
    await daemon.waitFor(/connected, subscribed to Fail2ban/)
    const ips = Array.from({ length: N }, (_, i) => `10.1.${i >> 8}.${i & 255}`)
    const lines = ips.map((ip) => `announce Fail2ban jail=sshd, action=banip, ip=${ip}\n`)
    // The first address is unbanned and banned again within the burst.
    lines.push(`announce Fail2ban jail=sshd, action=unbanip, ip=${ips[0]}\n`, `announce Fail2ban jail=sshd, action=banip, ip=${ips[0]}\n`)
    const client = await rawClient(broker.port)
    client.send(lines.join(""))
    await client.sync()
    client.close()

    const calls = await waitUntil(() => {
      const all = rec.calls()
      return all.flatMap((argv) => argv.slice(3)).length >= N + 2 ? all : undefined
    }, 20_000, `${N + 2} values in the action calls`)
    const values = calls.flatMap((argv) => argv.slice(3))
    expect(values).toHaveLength(N + 2)
    expect(calls.length).toBeLessThanOrEqual(Math.ceil((N + 2) / MAX) + 3)
    for (const argv of calls) expect(argv.slice(0, 2)).toEqual(["set", "cluster-sshd"])
    // Every address once among the bans, the first one twice (before and after its unban).
    const bans = calls.filter((argv) => argv[2] === "banip").flatMap((argv) => argv.slice(3))
    expect([...bans].sort()).toEqual([...ips, ips[0]!].sort())
    const first = ips[0]!
    const actionsOfFirst = calls.filter((argv) => argv.slice(3).includes(first)).map((argv) => argv[2])
    expect(actionsOfFirst).toEqual(["banip", "unbanip", "banip"])
    // Logged once per process, with its size.
    const logged = await waitUntil(() => {
      const found = daemon.output().split("\n").filter((line) => line.includes("action executed"))
      return found.length >= calls.length ? found : undefined
    }, 10_000, `${calls.length} "action executed" lines`)
    expect(logged).toHaveLength(calls.length)
    expect(logged.map((line) => Number(/ batch=(\d+)/.exec(line)?.[1] ?? 1)).reduce((a, b) => a + b, 0)).toBe(N + 2)
  })
})
