/**
 * contrib/systemd/f2bc.service (issue 5) against the real CLI: its commands use flags and modes the CLI has,
 * run as systemd would run them (start, reload, stop, a config error), and its timeouts fit the daemon's.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { Defaults } from "../../src/config/model.js"
import { defaultRunOptions } from "../../src/exec/process.js"
import { ROOT, runF2bc, startBroker, startF2bc, stopAll, tempDir, writeConfig } from "../support/harness.js"
import { unitSection } from "../support/unit.js"

afterEach(stopAll)

const unitText = fs.readFileSync(path.join(ROOT, "contrib/systemd/f2bc.service"), "utf8")

const section = (name: string): Map<string, Array<string>> => unitSection(unitText, name)

const service = section("Service")
const one = (key: string): string => {
  const values = service.get(key)
  expect(values, `${key}= appears once in [Service]`).toHaveLength(1)
  return values![0]!
}

/** A command line of the unit as words (none of ours needs quoting), with /usr/local/bin/f2bc as argv[0]. */
const words = (key: string): Array<string> => one(key).split(/\s+/)

const stripAnsi = (text: string): string => text.replace(/\x1b\[[0-9;]*m/g, "")

/** The usage line of `f2bc daemon --help`: its options and modes. */
const daemonUsage = async () => {
  const help = await runF2bc(["daemon", "run", "--help"])
  expect(help.code).toBe(0)
  const text = stripAnsi(help.stdout)
  const usage = /^\$ f2bc daemon (.*)$/m.exec(text)?.[1] ?? ""
  const modes = /<mode> ([^\]]*)\]/.exec(usage)?.[1]?.split(" | ") ?? []
  return { text, flags: usage.match(/--[a-z-]+/g) ?? [], modes }
}

/** Where --flag VALUE points in a command's words. */
const flagValue = (argv: ReadonlyArray<string>, flag: string): string | undefined => {
  const i = argv.indexOf(flag)
  return i >= 0 ? argv[i + 1] : undefined
}

describe("contrib/systemd/f2bc.service: its commands are the CLI's", () => {
  it("ExecStart is `f2bc daemon run` with --config and --pid-file, options the daemon command has", async () => {
    const { flags, modes } = await daemonUsage()
    const argv = words("ExecStart")
    expect(argv.slice(0, 3)).toEqual(["/usr/local/bin/f2bc", "daemon", "run"])
    expect(modes).toContain("run")
    const used = argv.filter((w) => w.startsWith("--"))
    expect(used.sort()).toEqual(["--config", "--pid-file"])
    for (const flag of used) expect(flags).toContain(flag)
  })

  it("ExecReload is `f2bc daemon reload` on the same pid file", async () => {
    const { flags, modes } = await daemonUsage()
    const argv = words("ExecReload")
    expect(argv.slice(0, 3)).toEqual(["/usr/local/bin/f2bc", "daemon", "reload"])
    expect(modes).toContain("reload")
    for (const flag of argv.filter((w) => w.startsWith("--"))) expect(flags).toContain(flag)
    expect(flagValue(argv, "--pid-file")).toBe(flagValue(words("ExecStart"), "--pid-file"))
  })

  it("the config is the one every f2bc command reads by default (so fail2ban's `f2bc publish` finds it)", async () => {
    const { text } = await daemonUsage()
    const defaultConfig = /default: \$F2BC_CONFIG, else (\S+)\)/.exec(text)?.[1]
    expect(defaultConfig).toBe("/etc/fail2ban-cluster.yml")
    expect(flagValue(words("ExecStart"), "--config")).toBe(defaultConfig)
  })

  it("the pid file, and so the control socket beside it, is in RuntimeDirectory (writable under ProtectSystem=strict)", () => {
    expect(one("ProtectSystem")).toBe("strict")
    expect(path.dirname(flagValue(words("ExecStart"), "--pid-file")!)).toBe(`/run/${one("RuntimeDirectory")}`)
  })

  it("TimeoutStopSec outlasts the default shutdown_timeout plus the actions' kill grace", () => {
    const seconds = Number(/^(\d+)s$/.exec(one("TimeoutStopSec"))?.[1])
    expect(seconds).toBeGreaterThan(Defaults.shutdown_timeout + defaultRunOptions.killGraceMs / 1000)
    expect(one("KillMode")).toBe("mixed")
  })

  it("orders itself after the network and fail2ban, and restarts on failure", () => {
    const unit = section("Unit")
    expect(unit.get("After")?.[0]?.split(" ")).toEqual(["network-online.target", "fail2ban.service"])
    expect(unit.get("Wants")).toEqual(["network-online.target"])
    expect(one("Restart")).toBe("on-failure")
    expect(section("Install").get("WantedBy")).toEqual(["multi-user.target"])
  })

  it("never sets MemoryDenyWriteExecute (node's JIT needs writable, executable memory)", () => {
    expect(service.has("MemoryDenyWriteExecute")).toBe(false)
  })

  it("allows the socket families f2bc and fail2ban-client use: Unix (control socket, fail2ban's socket) and IP", () => {
    expect(one("RestrictAddressFamilies").split(" ").sort()).toEqual(["AF_INET", "AF_INET6", "AF_UNIX"])
  })

  it("says why for every hardening directive: each block of directives below the marker starts with a comment", () => {
    const lines = unitText.split("\n")
    const start = lines.findIndex((l) => l.startsWith("# --- Hardening"))
    const end = lines.findIndex((l) => l.startsWith("[Install]"))
    expect(start).toBeGreaterThan(0)
    let commented = false
    let directives = 0
    for (const line of lines.slice(start + 1, end)) {
      if (line.trim() === "") commented = false
      else if (line.startsWith("#")) commented = true
      else {
        directives++
        expect(commented, `a comment above ${line}`).toBe(true)
      }
    }
    expect(directives).toBeGreaterThan(20)
  })
})

/** The unit's command with the installed paths replaced by test ones. */
const localCommand = (key: string, config: string, runtime: string): Array<string> =>
  words(key)
    .slice(1)
    .map((w) => w.replace("/etc/fail2ban-cluster.yml", config).replace(`/run/${one("RuntimeDirectory")}`, runtime))

describe("contrib/systemd/f2bc.service: its commands do what systemd expects of them", () => {
  it("ExecStart runs in the foreground and writes the pid file systemd's MainPID is; ExecReload exits 0 once the daemon reloaded; SIGTERM to the daemon alone (KillMode=mixed) stops it with exit 0", async () => {
    const dir = tempDir()
    const runtime = path.join(dir, "run-f2bc")
    fs.mkdirSync(runtime) // RuntimeDirectory: systemd creates it before ExecStart
    const broker = await startBroker()
    const config = writeConfig(
      dir,
      `servers:
  - host: 127.0.0.1
    port: ${broker.port}
    channels:
      - name: Fail2ban
        action: "fail2ban-client set %jail% %action% %ip%"
`
    )
    const daemon = startF2bc(localCommand("ExecStart", config, runtime))
    await daemon.waitFor(/daemon started/)
    const pidFile = path.join(runtime, "f2bc.pid")
    expect(fs.readFileSync(pidFile, "utf8").trim()).toBe(String(daemon.child.pid))
    expect(fs.existsSync(path.join(runtime, "f2bc.sock"))).toBe(true)

    const reload = await runF2bc(localCommand("ExecReload", config, runtime))
    expect(reload.stderr).toBe("")
    expect(reload.code).toBe(0)
    expect(reload.stdout).toMatch(new RegExp(`^reloaded \\(pid ${daemon.child.pid}\\)`))

    daemon.child.kill("SIGTERM")
    expect(await daemon.exited).toEqual({ code: 0, signal: null })
    expect(fs.existsSync(pidFile)).toBe(false)
  })

  it("ExecReload fails (so `systemctl reload` reports it) when the daemon refuses the new config, which keeps running", async () => {
    const dir = tempDir()
    const runtime = path.join(dir, "run-f2bc")
    fs.mkdirSync(runtime)
    const broker = await startBroker()
    const good = `servers:
  - host: 127.0.0.1
    port: ${broker.port}
    channels:
      - name: Fail2ban
        action: "fail2ban-client set %jail% %action% %ip%"
`
    const config = writeConfig(dir, good)
    const daemon = startF2bc(localCommand("ExecStart", config, runtime))
    await daemon.waitFor(/daemon started/)
    fs.writeFileSync(config, `${good}no_such_key: 1\n`)
    const reload = await runF2bc(localCommand("ExecReload", config, runtime))
    expect(reload.code).not.toBe(0)
    expect(reload.stderr).toMatch(/reload refused/)
    expect(daemon.child.exitCode).toBeNull()
  })

  it("a config error exits with the status RestartPreventExitStatus names, so systemd does not restart in a loop", async () => {
    const dir = tempDir()
    const runtime = path.join(dir, "run-f2bc")
    fs.mkdirSync(runtime)
    const config = writeConfig(dir, "servers: []\n")
    fs.chmodSync(config, 0o664) // group-writable: refused before anything starts
    const daemon = startF2bc(localCommand("ExecStart", config, runtime))
    const exit = await daemon.exited
    expect(exit.code).toBe(Number(one("RestartPreventExitStatus")))
    expect(exit.code).toBe(2)
  })
})
