/**
 * The daemon's live state for `daemon status`: each server's connection
 * (connected since, last pong, reconnects, last error) and the message and action counters.
 */
import * as Effect from "effect/Effect"
import { countReconnect, setConnected } from "../metrics/metrics.js"
import type { SessionObserver } from "../transport/transport.js"

export interface ServerState {
  readonly server: string
  readonly channels: ReadonlyArray<string>
  readonly state: "connecting" | "connected" | "down"
  /** Epoch milliseconds. */
  readonly connectedSince: number | undefined
  readonly lastPong: number | undefined
  /** Connection attempts after a failure or a lost connection. */
  readonly reconnects: number
  readonly lastError: string | undefined
}

export interface StatusBoard {
  /** The observer one server's subscription reports to; `key` tells apart two entries for one server. */
  readonly observe: (key: string, server: string, channels: ReadonlyArray<string>) => SessionObserver
  /** Forgets a server removed by a reload. */
  readonly forget: (key: string) => void
  readonly servers: () => ReadonlyArray<ServerState>
}

export const makeStatusBoard = (now: () => number = Date.now): StatusBoard => {
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
        connected: Effect.suspend(() => {
          const at = now()
          update(key, (s) => ({ ...s, state: "connected", connectedSince: at, lastPong: at }))
          return setConnected(server, true)
        }),
        pong: Effect.sync(() => update(key, (s) => ({ ...s, lastPong: now() }))),
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
