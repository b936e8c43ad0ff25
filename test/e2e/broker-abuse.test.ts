/**
 * Broker abuse end to end (operations.md bounds; issue 3 "Trust"): the built `f2bc broker` under over-long
 * lines, binary garbage, connection floods and a subscriber that never reads stays up, keeps serving, stays small.
 */
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as net from "node:net"
import { afterEach, beforeAll, describe, expect, it } from "vitest"
import { BIN, type Running, startBroker, stopAll } from "../support/harness.js"

afterEach(stopAll)

beforeAll(() => {
  if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run \`npm run build\` first`)
})

/** Guards every wait, so a broken broker fails the test instead of hanging it. */
const GUARD_MS = 10_000
const GREETING = "debug!connected..."
const PONG = /^[0-9]+$/
const MiB = 1 << 20

interface Client {
  readonly socket: net.Socket
  /** Writes, and resolves once the data is handed to the kernel (waits for "drain" when the socket is full). */
  readonly write: (data: string | Uint8Array) => Promise<void>
  /** Consumes received lines up to the first that matches; fails when the connection closes first. */
  readonly line: (matches: (line: string) => boolean, what: string) => Promise<string>
  /** Sends `ping` and waits for a pong: everything this client sent before was handled. */
  readonly pong: () => Promise<void>
  /** Resolves when the connection is closed (by either side). */
  readonly closed: Promise<void>
  readonly isClosed: () => boolean
  /** Bytes received so far. */
  readonly receivedBytes: () => number
}

const connectClient = (port: number): Promise<Client> =>
  new Promise((resolveClient, rejectClient) => {
    const socket = net.connect({ host: "127.0.0.1", port })
    socket.setEncoding("utf8")
    const lines: Array<string> = []
    let partial = ""
    let receivedBytes = 0
    let isClosed = false
    let waiter: (() => void) | undefined
    socket.on("data", (text: string) => {
      receivedBytes += Buffer.byteLength(text)
      const parts = (partial + text).split("\n")
      partial = parts.pop()!
      lines.push(...parts)
      waiter?.()
    })
    const closed = new Promise<void>((resolve) =>
      socket.once("close", () => {
        isClosed = true
        waiter?.()
        resolve()
      })
    )
    socket.on("error", () => undefined)
    socket.once("error", rejectClient)

    const line = (matches: (line: string) => boolean, what: string): Promise<string> =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiter = undefined
          reject(new Error(`no ${what} within ${GUARD_MS} ms`))
        }, GUARD_MS)
        const check = (): void => {
          while (lines.length > 0) {
            const next = lines.shift()!
            if (matches(next)) {
              waiter = undefined
              clearTimeout(timer)
              return resolve(next)
            }
          }
          if (isClosed) {
            waiter = undefined
            clearTimeout(timer)
            reject(new Error(`connection closed before ${what}`))
          }
        }
        waiter = check
        check()
      })

    const write = (data: string | Uint8Array): Promise<void> =>
      new Promise((resolve, reject) => {
        if (isClosed) return reject(new Error("write on a closed connection"))
        if (socket.write(data)) return resolve()
        const onDrain = (): void => {
          socket.off("close", onClose)
          resolve()
        }
        const onClose = (): void => {
          socket.off("drain", onDrain)
          reject(new Error("connection closed while writing"))
        }
        socket.once("drain", onDrain)
        socket.once("close", onClose)
      })

    const client: Client = {
      socket,
      write,
      line,
      pong: async () => {
        await write("ping\n")
        await line((l) => PONG.test(l), "pong")
      },
      closed,
      isClosed: () => isClosed,
      receivedBytes: () => receivedBytes
    }
    socket.once("connect", () => {
      socket.off("error", rejectClient)
      resolveClient(client)
    })
  })

const connectGreeted = async (port: number): Promise<Client> => {
  const client = await connectClient(port)
  await client.line((l) => l === GREETING, "greeting")
  return client
}

/** The `info` block as name → value. */
const info = async (client: Client): Promise<Map<string, string>> => {
  const fields = new Map<string, string>()
  await client.write("info\n")
  await client.line((l) => {
    const match = /^([a-z -]+): (.*)$/.exec(l)
    if (match !== null) fields.set(match[1]!, match[2]!)
    return l.startsWith("slow client disconnects:")
  }, "info block")
  return fields
}

const infoNumber = async (client: Client, name: string): Promise<number> => Number((await info(client)).get(name))

/** An ordinary subscriber and publisher on channel C: what every abuse must leave working. */
interface Pair {
  readonly sub: Client
  readonly pub: Client
}

let probes = 0

/** One announce from the publisher, received by the subscriber. */
const probe = async (pair: Pair): Promise<void> => {
  const text = `probe ${++probes} jail=sshd, ip=192.0.2.7`
  await pair.pub.write(`announce C ${text}\n`)
  await pair.sub.line((l) => l === `C!${text}`, `delivery of probe ${probes}`)
}

const openPair = async (port: number): Promise<Pair> => {
  const sub = await connectGreeted(port)
  const pub = await connectGreeted(port)
  await sub.write("subscribe C\n")
  await sub.pong()
  const pair = { sub, pub }
  await probe(pair)
  return pair
}

/** Runs `abuse` while the pair keeps exchanging probes; returns how many went through meanwhile. */
const probingDuring = async (pair: Pair, abuse: Promise<unknown>): Promise<number> => {
  let done = false
  let failure: unknown
  abuse.then(
    () => (done = true),
    (error: unknown) => {
      failure = error
      done = true
    }
  )
  let count = 0
  do {
    await probe(pair)
    count++
  } while (!done)
  if (failure !== undefined) throw failure
  return count
}

const expectUp = (broker: Running): void => {
  expect(broker.child.exitCode).toBeNull()
  expect(broker.child.signalCode).toBeNull()
}

/** Writes `unit` repeated until at least `total` bytes went out (whole units only), in pieces of about 1 MiB, respecting backpressure. */
const stream = async (client: Client, unit: Uint8Array, total: number): Promise<void> => {
  const perPiece = Math.max(1, Math.floor(MiB / unit.length))
  const piece = Buffer.alloc(perPiece * unit.length)
  for (let offset = 0; offset < piece.length; offset += unit.length) piece.set(unit, offset)
  const units = Math.ceil(total / unit.length)
  for (let sent = 0; sent < units; sent += perPiece) {
    await client.write(piece.subarray(0, Math.min(perPiece, units - sent) * unit.length))
  }
}

/** Current (VmRSS) and peak (VmHWM) resident memory of a process, in bytes, from /proc/<pid>/status (Linux). */
const memoryOf = (pid: number): { rss: number; hwm: number } => {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8")
  const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1]) * 1024
  return { rss: kb("VmRSS"), hwm: kb("VmHWM") }
}

describe("broker abuse (operations.md): the broker stays up and keeps serving", () => {
  it("over-long lines: a 16 MB line without newline and 3000 lines just over --max-line-bytes are dropped, the sender resynchronises, the pair is served throughout", async () => {
    const maxLineBytes = 4096
    const broker = await startBroker(0, ["--max-line-bytes", String(maxLineBytes)])
    const pair = await openPair(broker.port)

    const longLiner = await connectGreeted(broker.port)
    const longLine = 16 * MiB
    const during = await probingDuring(pair, stream(longLiner, Buffer.from("x"), longLine))
    expect(during).toBeGreaterThan(0)
    // The end of the over-long line resynchronises the connection: the next request is handled.
    await longLiner.write("\n")
    await longLiner.pong()
    await broker.waitFor(new RegExp(`dropped a ${longLine}-byte request line \\(limit ${maxLineBytes} bytes\\)`))

    // Lines one byte over the bound, with \n and \r\n terminators (the \r counts), each a would-be announce.
    const justOver = await connectGreeted(broker.port)
    const overLf = `announce C ${"o".repeat(maxLineBytes - "announce C ".length + 1)}\n`
    const overCrLf = `announce C ${"r".repeat(maxLineBytes - "announce C ".length)}\r\n`
    await probingDuring(pair, stream(justOver, Buffer.from(overLf + overCrLf), 1500 * (overLf.length + overCrLf.length)))
    await justOver.pong()
    // A line of exactly the bound still passes, and only it reaches the subscriber.
    const fits = "f".repeat(maxLineBytes - "announce C ".length)
    await justOver.write(`announce C ${fits}\n`)
    const firstNonProbe = await pair.sub.line((l) => l.startsWith("C!") && !l.startsWith("C!probe"), "the line that fits")
    expect(firstNonProbe).toBe(`C!${fits}`)

    expect(await infoNumber(pair.pub, "overlong lines")).toBe(1 + 3000)
    await probe(pair)
    expectUp(broker)
  })

  it("binary garbage (NUL, 0xFF, lone CR, invalid UTF-8) from eight connections at once is ignored; each garbage sender and the pair are still served", async () => {
    const broker = await startBroker(0, ["--max-line-bytes", "1024"])
    const pair = await openPair(broker.port)
    const senders = await Promise.all(Array.from({ length: 8 }, () => connectGreeted(broker.port)))
    const hostile = Buffer.from([0x00, 0xff, 0x0d, 0xc3, 0x28, 0xe2, 0x82, 0xf0, 0x9f, 0x98, 0xed, 0xa0, 0x80, 0x0d, 0x21, 0x1b])
    const garbage = (seed: number): Buffer => {
      const bytes = randomBytes(512 * 1024)
      for (let i = seed; i < bytes.length - hostile.length; i += 97) bytes.set(hostile.subarray(0, 1 + ((i >> 3) % hostile.length)), i)
      return bytes
    }
    const ignoredBefore = await infoNumber(pair.pub, "ignored requests")
    await probingDuring(
      pair,
      Promise.all(senders.map(async (sender, i) => {
        for (let round = 0; round < 4; round++) await sender.write(garbage(i + round))
      }))
    )
    // End each sender's last (garbage) line, then prove its connection still works.
    await Promise.all(senders.map(async (sender) => {
      await sender.write("\n")
      await sender.pong()
    }))
    expect(senders.every((s) => !s.isClosed())).toBe(true)
    const fields = await info(pair.pub)
    expect(Number(fields.get("ignored requests"))).toBeGreaterThan(ignoredBefore + 1000)
    expect(Number(fields.get("current connections"))).toBe(2 + senders.length)
    await probe(pair)
    expectUp(broker)
  })

  it("many connections: beyond --max-clients 50, the extra of 200 get debug!busy and are closed; once the others leave, the count recovers and new clients are accepted", async () => {
    const maxClients = 50
    const broker = await startBroker(0, ["--max-clients", String(maxClients)])
    const pair = await openPair(broker.port)

    const outcome = async (client: Client): Promise<"accepted" | "busy"> => {
      const first = await client.line((l) => l === GREETING || l === "debug!busy", "greeting or busy")
      if (first === GREETING) return "accepted"
      await client.closed
      return "busy"
    }
    const flood = await Promise.all(Array.from({ length: 200 }, () => connectClient(broker.port)))
    const outcomes = await Promise.all(flood.map(outcome))
    const accepted = flood.filter((_, i) => outcomes[i] === "accepted")
    expect(accepted).toHaveLength(maxClients - 2)
    expect(outcomes.filter((o) => o === "busy")).toHaveLength(200 - (maxClients - 2))
    // The pair is served while the broker is full.
    await probe(pair)
    await pair.sub.pong()
    let fields = await info(pair.pub)
    expect(fields.get("current connections")).toBe(String(maxClients))
    expect(fields.get("limit rejected connections")).toBe(String(200 - (maxClients - 2)))

    // The accepted ones go away: the broker notices each close on its own schedule, so ask until it has.
    for (const client of accepted) client.socket.destroy()
    await Promise.all(accepted.map((c) => c.closed))
    for (let asked = 0; fields.get("current connections") !== "2"; asked++) {
      expect(asked, "the client count never went back to 2").toBeLessThan(5000)
      fields = await info(pair.pub)
    }

    // Reconnect works: the freed places are given again, and the limit still holds.
    const again = await Promise.all(Array.from({ length: maxClients - 2 }, () => connectClient(broker.port)))
    expect(await Promise.all(again.map(outcome))).toEqual(Array(maxClients - 2).fill("accepted"))
    expect(await outcome(await connectClient(broker.port))).toBe("busy")
    await Promise.all(again.map((c) => c.pong()))
    await probe(pair)
    expectUp(broker)
  })

  it("a subscriber that never reads is disconnected once its unsent output exceeds --max-output-bytes, never buffered further; the others keep receiving", async () => {
    const maxOutputBytes = MiB
    const broker = await startBroker(0, ["--max-output-bytes", String(maxOutputBytes)])
    const pair = await openPair(broker.port)
    const slow = await connectGreeted(broker.port)
    await slow.write("subscribe C\n")
    await slow.pong()
    slow.socket.pause()

    const message = `flood ${"m".repeat(16 * 1024)}`
    const batch = `announce C ${message}\n`.repeat(64) // 1 MiB per round
    let rounds = 0
    while ((await infoNumber(pair.pub, "slow client disconnects")) === 0) {
      expect(rounds++, "the slow subscriber was never disconnected").toBeLessThan(200)
      await pair.pub.write(batch)
      await pair.pub.pong()
      // The subscriber that reads gets every message of the round.
      for (let i = 0; i < 64; i++) await pair.sub.line((l) => l === `C!${message}`, `flood message ${i}`)
    }
    const warning = await broker.waitFor(/disconnected a slow client: (\d+) bytes unsent exceed the limit of (\d+)/)
    const pending = Number(warning[1])
    expect(pending).toBeGreaterThan(maxOutputBytes)
    // At most one more delivery was queued after the bound was crossed.
    expect(pending).toBeLessThanOrEqual(maxOutputBytes + `C!${message}\n`.length)

    // The slow one, reading again, finds its connection closed after what was already sent.
    slow.socket.resume()
    await slow.closed
    expect(slow.receivedBytes()).toBeLessThan(rounds * batch.length)
    await probe(pair)
    expect(await infoNumber(pair.pub, "current connections")).toBe(2)
    expectUp(broker)
  })

  it("memory stays bounded: a 200 MB line and 300 MB of announces to a paused subscriber grow the broker's peak RSS by less than 150 MB", async () => {
    const broker = await startBroker(0, ["--max-output-bytes", String(MiB), "--max-line-bytes", String(64 * 1024)])
    const pid = broker.child.pid!
    const pair = await openPair(broker.port)
    const paused = await connectGreeted(broker.port)
    await paused.write("subscribe F\n")
    await paused.pong()
    paused.socket.pause()
    const before = memoryOf(pid)

    const longLiner = await connectGreeted(broker.port)
    const flooder = await connectGreeted(broker.port)
    const floodLine = Buffer.from(`announce F ${"p".repeat(32 * 1024)}\n`)
    await probingDuring(
      pair,
      Promise.all([
        stream(longLiner, Buffer.from("y"), 200 * MiB),
        stream(flooder, floodLine, 300 * MiB)
      ])
    )
    // Barriers: every byte sent was read and handled by the broker.
    await longLiner.write("\n")
    await longLiner.pong()
    await flooder.pong()

    const after = memoryOf(pid)
    // Without the bounds the broker would hold the 200 MB line or the 300 MB queued for the paused subscriber.
    expect(after.hwm - before.rss, `peak RSS ${after.hwm} B after ${before.rss} B`).toBeLessThan(150 * 1_000_000)
    expect(after.rss - before.rss).toBeLessThan(150 * 1_000_000)
    const fields = await info(pair.pub)
    expect(fields.get("slow client disconnects")).toBe("1")
    expect(fields.get("overlong lines")).toBe("1")
    await probe(pair)
    expectUp(broker)
  }, 60_000)

  it("subscription names are bounded in bytes: 4 clients asking for 1024 channels of 64 KiB each (256 MiB of names) keep 64 KiB each; RSS grows by less than 100 MB", async () => {
    const broker = await startBroker(0)
    const pid = broker.child.pid!
    const pair = await openPair(broker.port)
    const before = memoryOf(pid)
    const hostile = await Promise.all([0, 1, 2, 3].map(() => connectGreeted(broker.port)))
    await Promise.all(hostile.map(async (client, i) => {
      // Each line just under --max-line-bytes (64 KiB), each name unique to this client.
      const names = Array.from({ length: 1024 }, (_, j) => `h${i}-${j}-`.padEnd(64 * 1024 - 20, "n"))
      for (const name of names) await client.write(`subscribe ${name}\n`)
      await client.pong()
    }))
    const after = memoryOf(pid)
    const fields = await info(pair.pub)
    // all + C for the pair's subscriber, all for the publisher, and all + the first name for each hostile client.
    expect(fields.get("current subscriptions")).toBe(String(2 + 1 + 4 * 2))
    expect(fields.get("ignored requests")).toBe(String(4 * 1023))
    // Without the byte bound the broker kept every name: about 70 MB per client.
    expect(after.rss - before.rss, `RSS ${after.rss} B after ${before.rss} B`).toBeLessThan(100 * 1_000_000)
    await probe(pair)
    expectUp(broker)
  }, 60_000)
})
