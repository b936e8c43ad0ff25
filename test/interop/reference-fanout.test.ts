/**
 * Interop (protocol.md/operations.md): the built f2bc against an independent reference
 * fanout server that behaves like fanout.c, and f2bc's broker against it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  rawClient,
  recorder,
  runF2bc,
  startBroker,
  startF2bc,
  stopAll,
  tempDir,
  waitUntil,
  writeConfig
} from "../support/harness.js"
import {
  FANOUT_SESSION,
  ORIGINAL_CLIENT,
  runPython,
  startReference,
  stopReferences,
  type ReferenceServer
} from "./reference.js"

const publishTo = (port: number, channel: string, message: string) =>
  runF2bc(["publish", "--node-name", "test-publisher", "-c", channel, "-m", message, "--host", "127.0.0.1", "-p", String(port)])

/** Sends one announce the way the original Python client did: connect, write, close, no ping. */
const originalClientAnnounce = async (port: number, channel: string, message: string, crlf = false) => {
  const result = await runPython(ORIGINAL_CLIENT, [String(port), channel, message, ...(crlf ? ["--crlf"] : [])])
  expect(result).toMatchObject({ code: 0, stderr: "" })
}

const daemonConfig = (port: number, script: string) => `servers:
  - host: 127.0.0.1
    port: ${port}
    ping_timeout: 5
    channels:
      - name: Fail2ban
        action: "${script} set %jail% %action% %ip%"
      - name: Raw
        action: "${script} raw %_msg% %note%"
log_level: 3
`

describe("the reference server reproduces fanout.c (so the tests below mean something)", () => {
  let server: ReferenceServer
  beforeAll(async () => {
    server = await startReference()
  })
  afterAll(stopReferences)

  it("greets, answers ping with its clock, and delivers on all to every client", async () => {
    const a = await rawClient(server.port)
    const b = await rawClient(server.port)
    b.send("announce all hello\n")
    await b.sync()
    await a.sync()
    expect(a.received()).toMatch(/^debug!connected\.\.\.\nall!hello\n\d+\n$/)
    expect(b.received()).toMatch(/^debug!connected\.\.\.\nall!hello\n\d+\n$/)
    const pong = Number(b.received().split("\n")[2])
    expect(Math.abs(pong - Date.now() / 1000)).toBeLessThan(5)
    a.close()
    b.close()
  })

  it("does not strip \\r: `ping\\r` gets no pong and an announce keeps its \\r in the delivery", async () => {
    const client = await rawClient(server.port)
    client.send("subscribe news\nping\r\nannounce news crlf line\r\n")
    await client.sync()
    expect(client.received()).toMatch(/^debug!connected\.\.\.\nnews!crlf line\r\n\d+\n$/)
    client.close()
  })

  it("collapses runs of spaces between action and channel (strtok), drops an empty message", async () => {
    const client = await rawClient(server.port)
    client.send("subscribe   spaced\nannounce spaced \nannounce spaced two  words\n")
    await client.sync()
    expect(client.received()).toMatch(/^debug!connected\.\.\.\nspaced!two {2}words\n\d+\n$/)
    client.close()
  })
})

describe("f2bc daemon and publish against the reference server (fanout.c behaviour)", () => {
  const dir = tempDir()
  const rec = recorder(dir)
  let server: ReferenceServer

  beforeAll(async () => {
    server = await startReference()
    const daemon = startF2bc(["daemon", "run", "--config", writeConfig(dir, daemonConfig(server.port, rec.script))])
    await daemon.waitFor(/connected, subscribed to Fail2ban, Raw/)
  })
  afterAll(async () => {
    await stopAll()
    await stopReferences()
  })

  // Each test ends with a message that must run; the server and the daemon keep
  // order, so it is the barrier proving that an earlier one ran nothing.
  it("f2bc publish exits 0 and the daemon runs the action once with the exact argv (operations.md)", async () => {
    const before = rec.calls().length
    expect(await publishTo(server.port, "Fail2ban", "jail=sshd, action=banip, ip=192.0.2.7")).toMatchObject({ code: 0 })
    const calls = await rec.waitForCalls(before + 1)
    expect(calls.slice(before)).toEqual([["set", "sshd", "banip", "192.0.2.7"]])
  })

  it("runs the action for the original Python client's announce (no envelope, no ping, closed at once)", async () => {
    const before = rec.calls().length
    await originalClientAnnounce(server.port, "Fail2ban", "jail=sshd, action=banip, ip=192.0.2.8")
    const calls = await rec.waitForCalls(before + 1)
    expect(calls.slice(before)).toEqual([["set", "sshd", "banip", "192.0.2.8"]])
  })

  it("runs nothing for a delivery on the reserved channel all (protocol.md)", async () => {
    const before = rec.calls().length
    const client = await rawClient(server.port)
    client.send("announce all jail=sshd, action=banip, ip=192.0.2.20\n")
    await client.sync()
    client.close()
    expect(await publishTo(server.port, "Fail2ban", "jail=sshd, action=banip, ip=192.0.2.21")).toMatchObject({ code: 0 })
    const calls = await rec.waitForCalls(before + 1)
    expect(calls.slice(before)).toEqual([["set", "sshd", "banip", "192.0.2.21"]])
  })

  it("delivers a message with ! and runs of spaces whole: split at the first ! only (protocol.md)", async () => {
    const before = rec.calls().length
    const text = "jail=sshd, note=alert!  brute   force!!"
    expect(await publishTo(server.port, "Raw", text)).toMatchObject({ code: 0 })
    await rec.waitForCalls(before + 1)
    await originalClientAnnounce(server.port, "Raw", text)
    const calls = await rec.waitForCalls(before + 2)
    expect(calls.slice(before)).toEqual([
      ["raw", text, "alert!  brute   force!!"],
      ["raw", text, "alert!  brute   force!!"]
    ])
  })

  it("handles a delivery that fanout.c relays with the \\r of a \\r\\n announce: the action gets the value without \\r", async () => {
    const before = rec.calls().length
    const witness = await rawClient(server.port)
    witness.send("subscribe Fail2ban\n")
    await witness.sync()
    await originalClientAnnounce(server.port, "Fail2ban", "jail=sshd, action=banip, ip=192.0.2.9", true)
    // What the daemon received too: the server relayed the \r.
    await waitUntil(() => (witness.received().includes("Fail2ban!") ? true : undefined), 5000, "the witness delivery")
    expect(witness.received()).toContain("Fail2ban!jail=sshd, action=banip, ip=192.0.2.9\r\n")
    witness.close()
    await rec.waitForCalls(before + 1)
    expect(await publishTo(server.port, "Fail2ban", "jail=sshd, action=banip, ip=192.0.2.10")).toMatchObject({ code: 0 })
    const calls = await rec.waitForCalls(before + 2)
    expect(calls.slice(before)).toEqual([
      ["set", "sshd", "banip", "192.0.2.9"],
      ["set", "sshd", "banip", "192.0.2.10"]
    ])
  })
})

describe("f2bc daemon when the reference server dies (operations.md)", () => {
  afterAll(async () => {
    await stopAll()
    await stopReferences()
  })

  it("reconnects and resubscribes after the server is SIGKILLed and restarted on the same port", async () => {
    const dir = tempDir()
    const rec = recorder(dir)
    const first = await startReference()
    const daemon = startF2bc(["daemon", "run", "--config", writeConfig(dir, daemonConfig(first.port, rec.script))])
    await daemon.waitFor(/connected, subscribed to Fail2ban, Raw/)
    const mark = daemon.output().length
    await first.stop("SIGKILL")
    await daemon.waitFor(/connection lost/, 15_000, mark)
    const second = await startReference(first.port)
    await daemon.waitFor(/connected, subscribed to Fail2ban, Raw/, 20_000, mark)
    expect(await publishTo(second.port, "Fail2ban", "jail=sshd, action=banip, ip=192.0.2.11")).toMatchObject({ code: 0 })
    expect(await rec.waitForCalls(1)).toEqual([["set", "sshd", "banip", "192.0.2.11"]])
  })
})

describe("f2bc broker answers a Python fanout client like the reference server (operations.md: same protocol, same replies)", () => {
  afterAll(async () => {
    await stopAll()
    await stopReferences()
  })

  // What fanout.c sends each client of FANOUT_SESSION (pongs shown as <pong>).
  const expected = {
    A: [
      "debug!connected...",
      "<pong>",
      "<pong>",
      "news!hello world! a message with  two  spaces and ! bangs",
      "<pong>",
      "all!to everyone",
      "<pong>",
      "news!third",
      "<pong>",
      "news!split line",
      "<pong>",
      "<pong>",
      "<pong>",
      "<pong>"
    ],
    B: [
      "debug!connected...",
      "<pong>",
      "<pong>",
      "news!hello world! a message with  two  spaces and ! bangs",
      "<pong>",
      "all!to everyone",
      "<pong>",
      "y!second",
      "x!first",
      "<pong>",
      "news!third",
      "<pong>",
      "news!split line",
      "<pong>",
      "<pong>",
      "news!after unsubscribe",
      "<pong>",
      "<pong>",
      "all!still here",
      "<pong>"
    ]
  }

  const transcript = async (port: number): Promise<unknown> => {
    const result = await runPython(FANOUT_SESSION, [String(port)])
    expect(result).toMatchObject({ code: 0, stderr: "" })
    return JSON.parse(result.stdout)
  }

  it("greeting, ping, subscribe/announce delivery, all, unsubscribe and ignored lines match line for line", async () => {
    const reference = await startReference()
    const broker = await startBroker()
    const fromReference = await transcript(reference.port)
    expect(fromReference).toEqual(expected)
    expect(await transcript(broker.port)).toEqual(fromReference)
  })
})
