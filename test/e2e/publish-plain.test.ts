/**
 * `f2bc publish --host …` through the plain path (the small bundle, no Effect runtime) and through the
 * full CLI agree: exit codes, stderr, the message on the wire, an unconfirmed send, a signal.
 * The plain path runs from a copy of dist/ without the big bundle, so it cannot have fallen back to it.
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { afterEach, beforeAll, describe, expect, it } from "vitest"
import { ROOT, freePort, rawClient, runF2bc, silentServer, startBroker, stopAll, tempDir, waitUntil } from "../support/harness.js"

afterEach(stopAll)

/** dist/ with the small bundle only. */
let plainBin = ""
beforeAll(() => {
  const dir = tempDir()
  for (const file of ["f2bc.js", "f2bc-publish.cjs", "package.json"]) fs.copyFileSync(path.join(ROOT, "dist", file), path.join(dir, file))
  plainBin = path.join(dir, "f2bc.js")
})

interface Outcome {
  readonly code: number | null
  readonly stderr: string
}

/** Runs `args` with `bin`; `started` is called with the child (to signal it). */
const run = (bin: string, args: ReadonlyArray<string>, started?: (pid: number) => void) =>
  new Promise<Outcome>((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ["ignore", "ignore", "pipe"] })
    let stderr = ""
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")))
    child.once("close", (code) => resolve({ code, stderr }))
    started?.(child.pid!)
  })

const LONG: Record<string, string> = { "-c": "--channel", "-m": "--message", "-p": "--port" }

/** The same options as `--name=value`, which only the full CLI reads. */
const fullForm = (args: ReadonlyArray<string>): Array<string> => {
  const out = [args[0]!]
  for (let i = 1; i < args.length; i += 2) out.push(`${LONG[args[i]!] ?? args[i]}=${args[i + 1]}`)
  return out
}

/** Both paths, one after the other; they must end alike. */
const both = async (args: ReadonlyArray<string>): Promise<Outcome> => {
  const plain = await run(plainBin, args)
  const full = await runF2bc(fullForm(args))
  expect(plain, args.join(" ")).toEqual({ code: full.code, stderr: full.stderr })
  return plain
}

/** A delivery with the envelope's per-message values blanked. */
const shape = (line: string) => line.replace(/_id=[0-9a-f]{32}/, "_id=ID").replace(/_ts=\d+/, "_ts=TS")

/** A server that answers what it reads with `reply` (then closes, with `close`). */
const scripted = async (reply: string, close: boolean) => {
  const server = net.createServer((socket) => {
    socket.on("error", () => undefined)
    socket.once("data", () => (close ? socket.end(reply) : socket.write(reply)))
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return { port: (server.address() as net.AddressInfo).port, close: () => server.close() }
}

describe("publish --host: plain path and full CLI", () => {
  it("send the same messages: pairs with an envelope, --ban-until, a plain text, the host name as _origin", async () => {
    const broker = await startBroker()
    const listener = await rawClient(broker.port)
    listener.send("subscribe Fail2ban\n")
    await listener.sync()
    const host = ["--host", "127.0.0.1", "-p", String(broker.port)]
    const pairs = "jail=sshd, action=banip, ip=192.0.2.7"
    const cases = [
      ["publish", "-c", "Fail2ban", "-m", pairs, ...host, "--node-name", "web1"],
      ["publish", ...host, "--channel", "Fail2ban", "--message", pairs, "--ban-until", "1900000000", "--timeout", "5"],
      ["publish", "-c", "Fail2ban", "-m", "hello from web1", "-p", String(broker.port)]
    ]
    let seen = 0
    for (const args of cases) {
      expect(await both(args)).toEqual({ code: 0, stderr: "" })
      const lines = await waitUntil(() => {
        const all = listener.received().split("\n").filter((line) => line.startsWith("Fail2ban!"))
        return all.length >= seen + 2 ? all.slice(seen, seen + 2) : undefined
      }, 5000, "both deliveries")
      seen += 2
      expect(shape(lines[0]!)).toBe(shape(lines[1]!))
      if (lines[0]!.includes("_id=")) expect(lines[0]).not.toBe(lines[1])
    }
    expect(listener.received()).toMatch(/, ban_until=1900000000, _id=[0-9a-f]{32}, _ts=\d+, _origin=[A-Za-z0-9_.-]+$/m)
    listener.close()
  })

  it("refuse the same bad input with the same exit code and text, sending nothing", async () => {
    const broker = await startBroker()
    const listener = await rawClient(broker.port)
    listener.send("subscribe Fail2ban\nsubscribe all\n")
    await listener.sync()
    const host = ["--host", "127.0.0.1", "-p", String(broker.port)]
    const pairs = "jail=sshd, action=banip, ip=192.0.2.7"
    const refused: Array<[ReadonlyArray<string>, string]> = [
      [["publish", "-c", "all", "-m", pairs, ...host], "reserved"],
      [["publish", "-c", "Fail\u001b[31m!2ban", "-m", pairs, ...host], `contains "!"`],
      [["publish", "-c", "Fail2ban", "-m", "jail=sshd, =x", ...host], "invalid message"],
      [["publish", "-c", "Fail2ban", "-m", `${pairs}, _id=00`, ...host], "belong to the envelope"],
      [["publish", "-c", "Fail2ban", "-m", "jail=sshd, action=banip, ip=not-an-address", ...host], "a daemon would reject it"],
      [["publish", "-c", "Fail2ban", "-m", pairs, "--node-name", "web.1:x", ...host], "--node-name must be"],
      [["publish", "-c", "Fail2ban", "-m", pairs, "--timeout", "3601", ...host], "--timeout must be from 1 to 3600"],
      [["publish", "-c", "Fail2ban", "-m", pairs, "--host", "127.0.0.1", "-p", "0"], "--port must be from 1 to 65535"],
      [["publish", "-c", "Fail2ban", "-m", "hello", "--ban-until", "5", ...host], "--ban-until needs a key=value message"],
      [["publish", "-c", "Fail2ban", "-m", `${pairs}, note=${"x".repeat(70_000)}`, ...host], "the request line would be"]
    ]
    for (const [args, text] of refused) {
      const result = await both(args)
      expect(result.code, args.join(" ")).toBe(2)
      expect(result.stderr).toMatch(/^f2bc: [^\n]*\n$/)
      expect(result.stderr).toContain(text)
      expect(result.stderr).not.toContain("\u001b") // escaped, as the log does
    }
    await listener.sync()
    expect(listener.received()).not.toMatch(/^(Fail2ban|all)!/m)
    listener.close()
  })

  it("fail alike (exit 1, the same words) when the server refuses, closes, is full or never answers", async () => {
    const closed = await freePort()
    const closing = await scripted("", true)
    const busy = await scripted("debug!busy\n", true)
    const silent = await silentServer()
    const cases: Array<[number, string]> = [
      [closed, `cannot connect: connect ECONNREFUSED 127.0.0.1:${closed}`],
      [closing.port, "server closed the connection"],
      [busy.port, "server is full (debug!busy)"],
      [silent.port, "no pong within 1000 ms"]
    ]
    for (const [port, detail] of cases) {
      const result = await both(["publish", "-c", "Fail2ban", "-m", "ip=192.0.2.7", "--host", "127.0.0.1", "-p", String(port), "--timeout", "1"])
      expect(result).toEqual({ code: 1, stderr: `f2bc: not confirmed by 1 of 1 server(s): 127.0.0.1:${port} (${detail})\n` })
    }
    closing.close()
    busy.close()
    await silent.close()
  })

  it("end quietly with 0 on SIGTERM while waiting for the server, as the full CLI does", async () => {
    const silent = await silentServer()
    const args = ["publish", "-c", "Fail2ban", "-m", "ip=192.0.2.7", "--host", "127.0.0.1", "-p", String(silent.port), "--timeout", "60"]
    const outcomes: Array<Outcome> = []
    for (const [bin, form] of [[plainBin, args], [path.join(ROOT, "dist/f2bc.js"), fullForm(args)]] as const) {
      const before = silent.connections()
      outcomes.push(await run(bin, form, (pid) => {
        void waitUntil(() => (silent.connections() > before ? true : undefined), 10_000, "the connection").then(() => process.kill(pid, "SIGTERM"))
      }))
    }
    expect(outcomes).toEqual([{ code: 0, stderr: "" }, { code: 0, stderr: "" }])
    await silent.close()
  })
})
