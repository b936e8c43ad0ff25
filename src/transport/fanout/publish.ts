/**
 * Publish over fanout: announce one message, or a batch, and wait for the pong
 * that confirms the server processed them (the protocol has no other acknowledgement).
 *
 * One short exchange on a plain `node:net` socket (exchange.ts) rather than connection.ts:
 * @effect/platform's socket brings Schema, Channel and a mailbox with it,
 * ~10 ms of `f2bc publish`'s start-up. The errors read as connection.ts's do.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { encodeRequest } from "../../protocol/request.js"
import { serverName, TransportError, type FanoutEndpoint as Endpoint, type Outgoing } from "../transport.js"
import { exchange as exchangeWith } from "./exchange.js"

export const publish = (endpoint: Endpoint, channel: string, message: string): Effect.Effect<void, TransportError> =>
  Effect.suspend(() => {
    const server = serverName(endpoint)
    const line = encodeRequest({ _tag: "Announce", channel, message })
    return Either.isLeft(line)
      ? Effect.fail(new TransportError({ reason: "Invalid", server, detail: line.left.message }))
      : exchange(endpoint, server, `${line.right}ping\n`)
  })

/** A batch as one write: its announces, then the ping whose pong confirms them all (the server answers in order). */
export const batchPayload = (server: string, messages: ReadonlyArray<Outgoing>): Either.Either<string, TransportError> => {
  const lines: Array<string> = []
  for (const { channel, message } of messages) {
    const line = encodeRequest({ _tag: "Announce", channel, message })
    if (Either.isLeft(line)) return Either.left(new TransportError({ reason: "Invalid", server, detail: line.left.message }))
    lines.push(line.right)
  }
  return Either.right(`${lines.join("")}ping\n`)
}

/** Every announce in one write on one connection; the pong after them confirms them all. */
export const publishAll = (endpoint: Endpoint, messages: ReadonlyArray<Outgoing>): Effect.Effect<void, TransportError> =>
  Effect.suspend(() => {
    const server = serverName(endpoint)
    const payload = batchPayload(server, messages)
    return Either.isLeft(payload) ? Effect.fail(payload.left) : exchange(endpoint, server, payload.right)
  })

/** Connects, writes `request`, and succeeds at the first pong; the socket is closed however it ends (exchange.ts). */
const exchange = (endpoint: Endpoint, server: string, request: string) =>
  Effect.async<void, TransportError>((resume) => {
    const cancel = exchangeWith(endpoint, request, (failure) =>
      resume(failure === undefined ? Effect.void : Effect.fail(new TransportError({ reason: failure.reason, server, detail: failure.detail })))
    )
    return Effect.sync(cancel)
  })
