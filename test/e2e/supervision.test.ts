/**
 * Connection supervision end to end (operations.md): several servers, a broker
 * killed and restarted, and a server that accepts but never answers.
 */
import * as net from "node:net"
import { afterEach, describe, expect, it } from "vitest"
import {
  freePort,
  recorder,
  runF2bc,
  silentServer,
  startBroker,
  startF2bc,
  stopAll,
  tempDir,
  waitUntil,
  writeConfig
} from "../support/harness.js"

const serverYaml = (port: number, action: string, pingTimeout = 5) => `  - host: 127.0.0.1
    port: ${port}
    ping_timeout: ${pingTimeout}
    channels:
      - name: Fail2ban
        action: "${action} %ip% %jail%"
`

const publishTo = (port: number, ip: string) =>
  runF2bc(["publish", "--node-name", "test-publisher", "-c", "Fail2ban", "-m", `jail=sshd, action=banip, ip=${ip}`, "--host", "127.0.0.1", "-p", String(port)])

afterEach(stopAll)

/** Two brokers, a daemon subscribed to both, and the recorder its action writes to. */
const twoServers = async () => {
  const dir = tempDir()
  const rec = recorder(dir)
  const a = await startBroker()
  const b = await startBroker()
  const config = writeConfig(dir, `servers:\n${serverYaml(a.port, rec.script)}${serverYaml(b.port, rec.script)}`)
  const daemon = startF2bc(["daemon", "run", "--config", config])
  await daemon.waitFor(new RegExp(`server=127.0.0.1:${a.port} connected`))
  await daemon.waitFor(new RegExp(`server=127.0.0.1:${b.port} connected`))
  return { rec, a, b, config, daemon }
}

describe("supervision", () => {
  it("serves two servers of one config, each independently", async () => {
    const { rec, a, b } = await twoServers()
    expect((await publishTo(a.port, "192.0.2.1")).code).toBe(0)
    await rec.waitForCalls(1)
    expect((await publishTo(b.port, "192.0.2.2")).code).toBe(0)
    const calls = await rec.waitForCalls(2)
    expect(calls).toEqual([
      ["192.0.2.1", "sshd"],
      ["192.0.2.2", "sshd"]
    ])
  })

  it("publish with --config sends to every server that has the channel; the daemon hearing it twice runs it once (security.md dedupe)", async () => {
    const { rec, config, daemon } = await twoServers()
    const result = await runF2bc(["publish", "--node-name", "test-publisher", "--config", config, "-c", "Fail2ban", "-m", "jail=sshd, ip=192.0.2.3"])
    expect(result.code).toBe(0)
    // Both servers delivered it: one copy ran, the other was skipped as a duplicate of the same _id.
    await daemon.waitFor(/skipped at duplicate: duplicate of _id=[0-9a-f]{32}/)
    expect(await rec.waitForCalls(1)).toEqual([["192.0.2.3", "sshd"]])
    await daemon.waitFor(/action executed/)
    expect(rec.calls()).toHaveLength(1)
  })

  it("resubscribes after the broker is killed and restarted on the same port", async () => {
    const dir = tempDir()
    const rec = recorder(dir)
    const broker = await startBroker()
    const config = writeConfig(dir, `servers:\n${serverYaml(broker.port, rec.script)}`)
    const daemon = startF2bc(["daemon", "run", "--config", config])
    await daemon.waitFor(/connected, subscribed/)
    broker.child.kill("SIGKILL")
    await broker.exited
    const mark = daemon.output().length
    await daemon.waitFor(/connection (lost|failed)/, 15_000, mark)
    const restarted = await startBroker(broker.port)
    const started = Date.now()
    await daemon.waitFor(/connected, subscribed/, 20_000, mark)
    console.info(`daemon resubscribed ${Date.now() - started} ms after the broker restarted`)
    expect((await publishTo(restarted.port, "192.0.2.4")).code).toBe(0)
    expect(await rec.waitForCalls(1)).toEqual([["192.0.2.4", "sshd"]])
  })

  it("declares a server that never answers pings dead within ping_timeout and reconnects", async () => {
    const dir = tempDir()
    const rec = recorder(dir)
    const silent = await silentServer()
    const healthy = await startBroker()
    const config = writeConfig(
      dir,
      `servers:\n${serverYaml(silent.port, rec.script, 1)}${serverYaml(healthy.port, rec.script)}log_level: 3\n`
    )
    const daemon = startF2bc(["daemon", "run", "--config", config])
    await waitUntil(() => (silent.connections() >= 1 ? true : undefined), 10_000, "first connection")
    const first = Date.now()
    const dead = await daemon.waitFor(new RegExp(`server=127.0.0.1:${silent.port} connection failed: no pong within (\\d+) ms`))
    expect(Number(dead[1])).toBeLessThanOrEqual(1000)
    await waitUntil(() => (silent.connections() >= 2 ? true : undefined), 10_000, "a reconnect")
    console.info(`silent server: declared dead and reconnected ${Date.now() - first} ms after the first connection`)
    // The silent server never delays the healthy one.
    await daemon.waitFor(new RegExp(`server=127.0.0.1:${healthy.port} connected`))
    expect((await publishTo(healthy.port, "192.0.2.5")).code).toBe(0)
    expect(await rec.waitForCalls(1)).toEqual([["192.0.2.5", "sshd"]])
    await silent.close()
  })

  it("declares an established connection dead within ping_timeout once the server stops answering", async () => {
    const dir = tempDir()
    const rec = recorder(dir)
    // Answers the first two pings (subscribe confirmation + one keep-alive), then stays silent.
    let answered = 0
    let lastPong = 0
    const server = net.createServer((socket) => {
      socket.on("error", () => undefined)
      socket.write("debug!connected...\n")
      socket.on("data", (chunk: Buffer) => {
        for (const line of chunk.toString("utf8").split("\n")) {
          if (line === "ping" && answered < 2) {
            answered++
            lastPong = Date.now()
            socket.write(`${Math.floor(lastPong / 1000)}\n`)
          }
        }
      })
    })
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    const port = (server.address() as net.AddressInfo).port
    const config = writeConfig(dir, `servers:\n${serverYaml(port, rec.script, 1)}`)
    const daemon = startF2bc(["daemon", "run", "--config", config])
    await daemon.waitFor(/connected, subscribed/)
    await daemon.waitFor(/connection lost: no pong within 500 ms; reconnecting/)
    const detectedAfter = Date.now() - lastPong
    console.info(`silence detected ${detectedAfter} ms after the last pong (ping_timeout 1000 ms)`)
    // Within ping_timeout of the last answer, plus scheduling slack on a loaded machine.
    expect(detectedAfter).toBeLessThan(1500)
    server.close()
  })

  it("publish to a server that is down exits 1 naming it", async () => {
    const port = await freePort()
    const result = await publishTo(port, "192.0.2.6")
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(`127.0.0.1:${port}`)
  })
})
