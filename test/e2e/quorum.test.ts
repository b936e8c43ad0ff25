/**
 * The quorum of origins end to end: three built daemons on a real broker, signed publishes from
 * distinct origins, a replay of captured bytes, and a hold that expires after its window.
 */
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { rawClient, recorder, runF2bc, startBroker, startF2bc, stopAll, tempDir, waitUntil, writeConfig } from "../support/harness.js"

afterEach(stopAll)

/** A daemon named `node` whose Fail2ban channel needs 2 origins in 10 minutes, and its Short channel 2 origins in 2 s. */
const daemonYaml = (dir: string, node: string, port: number, key: string, script: string) => `node_name: ${node}
log_level: 2
pid_file: ${path.join(dir, `${node}.pid`)}
control_socket: ${path.join(dir, `${node}.sock`)}
state_dir: ${path.join(dir, `${node}-state`)}
servers:
  - host: 127.0.0.1
    port: ${port}
    channels:
      - name: Fail2ban
        action: "${script} %jail% %action% %ip%"
        secret_file: ${key}
        quorum: { origins: 2, window: 10m, actions: [banip] }
      - name: Short
        action: "${script} %jail% %action% %ip%"
        secret_file: ${key}
        quorum: { origins: 2, window: 2s }
`

/** The daemon's status, read from its control socket. */
const status = (socket: string): Promise<{ messages: Record<string, number>; quorum?: { held: number; oldest_age_seconds: number } }> =>
  new Promise((resolve, reject) => {
    const client = net.connect(socket)
    let answer = ""
    client.once("error", reject)
    client.once("connect", () => client.write("status\n"))
    client.on("data", (chunk: Buffer) => (answer += chunk.toString("utf8")))
    client.once("end", () => resolve(JSON.parse(answer)))
  })

describe("quorum: { origins: 2 } across three daemons", () => {
  it("holds one origin's ban, runs it once at a second origin's, skips a third; replays and repeats never count; holds expire", async () => {
    const dir = tempDir()
    const key = path.join(dir, "fleet.key")
    fs.writeFileSync(key, "the fleet's shared secret, long enough", { mode: 0o600 })
    const broker = await startBroker()
    const nodes = Object.fromEntries(["web-a", "web-b", "web-c"].map((node) => {
      const recDir = path.join(dir, node)
      fs.mkdirSync(recDir)
      const rec = recorder(recDir)
      const config = writeConfig(dir, daemonYaml(dir, node, broker.port, key, rec.script), `${node}.yml`)
      return [node, { rec, config, daemon: startF2bc(["daemon", "run", "--config", config]), socket: path.join(dir, `${node}.sock`) }]
    }))
    const c = nodes["web-c"]!
    for (const { daemon } of Object.values(nodes)) await daemon.waitFor(/connected, subscribed to Fail2ban, Short/)
    // A subscriber that captures the bytes of A's first ban, to replay them.
    const tap = await rawClient(broker.port)
    tap.send("subscribe Fail2ban\n")
    await tap.sync()
    const publish = async (origin: string, channel: string, ip: string) => {
      const result = await runF2bc(["publish", "--host", "127.0.0.1", "-p", String(broker.port), "--secret-file", key, "--node-name", origin,
        "-c", channel, "-m", `jail=sshd, action=banip, ip=${ip}`])
      expect(result.code, result.stderr).toBe(0)
    }

    // 1. A's ban is held on C (and on B), not run.
    let from = c.daemon.output().length
    await publish("web-a", "Fail2ban", "192.0.2.7")
    await c.daemon.waitFor(/held at quorum: 1 of 2 origins\b(?! \()/, 15_000, from)
    await nodes["web-b"]!.daemon.waitFor(/held at quorum: 1 of 2 origins/)
    await nodes["web-a"]!.daemon.waitFor(/skipped at origin: own message/)
    // 2. The same bytes again: a duplicate, not a second count.
    const captured = await waitUntil(() => /^Fail2ban!(.*_origin=web-a.*)$/m.exec(tap.received())?.[1], 5000, "A's ban on the wire")
    from = c.daemon.output().length
    tap.send(`announce Fail2ban ${captured}\n`)
    await c.daemon.waitFor(/skipped at duplicate: duplicate of _id=/, 15_000, from)
    // 3. A second ban from A (a new _id): still one origin.
    from = c.daemon.output().length
    await publish("web-a", "Fail2ban", "192.0.2.7")
    await c.daemon.waitFor(/held at quorum: 1 of 2 origins \(this origin was already counted\)/, 15_000, from)
    const shown = await runF2bc(["daemon", "status", "--config", c.config])
    expect(shown.stdout).toContain("quorum: 1 action(s) held, oldest ")
    // 4. B's ban completes the quorum on C: it runs once.
    await publish("web-b", "Fail2ban", "192.0.2.7")
    expect(await c.rec.waitForCalls(1)).toEqual([["sshd", "banip", "192.0.2.7"]])
    // 5. A third origin within the window is skipped.
    from = c.daemon.output().length
    await publish("web-d", "Fail2ban", "192.0.2.7")
    await c.daemon.waitFor(/skipped at quorum: the quorum was reached and the action ran [0-9.]+ s ago/, 15_000, from)
    expect((await status(c.socket)).messages).toMatchObject({
      executed: 1,
      "held at quorum": 2,
      "skipped at duplicate": 1,
      "skipped at quorum": 1
    })
    expect(c.rec.calls()).toEqual([["sshd", "banip", "192.0.2.7"]])

    // 6. On Short (window 2 s) A's hold expires: B's ban afterwards is held again, not run.
    from = c.daemon.output().length
    await publish("web-a", "Short", "192.0.2.9")
    await c.daemon.waitFor(/held at quorum: 1 of 2 origins/, 15_000, from)
    expect((await status(c.socket)).quorum).toMatchObject({ held: 1 })
    await waitForHeld(c.socket, 0)
    from = c.daemon.output().length
    await publish("web-b", "Short", "192.0.2.9")
    await c.daemon.waitFor(/held at quorum: 1 of 2 origins/, 15_000, from)
    expect((await status(c.socket)).quorum).toMatchObject({ held: 1 })
    expect(c.rec.calls()).toEqual([["sshd", "banip", "192.0.2.7"]])
    tap.close()
  }, 60_000)
})

/** Polls the daemon's status until `n` actions are held (the hold's window ends on the daemon's clock). */
const waitForHeld = async (socket: string, n: number): Promise<void> => {
  const deadline = Date.now() + 15_000
  for (;;) {
    if ((await status(socket)).quorum?.held === n) return
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${n} held quorum(s)`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
