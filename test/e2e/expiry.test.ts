/**
 * Ban durations end to end: a channel's expire_action runs once at the message's ban_until (± 1 s), a later
 * ban extends it, an unban cancels it, -1 never expires, and one due while the daemon was down runs at start.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { runF2bc, startBroker, startF2bc, stopAll, tempDir, timedRecorder, waitUntil, writeConfig } from "../support/harness.js"

afterEach(stopAll)

const setup = async () => {
  const dir = tempDir()
  const timed = timedRecorder(dir)
  const broker = await startBroker()
  const config = writeConfig(
    dir,
    `node_name: receiver
log_level: 3
state_dir: ${path.join(dir, "state")}
pid_file: ${path.join(dir, "f2bc.pid")}
servers:
  - host: 127.0.0.1
    port: ${broker.port}
    channels:
      - name: Fail2ban
        action: "${timed.script} %action% %ip%"
        expire_action: "${timed.script} expire %ip%"
`
  )
  const start = async () => {
    const daemon = startF2bc(["daemon", "run", "--config", config])
    await daemon.waitFor(/connected, subscribed to Fail2ban/)
    return daemon
  }
  const publish = async (message: string, extra: ReadonlyArray<string> = []) => {
    const result = await runF2bc(["publish", "--host", "127.0.0.1", "-p", String(broker.port), "--node-name", "origin", "-c", "Fail2ban", "-m", message, ...extra])
    expect(result.stderr).toBe("")
    expect(result.code).toBe(0)
  }
  const expired = () => timed.calls().filter((call) => call.argv[0] === "expire")
  return { dir, config, timed, start, publish, expired }
}

const nowS = () => Math.floor(Date.now() / 1000)

describe("expire_action at ban_until", () => {
  it("runs once at ban_until, extended by a later ban, never after an unban or for -1", async () => {
    const { timed, start, publish, expired } = await setup()
    const daemon = await start()
    const until = nowS() + 2
    // --ban-until appends ban_until (the full CLI reads --ban-until=-1, the fast path --ban-until N).
    await publish("action=banip, ip=192.0.2.1", ["--ban-until=-1"])
    await publish("action=banip, ip=192.0.2.2", ["--ban-until", String(until)])
    await publish(`action=banip, ip=192.0.2.3, ban_until=${until}`)
    await publish("action=unbanip, ip=192.0.2.3")
    await publish(`action=banip, ip=192.0.2.4, ban_until=${until}`)
    await publish(`action=banip, ip=192.0.2.4, ban_until=${until + 2}`)
    await publish(`action=banip, ip=192.0.2.4, ban_until=${until + 1}`)
    await timed.waitForCount(7)

    await waitUntil(() => (expired().length >= 2 ? true : undefined), 10_000, "two expiries")
    const runs = expired()
    expect(runs.map((call) => call.argv)).toEqual([["expire", "192.0.2.2"], ["expire", "192.0.2.4"]])
    expect(Math.abs(runs[0]!.start - until * 1000)).toBeLessThan(1000)
    expect(Math.abs(runs[1]!.start - (until + 2) * 1000)).toBeLessThan(1000)
    await daemon.waitFor(/expired: ban_until reached \d+\.\d s ago, expire_action queued/)
    expect(daemon.output()).toMatch(/ip=192\.0\.2\.1, ban_until=-1, _id=/)
    // Nothing else is left to run: the status shows an empty schedule.
    expect(daemon.output()).not.toMatch(/192\.0\.2\.(1|3)".*expire/)
  })

  it("daemon status shows the schedule; check explains what a message would schedule or cancel", async () => {
    const { config, timed, start, publish } = await setup()
    const daemon = await start()
    const until = nowS() + 3600
    await publish(`action=banip, ip=192.0.2.20, ban_until=${until}`)
    await timed.waitForCount(1)
    await daemon.waitFor(/action executed/)
    const status = await runF2bc(["daemon", "status", "--config", config])
    expect(status.stdout).toContain(`expiries: 1 scheduled, next at ${new Date(until * 1000).toISOString()} (in `)
    expect(status.stdout).toMatch(/\(in 3[56]\d\d s\)/)

    const check = await runF2bc(["check", "--config", config, "-c", "Fail2ban", "-m", `action=banip, ip=192.0.2.21, ban_until=${until}`])
    expect(check.stdout).toContain(`would schedule expire_action at ${new Date(until * 1000).toISOString()} (ban_until ${until}): ["${timed.script}","expire","192.0.2.21"]`)
    const unban = await runF2bc(["check", "--config", config, "-c", "Fail2ban", "-m", "action=unbanip, ip=192.0.2.21"])
    expect(unban.stdout).toContain(`would cancel a scheduled expiry of ["${timed.script}","expire","192.0.2.21"]`)
    const bad = await runF2bc(["check", "--config", config, "-c", "Fail2ban", "-m", "action=banip, ip=192.0.2.21, ban_until=soon"])
    expect(bad.stdout).toContain("rejected at types: ban_until=")
  })

  it("an expiry due while the daemon was down runs at its next start", async () => {
    const { start, publish, expired } = await setup()
    const first = await start()
    const until = nowS() + 2
    await publish(`action=banip, ip=192.0.2.9, ban_until=${until}`)
    await first.waitFor(/action executed/)
    await first.stop()
    await waitUntil(() => (Date.now() > until * 1000 + 500 ? true : undefined), 5000, "ban_until to pass")
    expect(expired()).toEqual([])

    const second = await start()
    await second.waitFor(/expiries .*: 1 expiry scheduled from before the start/)
    await waitUntil(() => (expired().length >= 1 ? true : undefined), 5000, "the expiry at start")
    expect(expired().map((call) => call.argv)).toEqual([["expire", "192.0.2.9"]])
  })

  it("a reload that adds expire_action says it needs a restart (state files are opened at start)", async () => {
    const { config, start } = await setup()
    const withExpiry = fs.readFileSync(config, "utf8")
    fs.writeFileSync(config, withExpiry.replace(/^ *expire_action: .*\n/m, ""))
    const daemon = await start()
    fs.writeFileSync(config, withExpiry)
    const from = daemon.output().length
    expect((await runF2bc(["daemon", "reload", "--config", config])).code).toBe(0)
    await daemon.waitFor(/until a restart, expire_action schedules nothing: state_dir is opened at start/, 10_000, from)
  })
})
