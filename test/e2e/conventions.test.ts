/**
 * Command-line conventions a user expects of any Unix tool: no colours into a
 * pipe or with NO_COLOR, errors prefixed `f2bc:` naming the option, help
 * with defaults and the program's name, nothing that waits on a closed stdin.
 */
import { spawn } from "node:child_process"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { VERSION } from "../../src/version.js"
import { BIN, runF2bc, tempDir, writeConfig } from "../support/harness.js"

const ESC = "\u001b"

describe("f2bc command-line conventions", () => {
  it("help into a pipe, or with NO_COLOR, has no ANSI escapes", async () => {
    for (const args of [["--help"], ["publish", "--help"], ["check", "--bogus"]]) {
      const piped = await runF2bc(args)
      expect(piped.stdout + piped.stderr).not.toContain(ESC)
    }
    const noColor = await runF2bc(["--help"], { NO_COLOR: "1" })
    expect(noColor.stdout).not.toContain(ESC)
    expect(noColor.stdout).toContain("USAGE")
  })

  it("a subcommand's usage line names the program, and help shows option defaults", async () => {
    const publish = await runF2bc(["publish", "--help"])
    expect(publish.code).toBe(0)
    expect(publish.stdout).toMatch(/^\$ f2bc publish /m)
    expect(publish.stdout).toMatch(/--timeout integer\n\n(.*\n)*.*seconds to wait for each server's confirmation \(default 10\)/)
    const broker = await runF2bc(["broker", "--help"])
    expect(broker.stdout).toMatch(/^\$ f2bc broker /m)
    expect(broker.stdout).toContain("(default 1986)")
    expect(broker.stdout).toContain("(default 127.0.0.1)")
  })

  it("Effect's --log-level and --wizard are not offered; --log-level is refused pointing to log_level", async () => {
    const help = await runF2bc(["publish", "--help"])
    expect(help.stdout).not.toContain("--log-level")
    expect(help.stdout).not.toContain("--wizard")
    const logLevel = await runF2bc(["check", "--log-level", "debug", "--config", "/nonexistent.yml"])
    expect(logLevel.code).toBe(2)
    expect(logLevel.stderr).toContain("f2bc: --log-level is not an f2bc option")
    expect(logLevel.stderr).toContain("log_level")
  })

  it("--wizard with stdin closed is refused at once (exit 2) instead of waiting", async () => {
    const child = spawn(process.execPath, [BIN, "--wizard"], { stdio: ["ignore", "pipe", "pipe"] })
    let stderr = ""
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")))
    const code = await new Promise<number | null>((resolve) => child.once("close", resolve))
    expect(code).toBe(2)
    expect(stderr).toContain("f2bc: --wizard needs a terminal")
  })

  it("a bad integer names its option, with the f2bc: prefix", async () => {
    const result = await runF2bc(["publish", "-c", "Fail2ban", "-m", "ip=192.0.2.7", "-p", "abc"])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain(`f2bc: --port: "abc" is not an integer`)
    for (const args of [["broker", "--max-clients", "1.5"], ["publish", "-c", "x", "-m", "a=b", "--timeout", "ten"]]) {
      const bad = await runF2bc(args)
      expect(bad.code).toBe(2)
      expect(bad.stderr).toMatch(/^f2bc: --[a-z-]+: ".*" is not an integer/m)
    }
  })

  it("every line @effect/cli prints on stderr starts with f2bc:", async () => {
    for (const args of [["publish", "--bogus"], ["bogus"], ["publish", "-m", "a=b"]]) {
      const result = await runF2bc(args)
      expect(result.code).toBe(2)
      for (const line of result.stderr.split("\n").filter((l) => l.trim() !== "")) expect(line).toMatch(/^f2bc: /)
    }
  })

  it("-v prints the version, like --version", async () => {
    const result = await runF2bc(["-v"])
    expect(result).toMatchObject({ code: 0 })
    expect(result.stdout.trim()).toBe(VERSION)
  })

  it("check/publish -c given a file's path say that -c is --channel there", async () => {
    const dir = tempDir()
    const config = writeConfig(dir, "servers:\n  - host: 127.0.0.1\n    port: 1986\n    channels:\n      - name: Fail2ban\n        action: \"true %ip%\"\n")
    const check = await runF2bc(["check", "-c", config], { F2BC_CONFIG: config })
    expect(check.code).toBe(2)
    expect(check.stderr).toContain(`-c is --channel here, and "${config}" is a file: for a config file, use --config ${config}`)
    const publish = await runF2bc(["publish", "-c", config, "-m", "ip=192.0.2.7"], { F2BC_CONFIG: config })
    expect(publish.code).toBe(2)
    expect(publish.stderr).toContain(`-c is --channel here, and "${config}" is a file`)
    // Without a config to load, the error says it too.
    const noConfig = await runF2bc(["check", "-c", config, "-m", "ip=192.0.2.7"], { F2BC_CONFIG: path.join(dir, "missing.yml") })
    expect(noConfig.code).toBe(2)
    expect(noConfig.stderr).toContain(`-c is --channel here, and "${config}" is a file: for a config file, use --config ${config}`)
  })
})
