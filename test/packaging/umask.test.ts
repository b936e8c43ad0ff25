/**
 * A clone made under `umask 002` (per-user groups) leaves the example configs
 * group-writable, which f2bc refuses: `npm ci`'s prepare script makes them
 * safe, so the docs' `f2bc check --config examples/…` commands work as written.
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { BIN, ROOT, tempDir } from "../support/harness.js"

const CONFIGS = ["examples/quickstart.yml", "examples/seed.yml", "contrib/f2bc/hub.yml", "contrib/f2bc/member.yml"]

describe("a clone made under umask 002", () => {
  it("has safe example configs after npm's prepare script, and the docs' check command works", () => {
    const clone = path.join(tempDir(), "f2bc")
    const cloned = spawnSync("sh", ["-c", `umask 002 && git clone --quiet "$0" "$1"`, ROOT, clone], { encoding: "utf8" })
    expect(cloned.status, cloned.stderr).toBe(0)
    // The precondition: git wrote the files group-writable.
    expect(fs.statSync(path.join(clone, "examples/seed.yml")).mode & 0o020).toBe(0o020)
    const prepared = spawnSync("npm", ["run", "prepare", "--silent"], { cwd: clone, encoding: "utf8" })
    expect(prepared.status, prepared.stderr).toBe(0)
    for (const file of CONFIGS) expect(fs.statSync(path.join(clone, file)).mode & 0o022, file).toBe(0)
    const check = spawnSync(process.execPath, [BIN, "check", "--config", "examples/seed.yml", "-c", "Fail2ban", "-m", "jail=sshd, action=banip, ip=192.0.2.7"], {
      cwd: clone,
      encoding: "utf8"
    })
    expect(check.stderr).toBe("")
    expect(check.stdout).toContain("config examples/seed.yml is valid: 1 server(s), 1 channel(s)")
    expect(check.status).toBe(0)
  })
})
