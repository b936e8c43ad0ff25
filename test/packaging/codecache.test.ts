/**
 * dist/'s V8 code caches: one per Node version, made by the build for its own
 * Node and by the first successful `publish` of any other; used only when as safe as the bundle.
 * `publish --host` runs the small bundle (f2bc-publish.cjs) and never reads the big one.
 */
import { spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { BIN, ROOT, startBroker, stopAll, tempDir, writeConfig } from "../support/harness.js"

afterEach(stopAll)

/** The two bundles: the small one runs `publish --host` (no config), the big one everything else. */
type Bundle = "f2bc-publish.cjs" | "f2bc.cjs"

/** The form of `publish` each bundle runs. */
const FORM = { "f2bc-publish.cjs": "host", "f2bc.cjs": "config" } as const

const cacheName = (dir: string, bundle: Bundle = "f2bc.cjs"): string => {
  const buildIds = JSON.parse(fs.readFileSync(path.join(dir, "f2bc.js"), "utf8").match(/^const BUILD_IDS = (.*)$/m)?.[1] ?? "{}") as Record<string, string>
  expect(buildIds[bundle]).toMatch(/^[0-9a-f]{16}$/)
  return path.join(dir, `${bundle}.${buildIds[bundle]}.${process.version}-${process.arch}.cache`)
}

const wrap = (source: string) => `(function (exports, require, module, __filename, __dirname) { ${source}\n});`

/** Compiles the bundle as dist/f2bc.js does, with `cache`, and says whether V8 took the cache. */
const rejected = (bundle: string, cache: string): boolean => {
  const program = `
const fs = require("node:fs"), vm = require("node:vm")
const source = "(function (exports, require, module, __filename, __dirname) { " + fs.readFileSync(${JSON.stringify(bundle)}, "utf8") + "\\n});"
const script = new vm.Script(source, { filename: ${JSON.stringify(bundle)}, cachedData: fs.readFileSync(${JSON.stringify(cache)}) })
process.stdout.write(String(script.cachedDataRejected))`
  const result = spawnSync(process.execPath, ["-e", program], { encoding: "utf8" })
  expect(result.status, result.stderr).toBe(0)
  return result.stdout === "true"
}

const DIST = ["f2bc-publish.cjs", "f2bc.cjs", "f2bc.js", "package.json"]

/** dist/ without its caches, in a directory of its own (0700, as tempDir makes it). */
const copyOfDist = (): string => {
  const dir = tempDir()
  for (const file of DIST) fs.copyFileSync(path.join(ROOT, "dist", file), path.join(dir, file))
  return dir
}

const run = (dir: string, args: ReadonlyArray<string>) => spawnSync(process.execPath, [path.join(dir, "f2bc.js"), ...args], { encoding: "utf8" })

/**
 * A cache of another program of exactly the bundle's length, which prints EVIL:
 * V8 checks a cache's version, flags and source length, not the source, so it would run.
 */
const plantForeignCache = (dir: string, mode: number, bundle: Bundle): void => {
  const length = fs.readFileSync(path.join(dir, bundle), "utf8").length
  const evil = `process.stdout.write("EVIL\\n"); process.exit(0);`
  const padded = `${evil}/*${"x".repeat(length - evil.length - 4)}*/`
  const source = path.join(tempDir(), "evil.js")
  fs.writeFileSync(source, wrap(padded))
  const program = `
const vm = require("node:vm")
const script = new vm.Script(require("node:fs").readFileSync(${JSON.stringify(source)}, "utf8"), { filename: ${JSON.stringify(path.join(dir, bundle))} })
require("node:fs").writeFileSync(${JSON.stringify(cacheName(dir, bundle))}, script.createCachedData())`
  const made = spawnSync(process.execPath, ["-e", program], { encoding: "utf8" })
  expect(made.status, made.stderr).toBe(0)
  fs.chmodSync(cacheName(dir, bundle), mode)
}

/** fail2ban's command action's `publish --config …` (which the big bundle runs) or `publish --host …` (the small one). */
const publishArgs = (form: "config" | "host", port: number): Array<string> => {
  const message = "jail=sshd, action=banip, ip=192.0.2.7"
  if (form === "host") return ["publish", "--host", "127.0.0.1", "-p", String(port), "-c", "Fail2ban", "-m", message]
  const config = writeConfig(tempDir(), `servers:\n  - host: 127.0.0.1\n    port: ${port}\n    channels:\n      - name: Fail2ban\n        action: "true %ip%"\n`)
  return ["publish", "--config", config, "--channel", "Fail2ban", "--timeout", "10", "--message", message]
}

/** `f2bc publish` from the copy in `dir`; resolves when it has exited (and so written any cache). */
const publishTo = (dir: string, port: number, form: "config" | "host" = "config") =>
  new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const args = publishArgs(form, port)
    const child = spawn(process.execPath, [path.join(dir, "f2bc.js"), ...args], { stdio: ["ignore", "ignore", "pipe"] })
    let stderr = ""
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")))
    child.once("close", (code) => resolve({ code, stderr }))
  })

describe("dist/'s V8 code caches", () => {
  it(`the build made this Node's (${process.version}) for both bundles, which V8 accepts`, () => {
    for (const bundle of ["f2bc-publish.cjs", "f2bc.cjs"] as const) {
      expect(rejected(path.join(ROOT, "dist", bundle), cacheName(path.join(ROOT, "dist"), bundle))).toBe(false)
    }
  })

  it.each(["f2bc-publish.cjs", "f2bc.cjs"] as const)("a successful publish without one leaves one for this Node (%s); other commands and failures do not", async (bundle) => {
    const dir = copyOfDist()
    expect(run(dir, ["--version"]).status).toBe(0)
    expect(fs.existsSync(cacheName(dir, bundle))).toBe(false)
    expect((await publishTo(dir, 0, FORM[bundle])).code).toBe(2) // refused
    expect((await publishTo(dir, 1, FORM[bundle])).code).toBe(1) // not confirmed: nothing listens on port 1
    expect(fs.readdirSync(dir).filter((name) => name.endsWith(".cache"))).toEqual([])
    const broker = await startBroker()
    expect(await publishTo(dir, broker.port, FORM[bundle])).toMatchObject({ code: 0, stderr: "" })
    expect(fs.readdirSync(dir).filter((name) => name.endsWith(".cache"))).toEqual([path.basename(cacheName(dir, bundle))])
    expect(fs.statSync(cacheName(dir, bundle)).mode & 0o777).toBe(0o644)
    expect(rejected(path.join(dir, bundle), cacheName(dir, bundle))).toBe(false)
    expect(fs.readdirSync(dir).filter((name) => name.endsWith(".tmp"))).toEqual([])
  })

  it.each(["f2bc-publish.cjs", "f2bc.cjs"] as const)("a cache V8 rejects (another Node's) is ignored, and the next publish replaces it (%s)", async (bundle) => {
    const dir = copyOfDist()
    const cache = fs.readFileSync(cacheName(path.join(ROOT, "dist"), bundle))
    // A flipped byte in the header makes V8 refuse it, as it refuses another version's.
    cache[4] = cache[4]! ^ 0xff
    fs.writeFileSync(cacheName(dir, bundle), cache, { mode: 0o644 })
    expect(rejected(path.join(dir, bundle), cacheName(dir, bundle))).toBe(true)
    const version = run(dir, ["--version"])
    expect(version.stderr).toBe("")
    expect(version.status).toBe(0)
    expect(version.stdout.trim()).toBe(spawnSync(process.execPath, [BIN, "--version"], { encoding: "utf8" }).stdout.trim())
    const broker = await startBroker()
    expect(await publishTo(dir, broker.port, FORM[bundle])).toMatchObject({ code: 0, stderr: "" })
    expect(rejected(path.join(dir, bundle), cacheName(dir, bundle))).toBe(false)
  })

  it.each(["f2bc-publish.cjs", "f2bc.cjs"] as const)("a cache others could write is not run, nor one in a directory others could write (%s)", (bundle) => {
    const dir = copyOfDist()
    plantForeignCache(dir, 0o644, bundle)
    // What the checks prevent: a safe place, and V8 runs the foreign code. Port 1: nothing answers.
    const args = bundle === "f2bc.cjs" ? ["--version"] : ["publish", "--host", "127.0.0.1", "-p", "1", "-c", "Fail2ban", "-m", "ip=192.0.2.7"]
    expect(run(dir, args).stdout).toBe("EVIL\n")
    fs.chmodSync(cacheName(dir, bundle), 0o666)
    expect(run(dir, args).stdout).not.toContain("EVIL")
    fs.chmodSync(cacheName(dir, bundle), 0o644)
    fs.chmodSync(dir, 0o777)
    expect(run(dir, args).stdout).not.toContain("EVIL")
    expect(run(dir, ["--version"]).stdout.trim()).toMatch(/^\d+\.\d+\.\d+/)
  })

  it("nothing is written into a directory others could write", async () => {
    const dir = copyOfDist()
    fs.chmodSync(dir, 0o1777)
    const broker = await startBroker()
    for (const form of ["host", "config"] as const) expect(await publishTo(dir, broker.port, form)).toMatchObject({ code: 0, stderr: "" })
    expect(fs.readdirSync(dir).sort()).toEqual(DIST)
  })

  it("publish --host runs the small bundle alone: without the big one it still publishes", async () => {
    const dir = copyOfDist()
    fs.rmSync(path.join(dir, "f2bc.cjs"))
    const broker = await startBroker()
    expect(await publishTo(dir, broker.port, "host")).toEqual({ code: 0, stderr: "" })
    // The other forms need the big bundle.
    expect((await publishTo(dir, broker.port)).stderr).toContain("f2bc.cjs")
  })
})
