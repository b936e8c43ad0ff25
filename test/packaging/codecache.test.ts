/**
 * The V8 code cache of dist/ belongs to the Node that runs the suite: a cache
 * is specific to one Node (V8) version, so each Node's run rebuilds dist/
 * (`npm test` does, in .ci/run), and a cache from another Node is ignored, not fatal.
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { BIN, ROOT, tempDir } from "../support/harness.js"

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

describe("dist/'s V8 code cache", () => {
  const bundle = path.join(ROOT, "dist/f2bc.cjs")

  it(`was made by this Node (${process.version}), which accepts it`, () => {
    expect(rejected(bundle, `${bundle}.cache`)).toBe(false)
  })

  it("a cache V8 rejects (another Node's) is ignored: f2bc runs as usual", () => {
    const dir = tempDir()
    for (const file of ["f2bc.js", "f2bc.cjs"]) fs.copyFileSync(path.join(ROOT, "dist", file), path.join(dir, file))
    const cache = fs.readFileSync(`${bundle}.cache`)
    // A flipped byte in the header makes V8 refuse it, as it refuses another version's.
    cache[4] = cache[4]! ^ 0xff
    fs.writeFileSync(path.join(dir, "f2bc.cjs.cache"), cache)
    expect(rejected(path.join(dir, "f2bc.cjs"), path.join(dir, "f2bc.cjs.cache"))).toBe(true)
    const result = spawnSync(process.execPath, [path.join(dir, "f2bc.js"), "--version"], { encoding: "utf8" })
    expect(result.stderr).toBe("")
    expect(result.status).toBe(0)
    expect(result.stdout.trim()).toBe(spawnSync(process.execPath, [BIN, "--version"], { encoding: "utf8" }).stdout.trim())
  })
})
