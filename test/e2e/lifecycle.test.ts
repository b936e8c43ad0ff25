/**
 * Lifecycle end to end (operations.md, issue 4 item 7): SIGTERM drains running
 * actions within shutdown_timeout and removes the pid file; SIGHUP and
 * `daemon reload` apply a new config in place and keep the old one when the
 * new one is broken; `daemon status` reads the running daemon's control socket.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { runF2bc, shRecorder, startBroker, startF2bc, stopAll, tempDir, waitUntil, writeConfig } from "../support/harness.js"

afterEach(stopAll)

/** A broker, and a daemon config (with pid_file) whose Fail2ban action is `action`. */
const setup = async (action: (script: string) => string, extra = "") => {
  const dir = tempDir()
  const rec = shRecorder(dir)
  const broker = await startBroker()
  const pidFile = path.join(dir, "f2bc.pid")
  const yaml = (act: string, port = broker.port) => `node_name: daemon-under-test
pid_file: ${pidFile}
state_dir: ${path.join(dir, "state")}
log_level: 3
${extra}servers:
  - host: 127.0.0.1
    port: ${port}
    ping_timeout: 5
    channels:
      - name: Fail2ban
        action: ${JSON.stringify(act)}
`
  const config = writeConfig(dir, yaml(action(rec.script)))
  const publish = (message: string, port = broker.port) =>
    runF2bc(["publish", "--node-name", "test-publisher", "--host", "127.0.0.1", "-p", String(port), "-c", "Fail2ban", "-m", message])
  return { dir, rec, broker, pidFile, config, yaml, publish }
}

/** A script that records its argument after `seconds` (so an action can be caught running). */
const slowRecorder = (dir: string, script: string, seconds: number): string => {
  const slow = path.join(dir, `slow-${seconds}.sh`)
  fs.writeFileSync(slow, `#!/bin/sh\necho started >> ${dir}/started\nsleep ${seconds}\nexec ${script} "$@"\n`, { mode: 0o755 })
  return slow
}

describe("SIGTERM (operations.md)", () => {
  it("lets a running action finish within shutdown_timeout, removes the pid file and exits 0", async () => {
    const s = await setup((script) => `${script} %ip%`, "shutdown_timeout: 10\n")
    const slow = slowRecorder(s.dir, s.rec.script, 1)
    writeConfig(s.dir, s.yaml(`${slow} %ip%`))
    const daemon = startF2bc(["daemon", "run", "--config", s.config])
    await daemon.waitFor(/connected, subscribed to Fail2ban/)
    expect(fs.existsSync(s.pidFile)).toBe(true)
    expect((await s.publish("ip=192.0.2.70")).code).toBe(0)
    await waitUntil(() => (fs.existsSync(path.join(s.dir, "started")) ? true : undefined), 10_000, "the action to start")
    daemon.child.kill("SIGTERM")
    const exit = await daemon.exited
    expect(exit.code).toBe(0)
    // It ran to the end: its record exists, written after the signal.
    expect(s.rec.calls()).toEqual([["192.0.2.70"]])
    expect(daemon.output()).toMatch(/stopping: waiting up to 10 s for 1 action\(s\)/)
    expect(fs.existsSync(s.pidFile)).toBe(false)
    expect(fs.existsSync(path.join(s.dir, "f2bc.sock"))).toBe(false)
  })

  it("a second SIGTERM during the drain does not cut it short", async () => {
    const s = await setup((script) => `${script} %ip%`, "shutdown_timeout: 10\n")
    const slow = slowRecorder(s.dir, s.rec.script, 1)
    writeConfig(s.dir, s.yaml(`${slow} %ip%`))
    const daemon = startF2bc(["daemon", "run", "--config", s.config])
    await daemon.waitFor(/connected, subscribed to Fail2ban/)
    expect((await s.publish("ip=192.0.2.76")).code).toBe(0)
    await waitUntil(() => (fs.existsSync(path.join(s.dir, "started")) ? true : undefined), 10_000, "the action to start")
    daemon.child.kill("SIGTERM")
    await daemon.waitFor(/stopping: waiting up to 10 s for 1 action\(s\)/)
    daemon.child.kill("SIGTERM")
    await daemon.waitFor(/SIGTERM again: already stopping/)
    expect((await daemon.exited).code).toBe(0)
    expect(s.rec.calls()).toEqual([["192.0.2.76"]])
    expect(fs.existsSync(s.pidFile)).toBe(false)
  })

  it("kills an action still running when shutdown_timeout is reached, and still exits 0", async () => {
    const s = await setup((script) => `${script} %ip%`, "shutdown_timeout: 1\n")
    const slow = slowRecorder(s.dir, s.rec.script, 60)
    writeConfig(s.dir, s.yaml(`${slow} %ip%`))
    const daemon = startF2bc(["daemon", "run", "--config", s.config])
    await daemon.waitFor(/connected, subscribed to Fail2ban/)
    expect((await s.publish("ip=192.0.2.71")).code).toBe(0)
    await waitUntil(() => (fs.existsSync(path.join(s.dir, "started")) ? true : undefined), 10_000, "the action to start")
    const signalled = Date.now()
    daemon.child.kill("SIGTERM")
    expect((await daemon.exited).code).toBe(0)
    expect(Date.now() - signalled).toBeLessThan(15_000)
    expect(daemon.output()).toMatch(/shutdown_timeout \(1 s\) reached: killing 1 action\(s\) still waiting or running/)
    expect(s.rec.calls()).toEqual([])
    expect(fs.existsSync(s.pidFile)).toBe(false)
  })
})

describe("reload (operations.md)", () => {
  it("SIGHUP with a broken config logs why and keeps serving with the old one", async () => {
    const s = await setup((script) => `${script} old %ip%`)
    const daemon = startF2bc(["daemon", "run", "--config", s.config])
    await daemon.waitFor(/connected, subscribed to Fail2ban/)
    fs.writeFileSync(s.config, "servers: [\n")
    daemon.child.kill("SIGHUP")
    await daemon.waitFor(/reload refused, the running config stays: invalid YAML in /)
    expect((await s.publish("ip=192.0.2.72")).code).toBe(0)
    expect(await s.rec.waitForCalls(1)).toEqual([["old", "192.0.2.72"]])
    expect(daemon.child.exitCode).toBe(null)
  })

  it("daemon reload applies a new action without reconnecting, and reconnects a server whose port changed", async () => {
    const s = await setup((script) => `${script} old %ip%`)
    const daemon = startF2bc(["daemon", "run", "--config", s.config])
    await daemon.waitFor(/connected, subscribed to Fail2ban/)
    writeConfig(s.dir, s.yaml(`${s.rec.script} new %ip%`))
    const reloaded = await runF2bc(["daemon", "reload", "--config", s.config])
    expect(reloaded.stderr).toBe("")
    expect(reloaded.stdout).toMatch(/^reloaded \(pid \d+\): 1 server\(s\) kept their connection, 0 \(re\)connecting, 0 stopped/)
    expect((await s.publish("ip=192.0.2.73")).code).toBe(0)
    expect(await s.rec.waitForCalls(1)).toEqual([["new", "192.0.2.73"]])
    expect(daemon.output().match(/connected, subscribed/g)).toHaveLength(1)

    const other = await startBroker()
    writeConfig(s.dir, s.yaml(`${s.rec.script} moved %ip%`, other.port))
    const moved = await runF2bc(["daemon", "reload", "--config", s.config])
    expect(moved.stdout).toMatch(/0 server\(s\) kept their connection, 1 \(re\)connecting, 1 stopped/)
    await daemon.waitFor(new RegExp(`server=127.0.0.1:${other.port} connected, subscribed to Fail2ban`))
    expect((await s.publish("ip=192.0.2.74", other.port)).code).toBe(0)
    expect(await s.rec.waitForCalls(2)).toEqual([
      ["new", "192.0.2.73"],
      ["moved", "192.0.2.74"]
    ])
  })

  it("daemon reload names the changed keys that need a restart, and keeps their running values", async () => {
    const s = await setup((script) => `${script} %ip%`, "queue_limit: 100\n")
    const daemon = startF2bc(["daemon", "run", "--config", s.config])
    await daemon.waitFor(/connected, subscribed to Fail2ban/)
    fs.writeFileSync(s.config, fs.readFileSync(s.config, "utf8").replace("queue_limit: 100", "queue_limit: 7"))
    const result = await runF2bc(["daemon", "reload", "--config", s.config])
    expect(result.stdout).toMatch(/1 server\(s\) kept their connection, 0 \(re\)connecting, 0 stopped; restart to apply: queue_limit$/m)
    await daemon.waitFor(/changed keys that apply only after a restart: queue_limit/)
  })

  it("daemon reload refuses to signal a broken config (exit 2) and says the running config stays", async () => {
    const s = await setup((script) => `${script} %ip%`)
    const daemon = startF2bc(["daemon", "run", "--config", s.config])
    await daemon.waitFor(/connected, subscribed to Fail2ban/)
    fs.writeFileSync(s.config, "servers: 7\n")
    const result = await runF2bc(["daemon", "reload", "--config", s.config])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain("reload not sent (the running config stays): invalid config")
  })
})

describe("daemon status (issue 4)", () => {
  it("reads each server's state and the counters from the control socket, which only its owner may use", async () => {
    const s = await setup((script) => `${script} %ip%`)
    const daemon = startF2bc(["daemon", "run", "--config", s.config])
    await daemon.waitFor(/connected, subscribed to Fail2ban/)
    expect((await s.publish("ip=192.0.2.75")).code).toBe(0)
    await s.rec.waitForCalls(1)
    await daemon.waitFor(/action executed/)
    const socket = path.join(s.dir, "f2bc.sock")
    expect(fs.statSync(socket).mode & 0o777).toBe(0o600)
    const status = await runF2bc(["daemon", "status", "--config", s.config])
    expect(status.code).toBe(0)
    expect(status.stdout).toMatch(/^running \(pid \d+\)$/m)
    expect(status.stdout).toMatch(new RegExp(`^server 127\\.0\\.0\\.1:${s.broker.port} \\[Fail2ban\\]: connected since .*, last pong .*, reconnects 0$`, "m"))
    expect(status.stdout).toMatch(/^messages: executed 1$/m)
    expect(status.stdout).toMatch(/^actions: 1 succeeded, 0 failed, 0 dropped, 0 waiting or running$/m)
    await daemon.stop()
    const after = await runF2bc(["daemon", "status", "--pid-file", s.pidFile])
    expect(after.code).toBe(3)
  })

  it("of a foreground daemon with a control_socket and no pid_file (the quick start's setup): the socket answering is the daemon running", async () => {
    const s = await setup((script) => `${script} %ip%`)
    const socket = path.join(s.dir, "state", "f2bc.sock")
    const config = writeConfig(s.dir, fs.readFileSync(s.config, "utf8").replace(/^pid_file: .*$/m, `control_socket: ${socket}`), "socket-only.yml")
    const daemon = startF2bc(["daemon", "run", "--config", config])
    await daemon.waitFor(/connected, subscribed to Fail2ban/)
    const status = await runF2bc(["daemon", "status", "--config", config])
    expect(status.code).toBe(0)
    expect(status.stdout).toMatch(new RegExp(`^running \\(pid ${daemon.child.pid}\\)$`, "m"))
    expect(status.stdout).toMatch(/^outbox: 0 entries to deliver$/m)
    await daemon.stop()
    const after = await runF2bc(["daemon", "status", "--config", config])
    expect(after.code).toBe(3)
    expect(after.stderr).toContain("not running (cannot reach the daemon's control socket")
  })
})
