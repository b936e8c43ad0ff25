/**
 * The daemon's fanout publisher on a real broker: batches that follow each other share one connection and arrive in
 * order, each confirmed by its own pong; a broker that closes fails the waiting batch and the next one connects again;
 * a broker that never answers fails the batch within ping_timeout.
 */
import { afterAll, describe, expect, it } from "vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as net from "node:net"
import { makePublisher } from "../../src/transport/fanout/publisher.js"
import { rawClient, silentServer, startBroker, stopAll, waitUntil } from "../support/harness.js"

afterAll(stopAll)

/** A TCP relay to `port` that counts the connections made through it and can cut them all. */
const countingRelay = async (port: number) => {
  let connections = 0
  const open = new Set<net.Socket>()
  const server = net.createServer((client) => {
    connections++
    const upstream = net.connect({ host: "127.0.0.1", port })
    for (const [a, b] of [[client, upstream], [upstream, client]] as const) {
      open.add(a)
      a.pipe(b)
      a.on("error", () => b.destroy())
      a.on("close", () => (b.destroy(), open.delete(a)))
    }
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => connections,
    cut: () => [...open].forEach((socket) => socket.destroy()),
    close: () => server.close()
  }
}

const endpoint = (port: number, pingTimeoutMs = 5_000) => ({ host: "127.0.0.1", port, channels: [], pingTimeoutMs, maxLineBytes: 65_536 })

describe("the daemon's fanout publisher", () => {
  it("sends batch after batch on one connection, in order, each confirmed", async () => {
    const broker = await startBroker()
    const relay = await countingRelay(broker.port)
    const subscriber = await rawClient(broker.port)
    subscriber.send("subscribe Fail2ban\n")
    await subscriber.sync()
    const publisher = makePublisher()
    for (let i = 0; i < 20; i++) {
      const batch = [{ channel: "Fail2ban", message: `n=${2 * i}` }, { channel: "Fail2ban", message: `n=${2 * i + 1}` }]
      await Effect.runPromise(publisher.publishAll(endpoint(relay.port), batch))
    }
    await waitUntil(() => (subscriber.received().includes("Fail2ban!n=39") ? true : undefined), 5_000, "the last message")
    const received = subscriber.received().split("\n").filter((line) => line.startsWith("Fail2ban!")).map((line) => line.slice(9))
    expect(received).toEqual(Array.from({ length: 40 }, (_, i) => `n=${i}`))
    expect(relay.connections()).toBe(1)
    relay.cut()
    // The cut connection is gone: the next batch connects again and is confirmed.
    await waitUntil(() => (relay.connections() === 1 ? true : undefined), 1_000, "the cut")
    await Effect.runPromise(publisher.publishAll(endpoint(relay.port), [{ channel: "Fail2ban", message: "n=after" }]))
    expect(relay.connections()).toBe(2)
    publisher.close()
    relay.close()
    subscriber.close()
  })

  it("fails a batch the server never confirms within ping_timeout, and one it refuses to connect for", async () => {
    const silent = await silentServer()
    const publisher = makePublisher()
    const timedOut = await Effect.runPromise(Effect.either(publisher.publishAll(endpoint(silent.port, 300), [{ channel: "C", message: "m" }])))
    expect(Either.isLeft(timedOut) && timedOut.left.reason).toBe("Timeout")
    await silent.close()
    const refused = await Effect.runPromise(Effect.either(publisher.publishAll(endpoint(silent.port, 300), [{ channel: "C", message: "m" }])))
    expect(Either.isLeft(refused) && refused.left.reason).toBe("Connect")
    publisher.close()
  })
})
