/**
 * `f2bc daemon start` as a new user meets it: a daemon that fails while
 * starting says why on the terminal, whatever the config, and no error is a stack trace.
 */
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { freePort, runF2bc, stopAll, tempDir, writeConfig } from "../support/harness.js"

afterEach(stopAll)

/** A loopback listener holding a port, so that the daemon's embedded broker cannot bind it. */
const busyPort = async (): Promise<{ port: number; close: () => Promise<void> }> => {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as net.AddressInfo).port
  return { port, close: () => new Promise((resolve) => server.close(() => resolve())) }
}

describe("daemon start", () => {
  for (const withLogFile of [false, true]) {
    it(`shows the child's error when it fails to start (${withLogFile ? "with" : "without"} log_file)`, async () => {
      const dir = tempDir()
      const busy = await busyPort()
      try {
        const pidFile = path.join(dir, "f2bc.pid")
        const logFile = path.join(dir, "f2bc.log")
        const config = writeConfig(
          dir,
          `broker: { host: 127.0.0.1, port: ${busy.port} }\npid_file: ${pidFile}\nstate_dir: ${path.join(dir, "state")}\n` + (withLogFile ? `log_file: ${logFile}\n` : "")
        )
        const result = await runF2bc(["daemon", "start", "--config", config])
        expect(result.code).toBe(1)
        expect(result.stderr).toContain(`f2bc: start failed: the daemon exited with status 1:`)
        expect(result.stderr).toContain(`broker cannot listen on 127.0.0.1:${busy.port}`)
        expect(result.stderr).toContain("EADDRINUSE")
        expect(result.stderr).not.toContain("set log_file to keep its logs")
        expect(fs.existsSync(pidFile)).toBe(false)
      } finally {
        await busy.close()
      }
    })
  }

  it("a log_file it cannot open is one clean line, as with daemon run, and no stack trace", async () => {
    const dir = tempDir()
    const pidFile = path.join(dir, "f2bc.pid")
    const logFile = path.join(dir, "no-such-dir", "f2bc.log")
    const config = writeConfig(dir, `broker: { host: 127.0.0.1, port: ${await freePort()} }\npid_file: ${pidFile}\nstate_dir: ${path.join(dir, "state")}\nlog_file: ${logFile}\n`)
    const expected = `cannot open log_file ${logFile}: ENOENT`
    const run = await runF2bc(["daemon", "run", "--config", config])
    expect(run.code).toBe(1)
    expect(run.stderr).toContain(`f2bc: ${expected}`)
    const start = await runF2bc(["daemon", "start", "--config", config])
    expect(start.code).toBe(1)
    expect(start.stderr).toContain(expected)
    for (const output of [run.stderr, start.stderr]) {
      expect(output).not.toMatch(/^\s+at /m)
      expect(output).not.toContain("f2bc.cjs")
      expect(output).not.toContain("cause=")
    }
  })
})
