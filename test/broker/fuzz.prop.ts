/**
 * Fuzz properties of the broker's input side (protocol.md/operations.md; issue 3 "Trust"): arbitrary bytes from
 * a client never throw, are read only as well-formed requests, and cannot corrupt what other clients receive.
 */
import { FastCheck as fc } from "effect"
import { describe, expect, it } from "vitest"
import { makeHub, type Peer } from "../../src/broker/internal/hub.js"
import { parseRequestLine } from "../../src/broker/internal/requestLine.js"
import { initialSplitter, splitChunk } from "../../src/protocol/lineSplitter.js"
import { cut, cutPoints, decodeUtf8, hostileBytes, hugeBytes, smallBound } from "../protocol/bytes.js"

/** Every line the broker's splitter yields from `data` under `max`. */
const linesOf = (data: Uint8Array, max: number): Array<string> =>
  splitChunk(initialSplitter, data, max).events.flatMap((e) => (e._tag === "Line" ? [e.line] : []))

/** What `line` must be read as, if it is a request at all: verb, then channel, then the rest. */
const checkRequestLine = (line: string): void => {
  const request = parseRequestLine(line)
  if (request === undefined) return
  switch (request._tag) {
    case "Ping":
      expect(line).toBe("ping")
      return
    case "Info":
      expect(line).toBe("info")
      return
    case "Subscribe":
    case "Unsubscribe":
    case "Announce": {
      const verb = request._tag.toLowerCase()
      // Leading spaces, the verb, one or more spaces, the channel (no space in it), then the end or a space.
      const afterVerb = line.replace(/^ */, "")
      expect(afterVerb.startsWith(`${verb} `)).toBe(true)
      const atChannel = afterVerb.slice(verb.length).replace(/^ +/, "")
      expect(request.channel.length).toBeGreaterThan(0)
      expect(request.channel).not.toContain(" ")
      expect(atChannel.startsWith(request.channel)).toBe(true)
      const rest = atChannel.slice(request.channel.length)
      expect(rest === "" || rest.startsWith(" ")).toBe(true)
      if (request._tag === "Announce") expect(request.message).toBe(rest.slice(1))
      return
    }
  }
}

/** A peer that reads everything at once and records each write. */
const recordingPeer = (remote: string) => {
  const written: Array<string> = []
  let destroyed = false
  const peer: Peer = {
    remote,
    writableLength: 0,
    write: (data) => void written.push(typeof data === "string" ? data : Buffer.from(data).toString("utf8")),
    end: (data) => void written.push(data),
    destroy: () => {
      destroyed = true
    }
  }
  return { peer, written, destroyed: () => destroyed }
}

const PONG = /^[0-9]+$/
const INFO_LINE = /^[a-z -]+: [0-9a-z ]+$/
const VALID_CHANNEL = /^[^! \t\r\n\0]+$/
const VALID_MESSAGE = /^[^\r\n\0]+$/

/** Each write the hub makes is whole lines, and each line is one the protocol defines. */
const checkOutput = (written: ReadonlyArray<string>, channels: ReadonlySet<string>): void => {
  for (const chunk of written) {
    expect(chunk.endsWith("\n")).toBe(true)
    for (const line of chunk.slice(0, -1).split("\n")) {
      if (line === "debug!connected..." || line === "debug!busy" || PONG.test(line) || INFO_LINE.test(line)) continue
      const bang = line.indexOf("!")
      const channel = line.slice(0, bang)
      expect(bang, `unexpected line ${JSON.stringify(line)}`).toBeGreaterThan(0)
      expect(channel).toMatch(VALID_CHANNEL)
      expect(channels.has(channel), `delivery on ${JSON.stringify(channel)}, not subscribed`).toBe(true)
      expect(line.slice(bang + 1)).toMatch(VALID_MESSAGE)
    }
  }
}

describe("broker request lines under arbitrary bytes (fuzz)", () => {
  it("every line framed from arbitrary bytes is garbage (undefined) or a request read as fanout reads it, and parsing never throws", () => {
    fc.assert(
      fc.property(hostileBytes, fc.oneof(smallBound, fc.constant(65_536)), (data, max) => {
        for (const line of linesOf(data, max)) checkRequestLine(line)
        checkRequestLine(decodeUtf8(data))
      }),
      { numRuns: 600 }
    )
  })

  it("never throws (nor backtracks for long) on 50-200 KB lines", () => {
    const prefix = fc.constantFrom("", "announce c ", "subscribe ", "   announce   ", "announce ")
    fc.assert(
      fc.property(prefix, hugeBytes, (head, data) => {
        checkRequestLine(head + decodeUtf8(data))
        checkRequestLine(head + " ".repeat(data.length))
      }),
      { numRuns: 6 }
    )
  })
})

describe("operations.md broker hub under a client sending arbitrary bytes (fuzz)", () => {
  it("never throws; the sender's garbage reaches the others only as valid deliveries on channels they subscribed to; a bystander keeps being served", () => {
    fc.assert(
      fc.property(fc.array(hostileBytes, { minLength: 1, maxLength: 4 }), cutPoints, smallBound, (inputs, cuts, extra) => {
        const maxSubscriptions = 4
        const hub = makeHub(
          { maxClients: 8, maxLineBytes: 32 + extra, maxOutputBytes: 1 << 20, maxSubscriptions, maxSubscriptionBytes: 1 << 16 },
          () => undefined,
          () => 1_795_605_900_500
        )
        const bystander = recordingPeer("bystander")
        const bystanderSession = hub.open(bystander.peer)!
        bystanderSession.receive(Buffer.from("subscribe c\n"))
        const hostile = inputs.map((_, i) => recordingPeer(`hostile-${i}`))
        const sessions = hostile.map((h) => hub.open(h.peer)!)
        inputs.forEach((data, i) => {
          for (const chunk of cut(data, cuts)) sessions[i]!.receive(chunk)
        })

        checkOutput(bystander.written, new Set(["c", "all"]))
        for (const h of hostile) {
          expect(h.destroyed()).toBe(false)
          // A hostile client's own deliveries come only from channels it could subscribe to: any valid name.
          checkOutput(h.written, { has: (channel: string) => VALID_CHANNEL.test(channel) } as ReadonlySet<string>)
        }
        const stats = hub.stats()
        expect(stats.clients).toBe(1 + inputs.length)
        expect(stats.subscriptions).toBeLessThanOrEqual(2 + inputs.length * maxSubscriptions)

        // The bystander still gets a clean delivery and a pong, as the very last lines (the "\n"
        // first ends any partial line the sender left, which may itself be a valid announce).
        sessions[0]!.receive(Buffer.from("\nannounce c clean\n"))
        bystanderSession.receive(Buffer.from("ping\n"))
        expect(bystander.destroyed()).toBe(false)
        checkOutput(bystander.written, new Set(["c", "all"]))
        expect(bystander.written.join("").endsWith("c!clean\n1795605900\n")).toBe(true)
      }),
      { numRuns: 300 }
    )
  })
})
