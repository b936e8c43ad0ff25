/**
 * Config inputs that used to crash or hang the loader: a FIFO as config or secret file, a document
 * nested thousands of levels deep. Each is refused (exit 2, the file named); a reload logs why and answers with it.
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { runF2bc, startF2bc, stopAll, tempDir, writeConfig, type Running } from "../support/harness.js"

const started: Array<Running> = []
afterEach(async () => {
  // A daemon stuck in open() ignores SIGTERM: a failing test must not hang the run.
  for (const daemon of started.splice(0)) if (daemon.child.exitCode === null) daemon.child.kill("SIGKILL")
  await stopAll()
})

const mkfifo = (file: string): string => {
  execFileSync("mkfifo", ["-m", "600", file])
  return file
}

const hub = (dir: string): string => `node_name: hub
pid_file: ${path.join(dir, "f2bc.pid")}
state_dir: ${path.join(dir, "state")}
broker:
  host: 127.0.0.1
  port: 0
servers: []
`

const signedServer = (secret: string): string => `servers:
  - host: 127.0.0.1
    port: 1986
    channels:
      - name: Fail2ban
        action: "true %ip%"
        secret_file: ${secret}
`

describe("a FIFO or a deep document is refused with exit 2, naming the file", () => {
  it("a FIFO as the config: check and daemon run exit 2 at once", async () => {
    const fifo = mkfifo(path.join(tempDir(), "f2bc.yml"))
    for (const args of [["check"], ["daemon", "run"]]) {
      const result = await runF2bc([...args, "--config", fifo])
      expect(result.code).toBe(2)
      expect(result.stderr).toBe(`f2bc: cannot read config ${fifo}: is a FIFO, not a regular file\n`)
    }
  }, 20_000)

  it("a FIFO as secret_file: daemon run exits 2 naming the key", async () => {
    const dir = tempDir()
    const secret = mkfifo(path.join(dir, "cluster.key"))
    const result = await runF2bc(["daemon", "run", "--config", writeConfig(dir, signedServer(secret))])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain(`servers[0].channels[0].secret_file: ${secret} is a FIFO, not a regular file`)
  }, 20_000)

  it("a document nested 5000 levels deep is a syntax error, not a crash", async () => {
    const dir = tempDir()
    const config = writeConfig(dir, `servers: ${"[".repeat(5000)}1${"]".repeat(5000)}\n`)
    const result = await runF2bc(["check", "--config", config])
    expect(result.code).toBe(2)
    expect(result.stderr).toBe(`f2bc: invalid YAML in ${config} at line 1, column 73: nested deeper than 64 levels (a config needs about 8)\n`)
  })
})

describe("a reload that fails logs why and answers daemon reload with it", () => {
  it("a config or secret file turned into a FIFO: refused by SIGHUP and by daemon reload, and SIGTERM still stops the daemon", async () => {
    const dir = tempDir()
    const config = writeConfig(dir, hub(dir))
    const pidFile = path.join(dir, "f2bc.pid")
    const daemon = startF2bc(["daemon", "run", "--config", config])
    started.push(daemon)
    await daemon.waitFor(/daemon started as node hub/)

    fs.rmSync(config)
    mkfifo(config)
    daemon.child.kill("SIGHUP")
    await daemon.waitFor(new RegExp(`reload refused, the running config stays: cannot read config ${config}: is a FIFO, not a regular file`))
    const answer = await runF2bc(["daemon", "reload", "--pid-file", pidFile])
    expect(answer.code).toBe(1)
    expect(answer.stderr).toBe(`f2bc: reload refused, the running config stays: cannot read config ${config}: is a FIFO, not a regular file\n`)

    fs.rmSync(config)
    const secret = mkfifo(path.join(dir, "cluster.key"))
    writeConfig(dir, hub(dir).replace("servers: []\n", signedServer(secret)))
    const secretAnswer = await runF2bc(["daemon", "reload", "--pid-file", pidFile])
    expect(secretAnswer.code).toBe(1)
    expect(secretAnswer.stderr).toContain(`${secret} is a FIFO, not a regular file`)

    daemon.child.kill("SIGTERM")
    expect((await daemon.exited).code).toBe(0)
    expect(fs.existsSync(pidFile)).toBe(false)
  }, 30_000)
})

describe("a pid file or control socket in a directory others can write is refused (exit 2, naming the directory)", () => {
  it("pid_file and control_socket in a world-writable directory", async () => {
    const dir = tempDir()
    const open = path.join(dir, "open")
    fs.mkdirSync(open)
    fs.chmodSync(open, 0o1777)
    const pidFile = path.join(open, "f2bc.pid")
    const config = writeConfig(dir, hub(dir).replace(/^pid_file: .*$/m, `pid_file: ${pidFile}`))
    const refused = await runF2bc(["daemon", "run", "--config", config])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain(`f2bc: refusing pid file ${pidFile}: its directory ${open} is writable by group and others (mode 01777)`)
    expect(fs.readdirSync(open)).toEqual([])

    const socket = path.join(open, "f2bc.sock")
    writeConfig(dir, `${hub(dir)}control_socket: ${socket}\n`)
    const socketRefused = await runF2bc(["daemon", "run", "--config", config])
    expect(socketRefused.code).toBe(2)
    expect(socketRefused.stderr).toContain(`f2bc: refusing control socket ${socket}: its directory ${open} is writable by group and others`)
    expect(fs.existsSync(path.join(dir, "f2bc.pid"))).toBe(false)
  }, 20_000)
})
