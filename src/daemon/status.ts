/**
 * The daemon's live state for `daemon status`: each server's connection
 * (connected since, last pong, reconnects, last error) and the message and action counters.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type { ServerState } from "../control/protocol.js"
import { countReconnect, setConnected } from "../metrics/metrics.js"
import type { SessionObserver } from "../transport/transport.js"

export type { ServerState } from "../control/protocol.js"

export interface StatusBoard {
  /** The observer one server's subscription reports to; `key` tells apart two entries for one server. */
  readonly observe: (key: string, server: string, channels: ReadonlyArray<string>) => SessionObserver
  /** Forgets a server removed by a reload. */
  readonly forget: (key: string) => void
  readonly servers: () => ReadonlyArray<ServerState>
}

/** The board; times come from Effect's Clock when the observer's effects run. */
export const makeStatusBoard = (): StatusBoard => {
  const states = new Map<string, ServerState>()
  const update = (key: string, change: (state: ServerState) => ServerState): void => {
    const state = states.get(key)
    if (state !== undefined) states.set(key, change(state))
  }
  return {
    observe: (key, server, channels) => {
      states.set(key, {
        server,
        channels,
        state: "connecting",
        connectedSince: undefined,
        lastPong: undefined,
        reconnects: 0,
        lastError: undefined
      })
      return {
        connected: Effect.flatMap(Clock.currentTimeMillis, (at) => {
          update(key, (s) => ({ ...s, state: "connected", connectedSince: at, lastPong: at }))
          return setConnected(server, true)
        }),
        pong: Effect.map(Clock.currentTimeMillis, (at) => update(key, (s) => ({ ...s, lastPong: at }))),
        down: (detail) =>
          Effect.suspend(() => {
            update(key, (s) => ({ ...s, state: "down", connectedSince: undefined, reconnects: s.reconnects + 1, lastError: detail }))
            return Effect.zipRight(setConnected(server, false), countReconnect(server))
          })
      }
    },
    forget: (key) => {
      states.delete(key)
    },
    servers: () => [...states.values()]
  }
}
