/**
 * A hostile server (protocol.md/operations.md): over-long lines, control characters and
 * garbage from the network are dropped and logged; the daemon keeps serving.
 */
import * as net from "node:net"
import { afterEach, describe, expect, it } from "vitest"
import { recorder, startF2bc, stopAll, tempDir, writeConfig } from "../support/harness.js"

afterEach(stopAll)

/** A fanout-speaking server that answers pings and, once subscribed, sends `script`. */
const scriptedServer = async (script: string) => {
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on("error", () => undefined)
    socket.write("debug!connected...\n")
    let sent = false
    let buffer = ""
    socket.on("data", (chunk: Buffer) => {
      buffer += chunk.toString("utf8")
      let newline: number
      while ((newline = buffer.indexOf("\n")) !== -1) {
        const line = buffer.slice(0, newline)
        buffer = buffer.slice(newline + 1)
        if (line === "ping") {
          socket.write(`${Math.floor(Date.now() / 1000)}\n`)
          if (!sent) {
            sent = true
            socket.write(script)
          }
        }
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return { port: (server.address() as net.AddressInfo).port, close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      })
  }
}

describe("hostile input from a server", () => {
  it("drops an over-long line, resynchronises at the next newline, escapes control characters in logs", async () => {
    const dir = tempDir()
    const rec = recorder(dir)
    const huge = "x".repeat(200_000)
    const server = await scriptedServer(
      `Fail2ban!ip=${huge}\n` + // over-long: dropped
        "Fail2ban!ip=192.0.2.1, jail=\u001b[31mred\n" + // control character: rejected at types (security.md), and the log escapes it
        "garbage without a bang\n" +
        "Fail2ban!ip=192.0.2.2, jail=sshd\n"
    )
    const config = writeConfig(
      dir,
      `servers:
  - host: 127.0.0.1
    port: ${server.port}
    channels:
      - name: Fail2ban
        action: "${rec.script} %ip% %jail%"
max_line_bytes: 1024
log_level: 3
`
    )
    const daemon = startF2bc(["daemon", "run", "--config", config])
    // Lines are decided in order: once the last one ran, the others had been decided.
    expect(await rec.waitForCalls(1)).toEqual([["192.0.2.2", "sshd"]])
    await daemon.waitFor(/rejected at types: jail="\\u001b\[31mred" contains a control character U\+001B at position 0/)
    await daemon.waitFor(/dropped an over-long line of 200012 bytes/)
    expect(daemon.output()).toMatch(/\\(x1b|u001b)\[31mred/)
    expect(daemon.output()).not.toContain("\u001b")
    await server.close()
  })

  it("a delivery with a bare CR reaches the grammar stage: rejected and counted at the default level, not ignored", async () => {
    const dir = tempDir()
    const rec = recorder(dir)
    const server = await scriptedServer("Fail2ban!ip=192.0.2.3,\rjail=sshd\n" + "Fail2ban!ip=192.0.2.4, jail=sshd\n")
    const config = writeConfig(
      dir,
      `servers:
  - host: 127.0.0.1
    port: ${server.port}
    channels:
      - name: Fail2ban
        action: "${rec.script} %ip% %jail%"
`
    )
    const daemon = startF2bc(["daemon", "run", "--config", config])
    expect(await rec.waitForCalls(1)).toEqual([["192.0.2.4", "sshd"]])
    await daemon.waitFor(/WARN .*rejected at grammar: message contains a carriage return \(CR\) at position 13/)
    expect(daemon.output()).not.toContain("ignored line")
    await server.close()
  })

  it("a flood of hostile messages: every one counted, a bounded prefix of each and at most 20 lines per kind logged", async () => {
    const dir = tempDir()
    const rec = recorder(dir)
    const hostile = `ip=192.0.2.1, jail=${"\u0001\u001b[2J".repeat(12_000)}`
    const flood = `Fail2ban!${hostile}\n`.repeat(200)
    const server = await scriptedServer(flood + "Fail2ban!ip=192.0.2.5, jail=sshd\n")
    const config = writeConfig(
      dir,
      `metrics: { listen: "127.0.0.1:0" }
servers:
  - host: 127.0.0.1
    port: ${server.port}
    channels:
      - name: Fail2ban
        action: "${rec.script} %ip% %jail%"
`
    )
    const daemon = startF2bc(["daemon", "run", "--config", config])
    const url = (await daemon.waitFor(/metrics on (http:\/\/127\.0\.0\.1:\d+\/metrics)/))[1]!
    expect(await rec.waitForCalls(1)).toEqual([["192.0.2.5", "sshd"]])
    const metrics = await (await fetch(url)).text()
    expect(metrics).toContain(`f2bc_messages_total{outcome="rejected",stage="types"} 200`)
    expect(metrics).toContain(`f2bc_log_lines_suppressed_total{line="rejected at types"} 180`)
    const lines = daemon.output().split("\n").filter((line) => line.includes("rejected at types"))
    expect(lines).toHaveLength(20)
    for (const line of lines) {
      expect(line).toContain(`…(${hostile.length} chars)`)
      expect(line.length).toBeLessThan(2500)
    }
    await server.close()
  })

  it("a server streaming debug!busy and over-long lines: at most 20 lines of each kind, then a summary when the connection ends", async () => {
    const dir = tempDir()
    const rec = recorder(dir)
    const overlong = `Fail2ban!ip=${"\u0001".repeat(2000)}\n`
    const server = await scriptedServer("debug!busy\n".repeat(1000) + overlong.repeat(100) + "Fail2ban!ip=192.0.2.6, jail=sshd\n")
    const config = writeConfig(
      dir,
      `servers:
  - host: 127.0.0.1
    port: ${server.port}
    channels:
      - name: Fail2ban
        action: "${rec.script} %ip% %jail%"
max_line_bytes: 1024
`
    )
    const daemon = startF2bc(["daemon", "run", "--config", config])
    expect(await rec.waitForCalls(1)).toEqual([["192.0.2.6", "sshd"]])
    await server.close()
    await daemon.waitFor(/WARN .*… and 980 more server busy notices in the last 10 s/)
    await daemon.waitFor(/WARN .*… and 80 more over-long lines in the last 10 s/)
    const lines = daemon.output().split("\n")
    expect(lines.filter((line) => / server is full \(debug!busy\)$/.test(line))).toHaveLength(20)
    expect(lines.filter((line) => line.includes("dropped an over-long line"))).toHaveLength(20)
  })

  it("at log_level 3 (debug) every line is logged, each with a bounded prefix of the network's text", async () => {
    const dir = tempDir()
    const rec = recorder(dir)
    const server = await scriptedServer(`garbage ${"\u0001".repeat(5000)}\n`.repeat(30) + "Fail2ban!ip=192.0.2.7, jail=sshd\n")
    const config = writeConfig(
      dir,
      `servers:
  - host: 127.0.0.1
    port: ${server.port}
    channels:
      - name: Fail2ban
        action: "${rec.script} %ip% %jail%"
log_level: 3
`
    )
    const daemon = startF2bc(["daemon", "run", "--config", config])
    expect(await rec.waitForCalls(1)).toEqual([["192.0.2.7", "sshd"]])
    const ignored = daemon.output().split("\n").filter((line) => line.includes("ignored line: "))
    expect(ignored).toHaveLength(30)
    for (const line of ignored) expect(line).toMatch(/…\(5008 chars\)$/)
    await server.close()
  })
})
