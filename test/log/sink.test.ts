/**
 * The log file sink as root would open it: never through a symbolic link, never a FIFO or
 * device, always appending to a regular file it may create.
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { openSink } from "../../src/log/sink.js"

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), "f2bc-sink-"))

/** Opens `file` as the daemon does, writes one line, closes; the exit of the open. */
const writeThrough = (file: string) =>
  Effect.runPromiseExit(Effect.scoped(Effect.map(openSink(file), (sink) => sink.write("a log line\n"))))

describe("log_file", () => {
  it("is created (0640) and appended to", async () => {
    const file = path.join(tempDir(), "f2bc.log")
    expect(Exit.isSuccess(await writeThrough(file))).toBe(true)
    expect(Exit.isSuccess(await writeThrough(file))).toBe(true)
    expect(fs.readFileSync(file, "utf8")).toBe("a log line\na log line\n")
    expect(fs.statSync(file).mode & 0o777).toBe(0o640 & ~process.umask())
  })

  it("a symbolic link in its place is refused, and its target is left untouched", async () => {
    const dir = tempDir()
    const target = path.join(dir, "shadow")
    fs.writeFileSync(target, "root:x:0:0\n")
    const link = path.join(dir, "f2bc.log")
    fs.symlinkSync(target, link)
    const exit = await writeThrough(link)
    expect(Exit.isFailure(exit)).toBe(true)
    expect(String(Exit.isFailure(exit) ? exit.cause : "")).toContain("it is a symbolic link")
    expect(fs.readFileSync(target, "utf8")).toBe("root:x:0:0\n")
  })

  it("a FIFO in its place is refused at once instead of blocking the daemon's start", async () => {
    const fifo = path.join(tempDir(), "f2bc.log")
    execFileSync("mkfifo", [fifo])
    const exit = await writeThrough(fifo)
    expect(Exit.isFailure(exit)).toBe(true)
    expect(String(Exit.isFailure(exit) ? exit.cause : "")).toContain("it is not a regular file")
  })
})
