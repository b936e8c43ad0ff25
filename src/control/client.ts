/**
 * The control socket's client: sends one request line to the daemon and
 * decodes its one-line answer with the request's Schema (`protocol.ts`).
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as Schema from "effect/Schema"
import * as net from "node:net"
import * as nodePath from "node:path"
import { ControlError, decodeAnswer, PublishAnswer } from "./protocol.js"

/** Sends `request` and decodes the answer with `schema`; no answer within `timeoutMs` (Effect's Clock) is `Unavailable`. */
export const askControl = <A, I>(
  path: string,
  request: string,
  schema: Schema.Schema<A, I>,
  timeoutMs: number
): Effect.Effect<A, ControlError> =>
  Effect.async<A, ControlError>((resume) => {
    const socket = net.connect(nodePath.resolve(path))
    let answer = ""
    const fail = (detail: string) => {
      socket.destroy()
      resume(Effect.fail(new ControlError({ reason: "Unavailable", path, detail })))
    }
    socket.once("error", (error) => fail(error.message))
    socket.once("connect", () => socket.write(`${request}\n`))
    socket.on("data", (chunk: Buffer) => (answer += chunk.toString("utf8")))
    socket.once("end", () => {
      socket.destroy()
      resume(Either.match(decodeAnswer(schema, request, path, answer), { onLeft: Effect.fail, onRight: Effect.succeed }))
    })
    return Effect.sync(() => socket.destroy())
  }).pipe(
    Effect.timeoutFail({
      duration: timeoutMs,
      onTimeout: () => new ControlError({ reason: "Unavailable", path, detail: `no answer within ${timeoutMs / 1000} s` })
    })
  )

/** Hands `message` on `channel` to the daemon's outbox (`publish <channel> <message>`); its answer says whether it recorded it. */
export const handOffToDaemon = (path: string, channel: string, message: string, timeoutMs: number): Effect.Effect<PublishAnswer, ControlError> =>
  askControl(path, `publish ${channel} ${message}`, PublishAnswer, timeoutMs)
