/**
 * The outbox service on a real file: what a previous run left is owed again after a restart, a torn
 * last record is ignored, done marks and drops are kept per server, and the file is 0600 in a 0700 state_dir.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { makeOutbox } from "../../src/outbox/outbox.js"
import { decodeRecords } from "../../src/outbox/record.js"
import { openStateDir } from "../../src/state/state.js"
import { tempDir } from "../support/harness.js"

const entry = (n: number, targets: ReadonlyArray<string>) => ({
  id: `id${n}`,
  channel: "Fail2ban",
  text: `jail=sshd, action=banip, ip=192.0.2.${n}`,
  plain: false,
  origin: "node-a",
  acceptedMs: 1_000 * n,
  targets
})

/** As the daemon opens it: state_dir prepared and held first. */
const open = (dir: string, maxEntries = 100) => Effect.zipRight(openStateDir(dir), makeOutbox({ dir, maxEntries }))

describe("the outbox service", () => {
  it.live("what was owed before a restart is owed after it, a torn last record ignored", () =>
    Effect.gen(function* () {
      const dir = path.join(tempDir(), "state")
      yield* Effect.scoped(Effect.gen(function* () {
        const outbox = yield* open(dir)
        const recorded = yield* Effect.all([1, 2, 3].map((n) => outbox.record(entry(n, ["a:1", "b:1"]))), { concurrency: "unbounded" })
        expect(recorded.map((e) => e.seq)).toEqual([1, 2, 3])
        yield* outbox.settle("a:1", outbox.pending("a:1", 2), "delivered")
        yield* outbox.settle("b:1", outbox.pending("b:1", 1), "dropped")
        // Entry 1 is done for both servers: it leaves the outbox.
        expect(outbox.figures(4_000)).toEqual({
          entries: 2,
          oldest_age_seconds: 2,
          servers: [{ server: "a:1", pending: 1, delivered: 2, dropped: 0 }, { server: "b:1", pending: 2, delivered: 0, dropped: 1 }]
        })
      }))
      // A crash in the middle of the next append: half a record at the end.
      const file = path.join(dir, "outbox")
      yield* Effect.sync(() => fs.appendFileSync(file, "0000004f 1234abcd {\"e\":[4,"))
      yield* Effect.scoped(Effect.gen(function* () {
        const outbox = yield* open(dir)
        expect(outbox.pending("a:1", 10).map((e) => e.seq)).toEqual([3])
        expect(outbox.pending("b:1", 10).map((e) => e.seq)).toEqual([2, 3])
        // Rewritten at open: the torn record is gone, the file reads whole.
        expect(decodeRecords(fs.readFileSync(file)).tornBytes).toBe(0)
        const next = yield* outbox.record(entry(4, ["a:1"]))
        expect(next.seq).toBe(4)
      }))
      expect(fs.statSync(file).mode & 0o777).toBe(0o600)
      expect(fs.statSync(dir).mode & 0o777).toBe(0o700)
    }))

  it.live("refuses beyond outbox_max_entries, recording nothing", () =>
    Effect.scoped(Effect.gen(function* () {
      const dir = path.join(tempDir(), "state")
      const outbox = yield* open(dir, 2)
      yield* outbox.record(entry(1, ["a:1"]))
      yield* outbox.record(entry(2, ["a:1"]))
      const refused = yield* Effect.flip(outbox.record(entry(3, ["a:1"])))
      expect(refused).toMatchObject({ _tag: "OutboxError", reason: "Full", message: "outbox full (2 entries)" })
      expect(decodeRecords(fs.readFileSync(path.join(dir, "outbox"))).records).toHaveLength(2)
    })))

  it.live("refuses a state_dir others can write, and a second daemon on the same one", () =>
    Effect.gen(function* () {
      const open777 = path.join(tempDir(), "open")
      fs.mkdirSync(open777)
      fs.chmodSync(open777, 0o777)
      const unsafe = yield* Effect.flip(Effect.scoped(open(open777)))
      expect(unsafe.message).toContain(`its directory ${open777} is writable by group and others`)
      const dir = path.join(tempDir(), "state")
      fs.mkdirSync(dir, { mode: 0o700 })
      // A live process that looks like f2bc holds it.
      const other = spawn(process.execPath, ["-e", "setTimeout(() => {}, 30000)", "f2bc"], { stdio: "ignore" })
      try {
        fs.writeFileSync(path.join(dir, "daemon.pid"), `${other.pid}\n`)
        const busy = yield* Effect.flip(Effect.scoped(open(dir)))
        expect(busy).toMatchObject({ _tag: "PidFileError", message: `another f2bc daemon is running (pid file ${path.join(dir, "daemon.pid")}: pid ${other.pid} is alive)` })
      } finally {
        other.kill("SIGKILL")
      }
    }))
})
