/**
 * Files the daemon creates as root: a symlink or FIFO planted under a name it uses never redirects a
 * write or blocks a read, and a directory others can write is refused, naming it.
 */
import { afterEach, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { holdPidFile, readPid } from "../../src/daemon/pidfile.js"
import { directoryProblem, writeStateFile } from "../../src/daemon/stateFile.js"
import { tempDir } from "../support/harness.js"

const dirs: Array<string> = []
const fresh = (mode = 0o755): string => {
  const dir = tempDir("f2bc-state-")
  fs.chmodSync(dir, mode)
  dirs.push(dir)
  return dir
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
})

/** A file the daemon must never write to, as an attacker would aim a symlink at it. */
const victim = (dir: string): string => {
  const file = path.join(dir, "victim")
  fs.writeFileSync(file, "precious\n")
  return file
}

describe("the pid file", () => {
  it.effect("a symlink planted at the temporary name or at the pid file itself is never followed", () =>
    Effect.gen(function* () {
      const dir = fresh()
      const target = victim(fresh())
      const pidFile = path.join(dir, "f2bc.pid")
      // The names the pid file's temporary file used to have, and the file itself.
      fs.symlinkSync(target, `${pidFile}.${process.pid}.tmp`)
      fs.symlinkSync(target, pidFile)
      yield* Effect.scoped(
        Effect.gen(function* () {
          yield* holdPidFile(pidFile)
          expect(fs.lstatSync(pidFile).isFile()).toBe(true)
          expect(fs.readFileSync(pidFile, "utf8")).toBe(`${process.pid}\n`)
        })
      )
      expect(fs.readFileSync(target, "utf8")).toBe("precious\n")
      expect(fs.existsSync(pidFile)).toBe(false)
      expect(fs.readdirSync(dir)).toEqual([`f2bc.pid.${process.pid}.tmp`])
    }))

  for (const [mode, who] of [[0o777, "group and others"], [0o1777, "group and others"], [0o775, "group"], [0o757, "others"]] as const) {
    it.effect(`is refused in a directory of mode ${mode.toString(8)} (writable by ${who}), naming the directory`, () =>
      Effect.gen(function* () {
        const dir = fresh(mode)
        const pidFile = path.join(dir, "f2bc.pid")
        const error = yield* Effect.flip(Effect.scoped(holdPidFile(pidFile)))
        expect(error._tag).toBe("StateFileError")
        expect(error.message).toBe(
          `refusing pid file ${pidFile}: its directory ${dir} is writable by ${who} (mode 0${mode.toString(8)}): ` +
            "they could plant a symlink under the file's name; use a directory only root (or this user) can write, e.g. /run/f2bc"
        )
        expect(fs.readdirSync(dir)).toEqual([])
      }))
  }

  it("reading a pid file that is a FIFO or a symlink gives no pid, at once", () => {
    const dir = fresh()
    const fifo = path.join(dir, "fifo.pid")
    execFileSync("mkfifo", [fifo])
    expect(readPid(fifo)).toBeUndefined()
    const real = path.join(dir, "real.pid")
    fs.writeFileSync(real, "4242\n")
    const link = path.join(dir, "link.pid")
    fs.symlinkSync(real, link)
    expect(readPid(real)).toBe(4242)
    expect(readPid(link)).toBeUndefined()
  })
})

describe("writeStateFile", () => {
  it.effect("replaces a symlink planted at the destination with a new regular file", () =>
    Effect.gen(function* () {
      const dir = fresh()
      const target = victim(fresh())
      const file = path.join(dir, "state.json")
      fs.symlinkSync(target, file)
      yield* writeStateFile(file, "state file", "{}\n", 0o600)
      const stats = fs.lstatSync(file)
      expect(stats.isFile()).toBe(true)
      expect(stats.mode & 0o777).toBe(0o600)
      expect(fs.readFileSync(file, "utf8")).toBe("{}\n")
      expect(fs.readFileSync(target, "utf8")).toBe("precious\n")
      expect(fs.readdirSync(dir)).toEqual(["state.json"])
    }))

  it("directoryProblem: root's or this user's directory writable only by its owner is fine", () => {
    const stats = (mode: number, uid = 0) => ({ mode: 0o040000 | mode, uid, isDirectory: () => true })
    expect(directoryProblem(stats(0o755), 0)).toBeUndefined()
    expect(directoryProblem(stats(0o700, 1000), 1000)).toBeUndefined()
    expect(directoryProblem(stats(0o755, 1000), 0)).toBe("is owned by uid 1000, not by root or this user (uid 0)")
    expect(directoryProblem(stats(0o1777), 0)).toMatch(/^is writable by group and others \(mode 01777\)/)
  })
})
