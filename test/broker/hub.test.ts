import { describe, expect, it } from "vitest"
import { type HubEvent, makeHub, type Peer } from "../../src/broker/internal/hub.js"

/** A peer that records what the hub does to it; `pending` plays the socket's unsent bytes. */
const fakePeer = (remote: string) => {
  const peer = {
    remote,
    pending: 0,
    written: [] as Array<string>,
    ended: undefined as string | undefined,
    destroyed: false,
    get writableLength() {
      return peer.pending
    },
    write: (data: string | Uint8Array) => {
      peer.written.push(typeof data === "string" ? data : Buffer.from(data).toString("utf8"))
    },
    end: (data: string) => {
      peer.ended = data
    },
    destroy: () => {
      peer.destroyed = true
    }
  }
  return peer satisfies Peer
}

const setup = (
  limits: { maxClients?: number; maxOutputBytes?: number; maxLineBytes?: number; maxSubscriptions?: number; maxSubscriptionBytes?: number } = {}
) => {
  const events: Array<HubEvent> = []
  const hub = makeHub(
    {
      maxClients: limits.maxClients ?? 10,
      maxLineBytes: limits.maxLineBytes ?? 1024,
      maxOutputBytes: limits.maxOutputBytes ?? 100,
      maxSubscriptions: limits.maxSubscriptions ?? 100,
      maxSubscriptionBytes: limits.maxSubscriptionBytes ?? 1 << 16
    },
    (event) => events.push(event),
    () => 1_795_605_900_500
  )
  return { hub, events }
}

const bytes = (text: string) => new TextEncoder().encode(text)

describe("broker hub", () => {
  it("greets, subscribes to `all`, and answers ping with the clock in whole seconds", () => {
    const { hub } = setup()
    const peer = fakePeer("a")
    const session = hub.open(peer)
    session?.receive(bytes("ping\n"))
    expect(peer.written).toEqual(["debug!connected...\n", "1795605900\n"])
    expect(hub.stats()).toMatchObject({ clients: 1, channels: 1, subscriptions: 1 })
  })

  it("bounds the channels one client may subscribe to (all included); further subscribes are ignored and counted", () => {
    const { hub } = setup({ maxSubscriptions: 3 })
    const [a, b] = [fakePeer("a"), fakePeer("b")]
    const sa = hub.open(a)
    const sb = hub.open(b)
    sa?.receive(bytes("subscribe x\nsubscribe y\nsubscribe z\n"))
    expect(hub.stats()).toMatchObject({ subscriptions: 4, ignoredRequests: 1 })
    sb?.receive(bytes("announce y to y\nannounce z to z\n"))
    expect(a.written.slice(1)).toEqual(["y!to y\n"])
    // Unsubscribing frees a place.
    sa?.receive(bytes("unsubscribe x\nsubscribe z\n"))
    sb?.receive(bytes("announce z to z\n"))
    expect(a.written.at(-1)).toBe("z!to z\n")
  })

  it("bounds the bytes of channel names one client holds (all included); a name that would pass the budget is ignored and counted", () => {
    const { hub } = setup({ maxSubscriptionBytes: 3 + 100 })
    const [a, b] = [fakePeer("a"), fakePeer("b")]
    const sa = hub.open(a)
    const sb = hub.open(b)
    const [long, next] = ["x".repeat(60), "y".repeat(40)]
    // 3 (all) + 60 + 40 = 103 bytes fit; one more byte does not, in UTF-8 bytes (é is two).
    sa?.receive(bytes(`subscribe ${long}\nsubscribe ${next}\nsubscribe z\n`))
    expect(hub.stats()).toMatchObject({ subscriptions: 4, ignoredRequests: 1 })
    sa?.receive(bytes(`unsubscribe ${next}\nsubscribe ${"é".repeat(20)}\nsubscribe ${"é".repeat(20)}z\n`))
    expect(hub.stats()).toMatchObject({ subscriptions: 4, ignoredRequests: 2 })
    sb?.receive(bytes(`announce ${long} one\nannounce z two\n`))
    expect(a.written.slice(1)).toEqual([`${long}!one\n`])
    // Unsubscribing frees its bytes.
    sa?.receive(bytes(`unsubscribe ${long}\nsubscribe z\n`))
    sb?.receive(bytes("announce z three\n"))
    expect(a.written.at(-1)).toBe("z!three\n")
  })

  it("writes the same delivery to every subscriber of the channel and to nobody else", () => {
    const { hub } = setup()
    const [a, b, c] = [fakePeer("a"), fakePeer("b"), fakePeer("c")]
    const sa = hub.open(a)
    const sb = hub.open(b)
    hub.open(c)
    sa?.receive(bytes("subscribe x\n"))
    sb?.receive(bytes("subscribe x\nannounce x hi there\n"))
    expect(a.written.at(-1)).toBe("x!hi there\n")
    expect(b.written.at(-1)).toBe("x!hi there\n")
    expect(c.written).toEqual(["debug!connected...\n"])
    expect(hub.stats()).toMatchObject({ announcements: 1, deliveries: 2 })
  })

  it("operations.md: a subscriber whose unsent output exceeds maxOutputBytes is disconnected before the next write", () => {
    const { hub, events } = setup({ maxOutputBytes: 100 })
    const slow = fakePeer("slow")
    const fast = fakePeer("fast")
    hub.open(slow)?.receive(bytes("subscribe x\n"))
    hub.open(fast)?.receive(bytes("subscribe x\n"))
    const publisher = hub.open(fakePeer("p"))
    slow.pending = 100 // at the bound: still written to
    publisher?.receive(bytes("announce x one\n"))
    expect(slow.written.at(-1)).toBe("x!one\n")
    slow.pending = 101
    publisher?.receive(bytes("announce x two\nannounce x three\n"))
    expect(slow.destroyed).toBe(true)
    expect(slow.written.at(-1)).toBe("x!one\n")
    expect(fast.written.join("").endsWith("x!one\nx!two\nx!three\n")).toBe(true)
    expect(events).toContainEqual({ _tag: "SlowClient", remote: "slow", pendingBytes: 101 })
    expect(hub.stats()).toMatchObject({ clients: 2, slowClientDisconnects: 1, deliveries: 2 + 1 + 1 })
  })

  it("operations.md: the bound counts what is queued for the client in this chunk too: a chunk cannot push it past the bound by more than one line", () => {
    const { hub, events } = setup({ maxOutputBytes: 100 })
    const slow = fakePeer("slow")
    hub.open(slow)?.receive(bytes("subscribe x\n"))
    const publisher = hub.open(fakePeer("p"))
    slow.pending = 90
    // Each delivery is 12 bytes: 90 + 12 = 102 > 100 after the first; the second finds the bound exceeded.
    publisher?.receive(bytes("announce x 123456789\n".repeat(5)))
    expect(slow.destroyed).toBe(true)
    expect(events).toContainEqual({ _tag: "SlowClient", remote: "slow", pendingBytes: 102 })
    // Nothing queued for a disconnected client is written.
    expect(slow.written).toEqual(["debug!connected...\n"])
  })

  it("what one chunk sends a client goes to its socket in one write, in order", () => {
    const { hub } = setup({ maxOutputBytes: 1 << 20 })
    const [a, b] = [fakePeer("a"), fakePeer("b")]
    hub.open(a)?.receive(bytes("subscribe x\n"))
    const sb = hub.open(b)
    sb?.receive(bytes("announce x one\nannounce all two\nannounce y none\nannounce x three\n"))
    expect(a.written.slice(1)).toEqual(["x!one\nall!two\nx!three\n"])
    expect(b.written.slice(1)).toEqual(["all!two\n"])
    expect(hub.stats()).toMatchObject({ announcements: 3, deliveries: 4, droppedAnnouncements: 1 })
  })

  it("a ping is answered only after the deliveries of the lines before it were handed to the subscribers' sockets", () => {
    const { hub } = setup({ maxOutputBytes: 1 << 20 })
    const order: Array<string> = []
    const recording = (remote: string) => {
      const peer = fakePeer(remote)
      return { ...peer, write: (data: string | Uint8Array) => order.push(`${remote}:${Buffer.from(data).toString("utf8")}`) }
    }
    const subscribers = [recording("s1"), recording("s2")]
    for (const s of subscribers) hub.open(s)?.receive(bytes("subscribe x\n"))
    const publisher = hub.open(recording("p"))
    order.length = 0
    publisher?.receive(bytes("announce x one\nannounce x two\nping\nannounce x three\n"))
    expect(order).toEqual([
      "s1:x!one\nx!two\n",
      "s2:x!one\nx!two\n",
      "p:1795605900\n",
      "s1:x!three\n",
      "s2:x!three\n"
    ])
  })

  it("operations.md: beyond maxClients a connection gets debug!busy and is closed", () => {
    const { hub, events } = setup({ maxClients: 1 })
    expect(hub.open(fakePeer("a"))).toBeDefined()
    const refused = fakePeer("b")
    expect(hub.open(refused)).toBeUndefined()
    expect(refused.ended).toBe("debug!busy\n")
    expect(refused.written).toEqual([])
    expect(events).toContainEqual({ _tag: "Busy", remote: "b" })
  })

  it("a closed client's subscriptions are removed, and its channels with them", () => {
    const { hub } = setup()
    const session = hub.open(fakePeer("a"))
    session?.receive(bytes("subscribe x\n"))
    expect(hub.stats()).toMatchObject({ channels: 2, subscriptions: 2 })
    session?.closed()
    expect(hub.stats()).toMatchObject({ clients: 0, channels: 0, subscriptions: 0 })
  })

  it("an over-long request is reported and the rest of the chunk is still handled", () => {
    const { hub, events } = setup({ maxLineBytes: 8 })
    const peer = fakePeer("a")
    hub.open(peer)?.receive(bytes("announce all 123456789\nping\n"))
    expect(peer.written.at(-1)).toBe("1795605900\n")
    expect(events).toContainEqual({ _tag: "Overlong", remote: "a", bytes: 22 })
  })

  it("closeAll disconnects every client", () => {
    const { hub } = setup()
    const peers = [fakePeer("a"), fakePeer("b")]
    for (const peer of peers) hub.open(peer)
    hub.closeAll()
    expect(peers.every((p) => p.destroyed)).toBe(true)
    expect(hub.stats().clients).toBe(0)
  })
})
