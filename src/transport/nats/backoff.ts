/**
 * The NATS client's own reconnect delays inside a session: they grow with
 * the time the connection has been down, not with how often the client asks.
 */
import type { BackoffOptions } from "../supervise.js"

/**
 * The reconnect delays inside the client: half the time since the
 * connection was lost, from the base delay up to the cap, jittered, and
 * restarted by every reconnect. The client asks for a delay on every turn
 * of its dial loop, not once per attempt, so a count of calls (an
 * exponential in the attempt number) reached the 30 s cap within seconds:
 * a server back after 2 s was reconnected to only after 30. Time-based,
 * the wait grows as the outage does, whatever the client's call pattern.
 * The client calls it synchronously: `now` is the session's Clock read unsafely.
 */
export const clientBackoff = (options: BackoffOptions, now: () => number) => {
  let downSince: number | undefined
  return {
    next: (): number => {
      const at = now()
      if (downSince === undefined) downSince = at
      const delay = Math.min(options.capMs, Math.max(options.baseMs, (at - downSince) / 2)) * (0.8 + Math.random() * 0.4)
      return Math.min(options.capMs, Math.round(delay))
    },
    reset: (): void => {
      downSince = undefined
    }
  }
}
