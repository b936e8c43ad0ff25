/**
 * The journal on a real file: awaited appends are in the file when answered, appends made together all land in call
 * order, what nobody waited for is in the file at once and synced by close, and an append after close is refused.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import * as fs from "node:fs"
import * as path from "node:path"
import { openJournal } from "../../src/state/journal.js"
import { tempDir } from "../support/harness.js"

const options = (file: string) => ({
  path: file,
  what: "test journal",
  recover: (bytes: Buffer) => (bytes.length === 0 ? [] : [bytes]),
  liveBytes: () => 0,
  live: () => []
})

describe("the journal", () => {
  it.live("has each awaited append in the file when it answers, and many concurrent ones in call order", () =>
    Effect.gen(function* () {
      const file = path.join(tempDir(), "journal")
      const scope = yield* Scope.make()
      const journal = yield* Scope.extend(openJournal(options(file)), scope)
      yield* journal.append(Buffer.from("first;"))
      expect(fs.readFileSync(file, "utf8")).toBe("first;")
      const appends = Array.from({ length: 50 }, (_, i) => journal.append(Buffer.from(`${i};`)))
      yield* Effect.all(appends, { concurrency: "unbounded" })
      expect(fs.readFileSync(file, "utf8")).toBe("first;" + Array.from({ length: 50 }, (_, i) => `${i};`).join(""))
      yield* journal.appendLater(Buffer.from("later;"))
      expect(fs.readFileSync(file, "utf8").endsWith("later;")).toBe(true)
      yield* Scope.close(scope, Exit.void)
      const refused = yield* Effect.either(journal.append(Buffer.from("after close;")))
      expect(refused._tag).toBe("Left")
      expect(fs.readFileSync(file, "utf8").includes("after close")).toBe(false)
    }))

  it.live("keeps what a previous run left, as recover returned it", () =>
    Effect.gen(function* () {
      const file = path.join(tempDir(), "journal")
      fs.writeFileSync(file, "old;")
      yield* Effect.scoped(Effect.flatMap(openJournal(options(file)), (journal) => journal.append(Buffer.from("new;"))))
      expect(fs.readFileSync(file, "utf8")).toBe("old;new;")
    }))
})
