/**
 * The local hand-off and the outbox, end to end with the built executable: the control socket's
 * `publish` verb, kill -9 during a storm, a broker down and back, one that never returns, a full outbox, compaction.
 */
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { decodeRecords } from "../../src/outbox/record.js"
import { freePort, rawClient, runF2bc, startBroker, startF2bc, stopAll, tempDir, waitUntil, writeConfig, type Running, askSocket } from "../support/harness.js"

afterEach(async () => {
  await stopAll()
})

/** A daemon config with an outbox: `servers` are the ports of fanout servers with the Fail2ban channel. */
const daemonYaml = (dir: string, ports: ReadonlyArray<number>, extra = "") => `node_name: node-a
state_dir: ${path.join(dir, "state")}
control_socket: ${path.join(dir, "f2bc.sock")}
log_level: 2
${extra}servers:
${ports.map((port) => `  - host: 127.0.0.1\n    port: ${port}\n    ping_timeout: 5\n    channels:\n      - name: Fail2ban\n        action: "true %ip%"\n`).join("")}`

/** One request line on the control socket, and its JSON answer. */
const ask = askSocket

const ban = (n: number) => `jail=sshd, action=banip, ip=192.0.2.${n % 250}, n=${n}`

/** A fanout subscriber of Fail2ban that reconnects while its broker is away; `ids` in order of first arrival. */
const subscriber = async (port: number) => {
  const seen: Array<string> = []
  const known = new Set<string>()
  let client: Awaited<ReturnType<typeof rawClient>> | undefined
  let closed = false
  let parsed = 0
  const collect = () => {
    if (client === undefined) return
    const lines = client.received().split("\n")
    for (const line of lines.slice(parsed, -1)) {
      const id = /^Fail2ban!.*\b_id=([0-9a-f]+)/.exec(line)?.[1]
      if (id !== undefined && !known.has(id)) {
        known.add(id)
        seen.push(id)
      }
    }
    parsed = lines.length - 1
  }
  const connect = async (): Promise<void> => {
    while (!closed) {
      try {
        client = await rawClient(port)
        parsed = 0
        client.send("subscribe Fail2ban\n")
        await client.sync()
        client.socket.once("close", () => {
          collect()
          if (!closed) void connect()
        })
        return
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    }
  }
  await connect()
  return {
    ids: () => (collect(), seen),
    close: () => {
      closed = true
      client?.close()
    }
  }
}

const startDaemon = async (config: string): Promise<Running> => {
  const daemon = startF2bc(["daemon", "run", "--config", config])
  await daemon.waitFor(/daemon started as node/)
  await waitUntil(() => (fs.existsSync(path.join(path.dirname(config), "f2bc.sock")) ? true : undefined), 10_000, "control socket")
  return daemon
}

/** Hands off `ban(n)` until the daemon accepts it (it may be down meanwhile); the accepted id. */
const handOffUntilAccepted = async (socket: string, n: number): Promise<string> => {
  for (;;) {
    const answer = await ask(socket, `publish Fail2ban ${ban(n)}`).catch(() => undefined)
    if (answer?.["ok"] === true) return answer["id"] as string
    if (answer !== undefined) throw new Error(`refused: ${JSON.stringify(answer)}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** A TCP relay to `target` on a port of its own, which can be cut (every connection closed, nothing listening) and restored on the same port. */
const tcpProxy = async (target: number) => {
  const sockets = new Set<net.Socket>()
  let server: net.Server | undefined
  let port = 0
  const open = () =>
    new Promise<void>((resolve) => {
      server = net.createServer((client) => {
        const upstream = net.connect(target, "127.0.0.1")
        client.pipe(upstream)
        upstream.pipe(client)
        for (const end of [client, upstream]) {
          sockets.add(end)
          end.on("error", () => undefined)
          end.on("close", () => {
            sockets.delete(end)
            client.destroy()
            upstream.destroy()
          })
        }
      })
      server.listen(port, "127.0.0.1", () => {
        port = (server!.address() as net.AddressInfo).port
        resolve()
      })
    })
  const cut = () =>
    new Promise<void>((resolve) => {
      for (const end of sockets) end.destroy()
      server!.close(() => resolve())
    })
  await open()
  return { port, cut, restore: open }
}

/** Polls an async check every 100 ms until it gives a value. */
const poll = async <A>(check: () => Promise<A | undefined>, timeoutMs: number, what: string): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

const expectInOrder = (received: ReadonlyArray<string>, accepted: ReadonlyArray<string>) => {
  const acceptedSet = new Set(accepted)
  expect(received.filter((id) => acceptedSet.has(id))).toEqual(accepted)
}

describe("the control socket's publish verb", () => {
  it("records and answers the id, which then reaches a subscriber; bad input gets f2bc publish's refusals, nothing recorded", async () => {
    const dir = tempDir()
    const broker = await startBroker()
    const sub = await subscriber(broker.port)
    const config = writeConfig(dir, daemonYaml(dir, [broker.port], "types: { n: int }\n"))
    await startDaemon(config)

    const cli = await runF2bc(["publish", "--via-daemon", "--config", config, "-c", "Fail2ban", "-m", ban(1)])
    expect(cli).toMatchObject({ code: 0, stderr: "" })
    const id = cli.stdout.trim()
    expect(id).toMatch(/^[0-9a-f]{32}$/)
    await waitUntil(() => (sub.ids().includes(id) ? true : undefined), 10_000, "the handed-off message at the subscriber")

    const bad: ReadonlyArray<[string, string]> = [
      ["Fail2ban", "jail=sshd, action=banip, ip=not-an-ip"],
      ["Fail2ban", "jail=sshd, n=seven"],
      ["Fail2ban", "jail=sshd, _id=0123"],
      ["Fail2ban", "jail=sshd, b"],
      ["Fail2ban", "jail=-rf"],
      ["all", "jail=sshd"],
      ["Nope", "jail=sshd"]
    ]
    for (const [channel, message] of bad) {
      const direct = await runF2bc(["publish", "--config", config, "-c", channel, "-m", message])
      expect(direct.code).toBe(2)
      const answer = await ask(path.join(dir, "f2bc.sock"), `publish ${channel} ${message}`)
      expect(answer).toEqual({ ok: false, error: direct.stderr.trim().replace(/^f2bc: /, "").replace(/ \(-c is --channel.*$/, "") })
      // With the daemon's config, --via-daemon refuses bad input itself, as publish does: exit 2, the daemon's text.
      const via = await runF2bc(["publish", "--via-daemon", "--config", config, "-c", channel, "-m", message])
      expect(via.code).toBe(2)
      expect(via.stderr).toContain(answer["error"])
    }
    // Only the accepted message was ever recorded.
    const records = decodeRecords(fs.readFileSync(path.join(dir, "state", "outbox"))).records
    expect(records.filter((r) => r._tag === "Entry").map((r) => (r._tag === "Entry" ? r.entry.id : ""))).toEqual([id])
    sub.close()
  }, 60_000)

  it("a daemon that is not running: exit 1 and a clear message", async () => {
    const dir = tempDir()
    const result = await runF2bc(["publish", "--via-daemon", "--control-socket", path.join(dir, "none.sock"), "-c", "Fail2ban", "-m", ban(1)])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(`f2bc: not handed off (is the daemon running?): cannot reach the daemon's control socket ${path.join(dir, "none.sock")}`)
  })
})

describe("the outbox", () => {
  it("survives kill -9 during a storm: every accepted entry reaches the subscriber, in acceptance order", async () => {
    const dir = tempDir()
    const broker = await startBroker()
    const sub = await subscriber(broker.port)
    const config = writeConfig(dir, daemonYaml(dir, [broker.port]))
    const socket = path.join(dir, "f2bc.sock")
    let daemon = await startDaemon(config)
    const accepted: Array<string> = []
    const kills = [60, 140, 220]
    for (let n = 0; n < 300; n++) {
      if (kills.includes(n)) {
        daemon.child.kill("SIGKILL")
        await daemon.exited
        daemon = startF2bc(["daemon", "run", "--config", config])
      }
      accepted.push(await handOffUntilAccepted(socket, n))
    }
    await waitUntil(() => (accepted.every((id) => sub.ids().includes(id)) ? true : undefined), 30_000, "all accepted entries at the subscriber")
    expectInOrder(sub.ids(), accepted)
    sub.close()
  }, 90_000)

  it("a server cut off during a storm gets every entry once it is back; a server that never returns has its entries dropped after outbox_max_age", async () => {
    const dir = tempDir()
    const broker = await startBroker()
    // The subscriber stays connected to the broker; only the daemon's way to it is cut (as a network outage would).
    const sub = await subscriber(broker.port)
    const link = await tcpProxy(broker.port)
    const never = await freePort()
    const config = writeConfig(dir, daemonYaml(dir, [link.port, never], "outbox_max_age: 15s\n"))
    const daemon = await startDaemon(config)
    const socket = path.join(dir, "f2bc.sock")
    const accepted: Array<string> = []
    for (let n = 0; n < 150; n++) {
      // Past the daemon's start-up wait, so the entries before the cut go out as they come.
      if (n === 1) await waitUntil(() => (sub.ids().includes(accepted[0]!) ? true : undefined), 15_000, "the first entry")
      if (n === 50) await link.cut()
      if (n === 100) await link.restore()
      accepted.push(await handOffUntilAccepted(socket, n))
      if (n >= 50 && n < 100) await new Promise((resolve) => setTimeout(resolve, 40)) // an outage of 2 s or more
    }
    await waitUntil(() => (accepted.every((id) => sub.ids().includes(id)) ? true : undefined), 70_000, "all accepted entries after the link returned (the retry backoff grows with the outage)")
      .catch((error: Error) => {
        const missing = accepted.flatMap((id, n) => (sub.ids().includes(id) ? [] : [n]))
        throw new Error(`${error.message}; missing ${missing.length}: ${missing.join(" ")}\n${daemon.output().split("\n").filter((l) => /outbox|fanout/.test(l)).join("\n")}`)
      })
    expectInOrder(sub.ids(), accepted)

    await daemon.waitFor(/\[outbox\] server=127\.0\.0\.1:\d+ dropped \d+ entr(y|ies) older than outbox_max_age \(15 s\), never confirmed/, 30_000)
    const deadServer = `127.0.0.1:${never}`
    const outbox = await poll(async () => {
      const status = (await ask(socket, "status"))["outbox"] as { servers: Array<Record<string, unknown>> }
      const dead = status.servers.find((s) => s["server"] === deadServer)
      return dead?.["dropped"] === 150 ? status : undefined
    }, 30_000, "every entry dropped for the server that never returned")
    expect(outbox).toMatchObject({ entries: 0, servers: expect.arrayContaining([{ server: deadServer, pending: 0, delivered: 0, dropped: 150 }]) })
    await link.cut()
    sub.close()
  }, 150_000)

  it("full: a clear refusal, and the CLI exits 1 with it", async () => {
    const dir = tempDir()
    const never = await freePort()
    const config = writeConfig(dir, daemonYaml(dir, [never], "outbox_max_entries: 3\n"))
    await startDaemon(config)
    const socket = path.join(dir, "f2bc.sock")
    for (let n = 0; n < 3; n++) expect(await ask(socket, `publish Fail2ban ${ban(n)}`)).toMatchObject({ ok: true })
    expect(await ask(socket, `publish Fail2ban ${ban(3)}`)).toEqual({ ok: false, error: "outbox full (3 entries)" })
    const cli = await runF2bc(["publish", "--via-daemon", "--config", config, "-c", "Fail2ban", "-m", ban(4)])
    expect(cli).toMatchObject({ code: 1, stdout: "", stderr: "f2bc: refused by the daemon: outbox full (3 entries)\n" })
  }, 30_000)

  it("is compacted: after a storm is delivered the file is back under the compaction threshold", async () => {
    const dir = tempDir()
    const broker = await startBroker()
    const config = writeConfig(dir, daemonYaml(dir, [broker.port]))
    await startDaemon(config)
    const socket = path.join(dir, "f2bc.sock")
    for (let n = 0; n < 600; n++) await handOffUntilAccepted(socket, n)
    await poll(async () => (((await ask(socket, "status"))["outbox"] as { entries: number }).entries === 0 ? true : undefined), 20_000, "an empty outbox")
    const file = path.join(dir, "state", "outbox")
    // 600 entries and their done marks are about 130 KB appended; the file keeps less than the 64 KiB threshold plus one write.
    // (The last done marks are written, and the file compacted, just after the entries are settled: waited for.)
    await poll(async () => (fs.statSync(file).size < 70_000 ? true : undefined), 10_000, `the file compacted (${fs.statSync(file).size} bytes)`)
    expect(fs.statSync(file).mode & 0o777).toBe(0o600)
    expect(fs.statSync(path.join(dir, "state")).mode & 0o777).toBe(0o700)
  }, 60_000)
})
