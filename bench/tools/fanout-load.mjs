// Load of figure 6: one publisher and N subscribers on one broker, in one
// process. Publishes `messages` lines, never more than `window` ahead of the
// slowest subscriber, and prints {"rate": deliveries per second}.
// Mode `fanout` speaks the protocol (subscribe, ping, announce); mode `bare` sends raw lines.
import * as net from "node:net"

const [mode, port, subsArg, messagesArg, windowArg] = process.argv.slice(2)
const subs = Number(subsArg)
const messages = Number(messagesArg)
const window = Number(windowArg)
const BATCH = 200
const ts = Math.floor(Date.now() / 1000)
const message = (i) =>
  `jail=sshd, action=banip, ip=198.18.${(i >> 8) & 255}.${i & 255}, _id=${i.toString(16).padStart(32, "0")}, _ts=${ts}, _origin=bench-publisher`
const line = mode === "fanout" ? (i) => `announce Fan ${message(i)}\n` : (i) => `Fan!${message(i)}\n`

const connect = () =>
  new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port: Number(port), noDelay: true })
    socket.once("connect", () => resolve(socket))
    socket.once("error", reject)
  })

/** Lines received after the subscriber is ready (greeting and pong not counted). */
const counts = new Array(subs).fill(0)
let wake = () => undefined
const subscribe = async (index) => {
  const socket = await connect()
  await new Promise((resolve) => {
    // Ready after the pong (fanout) or the greeting (bare); everything after is a delivery.
    let ready = false
    let skip = mode === "fanout" ? 2 : 1 // debug!connected... and the pong; or hello
    socket.on("data", (chunk) => {
      let lines = 0
      for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, nl + 1)) lines++
      if (!ready) {
        const used = Math.min(skip, lines)
        skip -= used
        lines -= used
        if (skip === 0) {
          ready = true
          resolve()
        }
      }
      counts[index] += lines
      if (lines > 0) wake()
    })
    socket.on("close", () => {
      process.stderr.write(`subscriber ${index} was disconnected\n`)
      process.exit(1)
    })
    if (mode === "fanout") socket.write("subscribe Fan\nping\n")
  })
  return socket
}

const sockets = []
for (let i = 0; i < subs; i++) sockets.push(await subscribe(i))
const publisher = await connect()
if (mode === "bare") await new Promise((resolve) => publisher.once("data", resolve)) // its own greeting
publisher.on("data", () => undefined)

const slowest = () => {
  let min = Infinity
  for (const count of counts) if (count < min) min = count
  return min
}
const until = (check) =>
  new Promise((resolve) => {
    if (check()) return resolve()
    wake = () => {
      if (!check()) return
      wake = () => undefined
      resolve()
    }
  })

const started = performance.now()
for (let sent = 0; sent < messages; ) {
  await until(() => sent - slowest() <= window - BATCH)
  let text = ""
  const end = Math.min(messages, sent + BATCH)
  for (let i = sent; i < end; i++) text += line(i)
  publisher.write(text)
  sent = end
}
await until(() => slowest() >= messages)
const seconds = (performance.now() - started) / 1000
const extra = counts.filter((count) => count !== messages).length
if (extra > 0) {
  process.stderr.write(`${extra} subscriber(s) received more than ${messages} lines\n`)
  process.exit(1)
}
process.stdout.write(`${JSON.stringify({ rate: (subs * messages) / seconds })}\n`)
process.exit(0)
