/**
 * The control socket end to end over a real Unix socket: the daemon's
 * server and the CLI's client agree through the protocol's Schemas, and a
 * malformed or refused answer reaches the client as a typed ControlError.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Runtime from "effect/Runtime"
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { askControl } from "../../src/control/client.js"
import { PublishAnswer, ReloadAnswer, StatusSnapshot } from "../../src/control/protocol.js"
import { serveControl } from "../../src/daemon/controlSocket.js"
import { tempDir } from "../support/harness.js"

const status: StatusSnapshot = {
  pid: 1,
  node_name: "n",
  config: "/c.yml",
  started_at: 1000,
  servers: [{ server: "127.0.0.1:1986", channels: ["c"], state: "connecting", reconnects: 0 }],
  messages: {},
  actions: { pending: 0, executed: 0, failed: 0, dropped: 0 }
}

/** A stand-in daemon that answers every request with `answer`, as it is. */
const fakeDaemon = (socketPath: string, answer: string) =>
  Effect.acquireRelease(
    Effect.async<net.Server>((resume) => {
      const server = net.createServer((socket) => socket.once("data", () => socket.end(answer)))
      server.listen(socketPath, () => resume(Effect.succeed(server)))
    }),
    (server) => Effect.async<void>((resume) => void server.close(() => resume(Effect.void)))
  )

describe("control socket", () => {
  it.scoped("serves status and reload, encoded with the Schemas the client decodes with", () =>
    Effect.gen(function* () {
      const socket = path.join(tempDir(), "f2bc.sock")
      const runtime = yield* Effect.runtime<never>()
      const reload: ReloadAnswer = { ok: true, kept: 1, started: 0, stopped: 0, needRestart: [] }
      const published: Array<[string, string]> = []
      const publish = (channel: string, message: string) =>
        Effect.sync((): PublishAnswer => (published.push([channel, message]), { ok: true, id: "0123" }))
      yield* serveControl(socket, { status: Effect.succeed(status), reload: Effect.succeed(reload), publish, maxRequestBytes: 200 }, Runtime.runPromise(runtime))
      expect(fs.statSync(socket).mode & 0o777).toBe(0o600)
      expect(yield* askControl(socket, "status", StatusSnapshot, 5000)).toEqual(status)
      expect(yield* askControl(socket, "reload", ReloadAnswer, 5000)).toEqual(reload)
      expect(yield* askControl(socket, "publish Fail2ban jail=sshd, action=banip,  ip=192.0.2.7 ", PublishAnswer, 5000)).toEqual({ ok: true, id: "0123" })
      expect(published).toEqual([["Fail2ban", "jail=sshd, action=banip,  ip=192.0.2.7 "]])
      // Longer than the bound: the connection closes unanswered, nothing is handed on.
      const long = yield* Effect.exit(askControl(socket, `publish Fail2ban ${"x".repeat(300)}`, PublishAnswer, 5000))
      expect(long._tag).toBe("Failure")
      expect(published).toHaveLength(1)
      const unknown = yield* Effect.exit(askControl(socket, "frobnicate c hello", ReloadAnswer, 5000))
      expect(unknown).toEqual(Exit.fail(expect.objectContaining({ _tag: "ControlError", reason: "Refused" })))
    })
  )

  it.scoped("an answer that does not fit the request's Schema fails the client with a Protocol error", () =>
    Effect.gen(function* () {
      const socket = path.join(tempDir(), "f2bc.sock")
      yield* fakeDaemon(socket, `${JSON.stringify({ ...status, actions: { pending: "lots" } })}\n`)
      const error = yield* Effect.flip(askControl(socket, "status", StatusSnapshot, 5000))
      expect(error._tag).toBe("ControlError")
      expect(error.reason).toBe("Protocol")
      expect(error.detail).toContain("actions.pending")
    })
  )

  it.scoped("no daemon on the socket is Unavailable", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(askControl(path.join(tempDir(), "none.sock"), "status", StatusSnapshot, 5000))
      expect(error.reason).toBe("Unavailable")
    })
  )
})
