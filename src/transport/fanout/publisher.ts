/**
 * The daemon's fanout publisher: one connection per server kept open while batches follow each other (a storm
 * is one connection, not one per batch), closed after IDLE_MS without one. Each batch is its announces and a
 * ping; the pongs come back in order, so the n-th pong confirms the n-th batch.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { serverName, TransportError, type FanoutEndpoint as Endpoint, type Outgoing } from "../transport.js"
import { connectToPublish, timeoutFailure, type ExchangeFailure, type PublishConnection } from "./exchange.js"
import { batchPayload } from "./publish.js"

/** An idle connection is closed after this long: the next batch connects again (no connection left to go stale). */
export const IDLE_MS = 5_000

type Outcome = Either.Either<void, TransportError>

interface Link {
  readonly connection: PublishConnection
  readonly server: string
  /** One per batch written, in order: the next pong settles the first. */
  readonly waiting: Array<(outcome: Outcome) => void>
  timer: ReturnType<typeof setTimeout> | undefined
}

export interface Publisher {
  /** Sends the batch on `endpoint`'s open connection (or a new one) and succeeds at its pong. */
  readonly publishAll: (endpoint: Endpoint, messages: ReadonlyArray<Outgoing>) => Effect.Effect<void, TransportError>
  /** Closes every connection (the daemon stops). */
  readonly close: () => void
}

export const makePublisher = (): Publisher => {
  const links = new Map<string, Link>()

  /** Ends `link`: every batch still waiting fails with the reason (none when it was idle). */
  const drop = (link: Link, { reason, detail }: Omit<ExchangeFailure, "_tag">) => {
    if (links.get(link.server) === link) links.delete(link.server)
    clearTimeout(link.timer)
    link.connection.socket.destroy()
    const failed = Either.left(new TransportError({ reason, server: link.server, detail }))
    for (const settle of link.waiting.splice(0)) settle(failed)
  }

  /** While a batch waits: its pong within ping_timeout. Idle: closed after IDLE_MS. */
  const arm = (link: Link, endpoint: Endpoint) => {
    clearTimeout(link.timer)
    link.timer = link.waiting.length > 0
      ? setTimeout(() => drop(link, timeoutFailure(link.connection, endpoint.pingTimeoutMs)), endpoint.pingTimeoutMs)
      : setTimeout(() => drop(link, { reason: "Closed", detail: "idle" }), IDLE_MS)
  }

  const open = (endpoint: Endpoint, server: string): Link => {
    const link: Link = {
      connection: connectToPublish(
        endpoint,
        () => {
          link.waiting.shift()?.(Either.void)
          arm(link, endpoint)
        },
        (failure) => drop(link, failure)
      ),
      server,
      waiting: [],
      timer: undefined
    }
    links.set(server, link)
    return link
  }

  /** Writes `payload` on the open connection when `reuse` (else a new one) and settles at its pong. */
  const send = (endpoint: Endpoint, server: string, payload: string, reuse: boolean) =>
    Effect.async<void, TransportError>((resume) => {
      const existing = links.get(server)
      if (existing !== undefined && !reuse) drop(existing, { reason: "Closed", detail: "replaced" })
      const link = (reuse ? existing : undefined) ?? open(endpoint, server)
      let settled = false
      link.waiting.push((outcome) => {
        settled = true
        resume(outcome)
      })
      arm(link, endpoint)
      link.connection.socket.write(payload)
      // Interrupted while waiting: the pongs no longer line up with the batches, so the connection goes.
      return Effect.sync(() => settled || drop(link, { reason: "Closed", detail: "interrupted" }))
    })

  const publishAll = (endpoint: Endpoint, messages: ReadonlyArray<Outgoing>): Effect.Effect<void, TransportError> =>
    Effect.suspend(() => {
      const server = serverName(endpoint)
      const batch = batchPayload(server, messages)
      if (Either.isLeft(batch)) return Effect.fail(batch.left)
      const payload = batch.right
      // A kept connection the server closed just as the batch went out: once more on a new one (receivers run an _id once).
      return links.has(server)
        ? Effect.catchIf(send(endpoint, server, payload, true), (error) => error.reason === "Closed" || error.reason === "Read", () => send(endpoint, server, payload, false))
        : send(endpoint, server, payload, false)
    })

  return {
    publishAll,
    close: () => {
      for (const link of [...links.values()]) drop(link, { reason: "Closed", detail: "the daemon stops" })
    }
  }
}
