/**
 * The NATS client's reconnect delays (issue 7: retries with backoff): they
 * grow with the time the connection has been down, not with how often the
 * client asks, so a server that is back soon is reconnected to soon.
 */
import { describe, expect, it } from "vitest"
import { clientBackoff } from "../../src/transport/nats/session.js"

const options = { baseMs: 500, capMs: 30_000 }

describe("clientBackoff", () => {
  it("asked many times at once, waits about the base delay, not an exponential of the calls", () => {
    let now = 1_000_000
    const backoff = clientBackoff(options, () => now)
    for (let i = 0; i < 50; i++) expect(backoff.next()).toBeLessThanOrEqual(600)
    now += 2_000
    const delay = backoff.next()
    expect(delay).toBeGreaterThanOrEqual(800)
    expect(delay).toBeLessThanOrEqual(1_200)
  })

  it("grows to the cap as the outage lasts, and starts over after a reconnect", () => {
    let now = 0
    const backoff = clientBackoff(options, () => now)
    backoff.next()
    now += 10 * 60_000
    const capped = backoff.next()
    expect(capped).toBeGreaterThanOrEqual(24_000)
    expect(capped).toBeLessThanOrEqual(30_000)
    backoff.reset()
    expect(backoff.next()).toBeLessThanOrEqual(600)
  })
})
