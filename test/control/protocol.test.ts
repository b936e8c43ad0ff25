/**
 * The control socket's protocol: the daemon encodes each answer with the
 * Schema its clients decode with; an answer that does not fit is a typed error.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Either from "effect/Either"
import {
  ControlError,
  decodeAnswer,
  encodeAnswer,
  PublishAnswer,
  ReloadAnswer,
  StatusSnapshot,
  UnknownRequest
} from "../../src/control/protocol.js"

const status: StatusSnapshot = {
  pid: 4242,
  node_name: "web-1",
  config: "/etc/f2bc.yml",
  started_at: 1_795_605_900_000,
  servers: [
    { server: "127.0.0.1:1986", channels: ["Fail2ban"], state: "connected", connectedSince: 1_795_605_901_000, lastPong: 1_795_605_960_000, reconnects: 0 },
    { server: "[::1]:1986", channels: ["a", "b"], state: "down", reconnects: 3, lastError: "cannot connect: ECONNREFUSED" }
  ],
  messages: { executed: 3, "rejected at filter": 1 },
  actions: { pending: 0, executed: 3, failed: 0, dropped: 0 }
}

const decodeStatus = (text: string) => decodeAnswer(StatusSnapshot, "status", "/run/f2bc.sock", text)
const problem = (result: Either.Either<unknown, ControlError>): ControlError => {
  if (Either.isRight(result)) throw new Error(`decoded, but should not have: ${JSON.stringify(result.right)}`)
  return result.left
}

describe("control protocol", () => {
  it("a status snapshot survives the trip: encoded by the daemon, decoded by the client", () => {
    const line = encodeAnswer(StatusSnapshot, status)
    expect(line.endsWith("\n")).toBe(true)
    expect(line.indexOf("\n")).toBe(line.length - 1)
    expect(decodeStatus(line)).toEqual(Either.right(status))
  })

  it("a status whose field has the wrong type is a Protocol error naming the path", () => {
    const broken = JSON.stringify({ ...status, servers: [{ ...status.servers[0], reconnects: "many" }] })
    const error = problem(decodeStatus(broken))
    expect(error).toBeInstanceOf(ControlError)
    expect(error.reason).toBe("Protocol")
    expect(error.path).toBe("/run/f2bc.sock")
    expect(error.detail).toContain(`the answer to "status" does not fit`)
    expect(error.detail).toContain("servers.0.reconnects")
    expect(error.message).toMatch(/^unexpected answer on control socket \/run\/f2bc\.sock: /)
  })

  it("a status missing a field, or a server in an unknown state, does not fit", () => {
    const { actions: _, ...noActions } = status
    expect(problem(decodeStatus(JSON.stringify(noActions))).detail).toContain("actions")
    const odd = JSON.stringify({ ...status, servers: [{ ...status.servers[0], state: "asleep" }] })
    expect(problem(decodeStatus(odd)).detail).toContain("servers.0.state")
  })

  it("an answer that is not JSON, or is empty (the daemon hung up), is a Protocol error", () => {
    expect(problem(decodeStatus("<html>")).reason).toBe("Protocol")
    expect(problem(decodeStatus("")).reason).toBe("Protocol")
  })

  it("a daemon that does not know the request says so: a Refused error with its words", () => {
    const line = encodeAnswer(UnknownRequest, { error: `unknown request "publish"` })
    const error = problem(decodeAnswer(PublishAnswer, "publish", "/run/f2bc.sock", line))
    expect(error.reason).toBe("Refused")
    expect(error.message).toBe(`the daemon on control socket /run/f2bc.sock refused the request: unknown request "publish"`)
  })

  it("a reload answers its outcome or why the new config was refused", () => {
    const done: ReloadAnswer = { ok: true, kept: 1, started: 2, stopped: 0, needRestart: ["log_file"] }
    const refused: ReloadAnswer = { ok: false, error: "invalid config: servers: must be a list" }
    for (const answer of [done, refused])
      expect(decodeAnswer(ReloadAnswer, "reload", "s", encodeAnswer(ReloadAnswer, answer))).toEqual(Either.right(answer))
    expect(problem(decodeAnswer(ReloadAnswer, "reload", "s", `{"ok":true,"kept":1}`)).reason).toBe("Protocol")
  })

  it("publish answers the message's id, or an error; an ok without an id does not fit", () => {
    expect(decodeAnswer(PublishAnswer, "publish", "s", `{"ok":true,"id":"Zq3x"}`)).toEqual(Either.right({ ok: true, id: "Zq3x" }))
    expect(decodeAnswer(PublishAnswer, "publish", "s", `{"ok":false,"error":"no such channel"}`)).toEqual(
      Either.right({ ok: false, error: "no such channel" })
    )
    expect(problem(decodeAnswer(PublishAnswer, "publish", "s", `{"ok":true}`)).reason).toBe("Protocol")
  })
})
