/**
 * The command line as a user meets it (operations.md): exit codes, config errors,
 * `daemon start|status|stop` with a pid file, the embedded broker, `check`.
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { VERSION } from "../../src/version.js"
import { freePort, recorder, ROOT, runF2bc, startF2bc, stopAll, tempDir, waitUntil, writeConfig } from "../support/harness.js"

afterEach(stopAll)

/**
 * A one-process setup: the embedded broker on `port` and a server subscribed
 * to it whose Fail2ban channel runs `action` (none: a broker-only hub).
 */
const singleNode = (dir: string, port: number, extra = "", action: string | undefined = "true %ip%"): string =>
  writeConfig(
    dir,
    `broker: { host: 127.0.0.1, port: ${port} }\n` +
      (action === undefined
        ? ""
        : `servers:\n  - host: 127.0.0.1\n    port: ${port}\n    channels:\n      - name: Fail2ban\n        action: "${action}"\n`) +
      extra
  )

describe("f2bc command line", () => {
  it("--version prints the package version", async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string }
    expect(VERSION).toBe(pkg.version)
    const result = await runF2bc(["--version"])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain(VERSION)
  })

  it("f2bc with no command is a usage error (exit 2) that names the commands", async () => {
    const result = await runF2bc([])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain("f2bc: a command is required: daemon, publish, broker or check (see f2bc --help)")
    // --help is still a success.
    expect((await runF2bc(["--help"])).code).toBe(0)
  })

  it("an unknown flag is a usage error (exit 2)", async () => {
    expect((await runF2bc(["publish", "--bogus"])).code).toBe(2)
  })

  it("a broken config exits 2 naming the path of each problem", async () => {
    const dir = tempDir()
    const config = writeConfig(
      dir,
      `servers:
  - host: 127.0.0.1
    port: 1986
    channels:
      - name: Fail2ban
`
    )
    for (const args of [["daemon", "run", "--config", config], ["check", "--config", config]]) {
      const result = await runF2bc(args)
      expect(result.code).toBe(2)
      expect(result.stderr).toContain("servers[0].channels[0].action: is missing")
    }
  })

  it("a missing config file exits 2 naming the file", async () => {
    const result = await runF2bc(["check", "--config", "/nonexistent/f2bc.yml"])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain("/nonexistent/f2bc.yml")
  })

  it("publish refuses a message the grammar rejects before sending (exit 2)", async () => {
    const port = await freePort()
    const result = await runF2bc(["publish", "--node-name", "test-publisher", "-c", "Fail2ban", "-m", "jail=sshd, banip", "--host", "127.0.0.1", "-p", String(port)])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('"banip"')
  })

  it("check shows the exact argv a message would run, and the reason for a rejected one", async () => {
    const dir = tempDir()
    const config = writeConfig(
      dir,
      `servers:
  - host: 127.0.0.1
    port: 1986
    channels:
      - name: Fail2ban
        action: "fail2ban-client set %jail% %action% %ip%"
    filter:
      - key: jail
        values: [sshd]
`
    )
    const pass = await runF2bc(["check", "--config", config, "-c", "Fail2ban", "-m", "jail=sshd, action=banip, ip=192.0.2.7"])
    expect(pass.code).toBe(0)
    expect(pass.stdout).toContain('127.0.0.1:1986 Fail2ban: would run ["fail2ban-client","set","sshd","banip","192.0.2.7"]')
    const reject = await runF2bc(["check", "--config", config, "-c", "Fail2ban", "-m", "jail=apache, action=banip, ip=192.0.2.7"])
    expect(reject.code).toBe(1)
    expect(reject.stdout).toContain("rejected at filter")
  })

  it("check and publish show hostile characters escaped as the log does (bidi, C1, U+2028, invisible format characters)", async () => {
    const dir = tempDir()
    const config = writeConfig(
      dir,
      `servers:
  - host: 127.0.0.1
    port: 1986
    channels:
      - name: Fail2ban
        action: "/bin/echo %ip% %note%"
`
    )
    const raw = /[\u0080-\u009f\u2028\u202e\u200b\ufeff]/
    const bidi = await runF2bc(["check", "--config", config, "-c", "Fail2ban", "-m", "ip=192.0.2.7, note=a\u202eb\u2028"])
    expect(bidi.code).toBe(1)
    expect(bidi.stdout).toContain('rejected at types: note="a\\u202eb\\u2028" contains a bidi formatting character U+202E at position 1')
    expect(bidi.stdout).not.toMatch(raw)
    // Invisible characters are allowed in a value, but shown.
    const invisible = await runF2bc(["check", "--config", config, "-c", "Fail2ban", "-m", "ip=192.0.2.7, note=ss\u200bhd\ufeff"])
    expect(invisible.code).toBe(0)
    expect(invisible.stdout).toContain('would run ["/bin/echo","192.0.2.7","ss\\u200bhd\\ufeff"]')
    expect(invisible.stdout).not.toMatch(raw)
    const c1 = await runF2bc(["publish", "--host", "127.0.0.1", "-p", "1", "-c", "Fail2ban", "-m", "ip=192.0.2.7, note=a\u0085b"])
    expect(c1.code).toBe(2)
    expect(c1.stderr).toContain('note="a\\x85b" contains a control character U+0085 at position 1')
    expect(c1.stderr).not.toMatch(raw)
  })

  it("daemon start, status and stop manage a detached daemon through its pid file", async () => {
    const dir = tempDir()
    const pidFile = path.join(dir, "f2bc.pid")
    const logFile = path.join(dir, "f2bc.log")
    const port = await freePort()
    const config = singleNode(dir, port, `pid_file: ${pidFile}\nstate_dir: ${path.join(dir, "state")}\nlog_file: ${logFile}\n`)
    expect((await runF2bc(["daemon", "status", "--config", config])).code).toBe(3)
    const started = await runF2bc(["daemon", "start", "--config", config])
    expect(started).toMatchObject({ code: 0 })
    const pid = Number(fs.readFileSync(pidFile, "utf8").trim())
    expect(started.stdout).toContain(`started (pid ${pid})`)
    const again = await runF2bc(["daemon", "start", "--config", config])
    expect(again.code).toBe(1)
    expect(again.stderr).toContain("already running")
    const status = await runF2bc(["daemon", "status", "--config", config])
    expect(status.code).toBe(0)
    expect(status.stdout).toMatch(new RegExp(`^running \\(pid ${pid}\\)\\n`))
    await waitUntil(() => (/connected, subscribed/.test(fs.readFileSync(logFile, "utf8")) ? true : undefined), 10_000, "log")
    const stopped = await runF2bc(["daemon", "stop", "--config", config])
    expect(stopped).toMatchObject({ code: 0, stdout: `stopped (pid ${pid})\n` })
    expect(fs.existsSync(pidFile)).toBe(false)
    expect((await runF2bc(["daemon", "status", "--config", config])).code).toBe(3)
  })

  it("a stale pid file does not block start", async () => {
    const dir = tempDir()
    const pidFile = path.join(dir, "f2bc.pid")
    fs.writeFileSync(pidFile, "999999999\n")
    const port = await freePort()
    const config = singleNode(dir, port, `pid_file: ${pidFile}\nstate_dir: ${path.join(dir, "state")}\nlog_file: ${path.join(dir, "f2bc.log")}\n`, undefined)
    expect((await runF2bc(["daemon", "start", "--config", config])).code).toBe(0)
    expect((await runF2bc(["daemon", "stop", "--config", config])).code).toBe(0)
  })

  it("one daemon process is a complete single-node setup with the embedded broker", async () => {
    const dir = tempDir()
    const rec = recorder(dir)
    const port = await freePort()
    const config = writeConfig(
      dir,
      `broker:
  host: 127.0.0.1
  port: ${port}
servers:
  - host: 127.0.0.1
    port: ${port}
    channels:
      - name: Fail2ban
        action: "${rec.script} %jail% %ip%"
`
    )
    const daemon = startF2bc(["daemon", "--config", config])
    await daemon.waitFor(/connected, subscribed to Fail2ban/)
    const result = await runF2bc(["publish", "--node-name", "test-publisher", "--config", config, "-c", "Fail2ban", "-m", "jail=sshd, action=banip, ip=192.0.2.20"])
    expect(result.code).toBe(0)
    expect(await rec.waitForCalls(1)).toEqual([["sshd", "192.0.2.20"]])
    await daemon.stop()
    expect((await daemon.exited).code).toBe(0)
  })

  it("SIGHUP reopens log_file after logrotate moved it, and the daemon keeps running", async () => {
    const dir = tempDir()
    const logFile = path.join(dir, "f2bc.log")
    const port = await freePort()
    const config = singleNode(dir, port, `log_file: ${logFile}\n`)
    const daemon = startF2bc(["daemon", "run", "--config", config])
    await waitUntil(() => (fs.existsSync(logFile) && /connected, subscribed/.test(fs.readFileSync(logFile, "utf8")) ? true : undefined), 10_000, "log")
    fs.renameSync(logFile, `${logFile}.1`)
    daemon.child.kill("SIGHUP")
    await waitUntil(() => (fs.existsSync(logFile) && /log file reopened/.test(fs.readFileSync(logFile, "utf8")) ? true : undefined), 10_000, "reopened log")
    expect(daemon.child.exitCode).toBe(null)
    const published = await runF2bc(["publish", "--node-name", "test-publisher", "--config", config, "-c", "Fail2ban", "-m", "ip=192.0.2.30"])
    expect(published.code).toBe(0)
    await waitUntil(() => (/action executed/.test(fs.readFileSync(logFile, "utf8")) ? true : undefined), 10_000, "action in new log")
  })

  it("daemon status and stop with --pid-file work without a valid config", async () => {
    const dir = tempDir()
    const pidFile = path.join(dir, "f2bc.pid")
    const port = await freePort()
    const config = singleNode(dir, port, `pid_file: ${pidFile}\nstate_dir: ${path.join(dir, "state")}\nlog_file: ${path.join(dir, "f2bc.log")}\n`, undefined)
    expect((await runF2bc(["daemon", "start", "--config", config])).code).toBe(0)
    fs.writeFileSync(config, "servers: [oops\n")
    const broken = path.join(dir, "missing.yml")
    expect(await runF2bc(["daemon", "status", "--config", broken, "--pid-file", pidFile])).toMatchObject({ code: 0 })
    expect(await runF2bc(["daemon", "stop", "--config", broken, "--pid-file", pidFile])).toMatchObject({ code: 0 })
    expect((await runF2bc(["daemon", "status", "--pid-file", pidFile])).code).toBe(3)
  })

  it("a pid file naming a live process that is not f2bc counts as stale: stop never signals it", async () => {
    const dir = tempDir()
    const pidFile = path.join(dir, "f2bc.pid")
    const other = spawn("sleep", ["30"], { stdio: "ignore" })
    try {
      fs.writeFileSync(pidFile, `${other.pid}\n`)
      expect((await runF2bc(["daemon", "status", "--pid-file", pidFile])).code).toBe(3)
      expect(await runF2bc(["daemon", "stop", "--pid-file", pidFile])).toMatchObject({ code: 0, stdout: "not running\n" })
      expect(other.exitCode).toBe(null)
      expect(other.signalCode).toBe(null)
    } finally {
      other.kill()
    }
  })

  it("publish refuses the reserved channels all and debug (exit 2)", async () => {
    for (const channel of ["all", "debug"]) {
      const result = await runF2bc(["publish", "--node-name", "test-publisher", "-c", channel, "-m", "ip=192.0.2.1", "--host", "127.0.0.1", "-p", "1"])
      expect(result.code).toBe(2)
      expect(result.stderr).toContain("reserved")
    }
  })
})
