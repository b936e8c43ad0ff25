import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Logger from "effect/Logger"
import * as Scope from "effect/Scope"
import { describe, expect, it } from "@effect/vitest"
import { type BrokerOptions, defaultBrokerOptions, makeBroker } from "../../src/broker/broker.js"
import { captureLogs, connect, connectGreeted, openSocket } from "./support.js"

/** A broker whose logs are discarded (the tests that check logs capture them instead). */
const startBroker = (brokerOptions: BrokerOptions) =>
  makeBroker(brokerOptions).pipe(Effect.provide(Logger.remove(Logger.defaultLogger)))

const options = (overrides: Partial<BrokerOptions> = {}): BrokerOptions => ({
  ...defaultBrokerOptions,
  port: 0,
  ...overrides
})

describe("broker: protocol.md protocol, as the fanout server speaks it", () => {
  it.scopedLive("listens on loopback and reports the free port it got for port 0", () =>
    Effect.gen(function*() {
      const broker = yield* startBroker(options())
      expect(broker.address.host).toBe("127.0.0.1")
      expect(broker.address.port).toBeGreaterThan(0)
      expect(defaultBrokerOptions).toEqual({
        host: "127.0.0.1",
        port: 1986,
        maxClients: 1024,
        maxLineBytes: 65536,
        maxOutputBytes: 1048576,
        maxSubscriptions: 1024,
        maxSubscriptionBytes: 65536
      })
    }))

  it.scopedLive("greets every new client with debug!connected...", () =>
    Effect.gen(function*() {
      const broker = yield* startBroker(options())
      const client = yield* connect(broker.address.port)
      expect(yield* client.next).toBe("debug!connected...")
    }))

  it.scopedLive("answers ping with its clock in decimal unix seconds", () =>
    Effect.gen(function*() {
      const broker = yield* startBroker(options())
      const client = yield* connectGreeted(broker.address.port)
      yield* client.send("ping\n")
      const line = yield* client.next
      expect(line).toMatch(/^[0-9]+$/)
      expect(Math.abs(Number(line) - Date.now() / 1000)).toBeLessThanOrEqual(2)
    }))

  it.scopedLive("accepts \\r\\n line ends", () =>
    Effect.gen(function*() {
      const broker = yield* startBroker(options())
      const client = yield* connectGreeted(broker.address.port)
      yield* client.send("subscribe c\r\nannounce c crlf\r\nping\r\n")
      expect(yield* client.next).toBe("c!crlf")
      expect(yield* client.next).toMatch(/^[0-9]+$/)
    }))

  it.scopedLive("delivers announce <channel> <message> as <channel>!<message> to a subscriber", () =>
    Effect.gen(function*() {
      const broker = yield* startBroker(options())
      const subscriber = yield* connectGreeted(broker.address.port)
      const publisher = yield* connectGreeted(broker.address.port)
      yield* subscriber.send("subscribe Fail2ban\n")
      yield* subscriber.pong
      yield* publisher.send("announce Fail2ban jail=sshd, action=banip, ip=192.0.2.7\n")
      yield* publisher.pong
      expect(yield* subscriber.next).toBe("Fail2ban!jail=sshd, action=banip, ip=192.0.2.7")
      // The publisher is not subscribed: the pong was the only thing it got.
      yield* publisher.pong
    }))

  it.scopedLive("delivers a message with `!` and spaces whole (the line splits at the first space after the channel)", () =>
    Effect.gen(function*() {
      const broker = yield* startBroker(options())
      const client = yield* connectGreeted(broker.address.port)
      yield* client.send("subscribe c\nannounce c  a b!c  d! \nping\n")
      expect(yield* client.next).toBe("c! a b!c  d! ")
      yield* client.next
    }))

  it.scopedLive("drops an announce nobody subscribed to: a subscriber of another channel gets nothing", () =>
    Effect.gen(function*() {
      const broker = yield* startBroker(options())
      const other = yield* connectGreeted(broker.address.port)
      const publisher = yield* connectGreeted(broker.address.port)
      yield* other.send("subscribe other\n")
      yield* other.pong
      yield* publisher.send("announce nobody hello\n")
      yield* publisher.pong
      // Had the announce reached `other`, it would come before this pong.
      yield* other.pong
      const stats = yield* broker.stats
      expect(stats.droppedAnnouncements).toBe(1)
      expect(stats.announcements).toBe(0)
      expect(stats.deliveries).toBe(0)
    }))

  it.scopedLive("drops an announce with an empty message", () =>
    Effect.gen(function*() {
      const broker = yield* startBroker(options())
      const client = yield* connectGreeted(broker.address.port)
      yield* client.send("subscribe c\nannounce c\nannounce c \n")
      yield* client.pong
      expect((yield* broker.stats).droppedAnnouncements).toBe(2)
    }))

  it.scopedLive("subscribes every client to `all`, the announcer included", () =>
    Effect.gen(function*() {
      const broker = yield* startBroker(options())
      const a = yield* connectGreeted(broker.address.port)
      const b = yield* connectGreeted(broker.address.port)
      yield* a.send("announce all hello everyone\nping\n")
      expect(yield* a.next).toBe("all!hello everyone")
      expect(yield* a.next).toMatch(/^[0-9]+$/)
      expect(yield* b.next).toBe("all!hello everyone")
    }))

  it.scopedLive("stops delivering after unsubscribe", () =>
    Effect.gen(function*() {
      const broker = yield* startBroker(options())
      const subscriber = yield* connectGreeted(broker.address.port)
      const publisher = yield* connectGreeted(broker.address.port)
      yield* subscriber.send("subscribe c\nunsubscribe c\n")
      yield* subscriber.pong
      yield* publisher.send("announce c hello\n")
      yield* publisher.pong
      yield* subscriber.pong
      const stats = yield* broker.stats
      expect(stats.unsubscribes).toBe(1)
      expect(stats.channels).toBe(1) // only `all` is left
    }))

  it.scopedLive("answers requests in order: a ping after announce is answered after the delivery", () =>
    Effect.gen(function*() {
      const broker = yield* startBroker(options())
      const client = yield* connectGreeted(broker.address.port)
      const subscriber = yield* connectGreeted(broker.address.port)
      yield* subscriber.send("subscribe x\n")
      yield* subscriber.pong
      // One write, so all five lines arrive together and are handled back to back.
      yield* client.send("subscribe x\nannounce x 1\nunsubscribe x\nannounce x 2\nping\n")
      expect(yield* client.next).toBe("x!1")
      expect(yield* client.next).toMatch(/^[0-9]+$/)
      // The announcer's pong proves both announces were handled: the subscriber has both, in order.
      expect(yield* subscriber.next).toBe("x!1")
      expect(yield* subscriber.next).toBe("x!2")
    }))

  it.scopedLive("answers info with a block of `name: value` lines", () =>
    Effect.gen(function*() {
      const broker = yield* startBroker(options({ maxClients: 7 }))
      const client = yield* connectGreeted(broker.address.port)
      yield* client.send("subscribe c\ninfo\nping\n")
      const lines: Array<string> = []
      for (let line = yield* client.next; !/^[0-9]+$/.test(line); line = yield* client.next) lines.push(line)
      for (const line of lines) expect(line).toMatch(/^[a-z][a-z -]*: \S.*$/)
      expect(lines[0]).toMatch(/^uptime: 0d 0h 0m [0-9]+s$/)
      expect(lines).toContain("client-limit: 7")
      expect(lines).toContain("current connections: 1")
      expect(lines).toContain("current channels: 2")
      expect(lines).toContain("current subscriptions: 2")
      expect(lines).toContain("user-requested subscriptions: 1")
      expect(lines).toContain("total pings: 0")
    }))

  it.scopedLive("ignores unknown or malformed requests and keeps the connection", () =>
    Effect.gen(function*() {
      const broker = yield* startBroker(options())
      const client = yield* connectGreeted(broker.address.port)
      yield* client.send("hello\nfoo bar\nping \nsubscribe a!b\nsubscribe \n\nPING\n")
      yield* client.pong
      const stats = yield* broker.stats
      expect(stats.ignoredRequests).toBe(7)
      expect(stats.subscriptions).toBe(1)
    }))
})

describe("broker: operations.md bounds", () => {
  it.scopedLive("refuses a client beyond maxClients with debug!busy and closes it; the others keep working", () =>
    Effect.gen(function*() {
      const broker = yield* startBroker(options({ maxClients: 2 }))
      const a = yield* connectGreeted(broker.address.port)
      const b = yield* connectGreeted(broker.address.port)
      const refused = yield* connect(broker.address.port)
      expect(yield* refused.next).toBe("debug!busy")
      yield* refused.closed
      yield* a.pong
      yield* b.pong
      const stats = yield* broker.stats
      expect(stats.busyRejections).toBe(1)
      expect(stats.clients).toBe(2)
    }))

  it.scopedLive("drops an over-long request line, logs it, and keeps the connection working", () =>
    Effect.gen(function*() {
      const logs = yield* captureLogs
      yield* Effect.gen(function*() {
        const broker = yield* makeBroker(options({ maxLineBytes: 64 }))
        const client = yield* connectGreeted(broker.address.port)
        yield* client.send("subscribe c\n")
        yield* client.send(`announce c ${"x".repeat(100)}`)
        yield* client.send(`${"y".repeat(100)}\nannounce c ok\n`)
        expect(yield* client.next).toBe("c!ok")
        yield* client.pong
        expect((yield* broker.stats).overlongLines).toBe(1)
        const entry = yield* logs.waitFor((e) => e.message.includes("request line"))
        expect(entry.level).toBe("WARN")
        expect(entry.message).toContain("211-byte")
        expect(entry.annotations["component"]).toBe("broker")
      }).pipe(Effect.provide(logs.layer))
    }))

  it.scopedLive("disconnects a subscriber that does not read once its output exceeds maxOutputBytes; other subscribers keep receiving", () =>
    Effect.gen(function*() {
      const logs = yield* captureLogs
      yield* Effect.gen(function*() {
        const maxOutputBytes = 256 * 1024
        const broker = yield* makeBroker(options({ maxOutputBytes }))
        const slow = yield* connectGreeted(broker.address.port)
        const fast = yield* connectGreeted(broker.address.port)
        const publisher = yield* connectGreeted(broker.address.port)
        yield* slow.send("subscribe c\n")
        yield* slow.pong
        slow.socket.pause() // stops reading: the kernel buffers fill, then the broker's output queue grows
        yield* fast.send("subscribe c\n")
        yield* fast.pong

        const message = "m".repeat(16 * 1024)
        const perRound = 8 // 128 KiB per round: well under the bound for a subscriber that reads
        let sent = 0
        let rounds = 0
        while ((yield* broker.stats).slowClientDisconnects === 0) {
          if (rounds++ >= 400) return yield* Effect.die("the slow subscriber was never disconnected")
          yield* publisher.send(`announce c ${message}\n`.repeat(perRound))
          yield* publisher.pong
          for (let i = 0; i < perRound; i++) expect(yield* fast.next).toBe(`c!${message}`)
          sent += perRound
        }

        const stats = yield* broker.stats
        expect(stats.slowClientDisconnects).toBe(1)
        expect(stats.clients).toBe(2)
        // The bound held: the broker never queued more than the limit plus one line for the slow client.
        const warning = yield* logs.waitFor((e) => e.message.includes("slow client"))
        const pending = Number(/(\d+) bytes unsent/.exec(warning.message)?.[1])
        expect(pending).toBeGreaterThan(maxOutputBytes)
        expect(pending).toBeLessThanOrEqual(maxOutputBytes + message.length + 3)

        // The others go on: one more delivery reaches the fast subscriber.
        yield* publisher.send("announce c after\n")
        yield* publisher.pong
        expect(yield* fast.next).toBe("c!after")
        expect((yield* broker.stats).announcements).toBe(sent + 1)

        slow.socket.resume()
        yield* slow.closed
      }).pipe(Effect.provide(logs.layer))
    }), 60_000)
})

describe("broker: lifecycle", () => {
  it.scopedLive("closing the scope closes the listener and every client", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const broker = yield* startBroker(options()).pipe(Scope.extend(scope))
      const a = yield* connectGreeted(broker.address.port)
      const b = yield* connectGreeted(broker.address.port)
      yield* Scope.close(scope, Exit.void)
      yield* a.closed
      yield* b.closed
      const refused = yield* Effect.flip(openSocket(broker.address.port))
      expect((refused as NodeJS.ErrnoException).code).toBe("ECONNREFUSED")
    }))

  it.scopedLive("fails with a BrokerError naming host:port and the cause when the port is taken", () =>
    Effect.gen(function*() {
      const first = yield* startBroker(options())
      const error = yield* Effect.flip(startBroker(options({ port: first.address.port })))
      expect(error._tag).toBe("BrokerError")
      expect(error.reason).toBe("Listen")
      expect(error.port).toBe(first.address.port)
      expect(error.message).toContain(`127.0.0.1:${first.address.port}`)
      expect(error.message).toContain("EADDRINUSE")
    }))

  it.scopedLive("counts connections and subscriptions, and forgets a client that leaves", () =>
    Effect.gen(function*() {
      const logs = yield* captureLogs
      const broker = yield* makeBroker(options()).pipe(Effect.provide(logs.layer))
      const a = yield* connectGreeted(broker.address.port)
      const b = yield* connectGreeted(broker.address.port)
      yield* a.send("subscribe x\nsubscribe y\nsubscribe x\n")
      yield* a.pong
      expect(yield* broker.stats).toMatchObject({ clients: 2, channels: 3, subscriptions: 4, subscribes: 4, pings: 1 })
      b.socket.end()
      // The broker sees the close on its own schedule: wait for its log line, not for time.
      yield* logs.waitFor((e) => e.message.startsWith("client disconnected"))
      const stats = yield* broker.stats
      expect(stats).toMatchObject({ clients: 1, channels: 3, subscriptions: 3, totalConnections: 2, maxClientsSeen: 2 })
    }))
})
