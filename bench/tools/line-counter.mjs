// Baseline of figures 2 and 7: a bare node:net subscriber that counts the
// delivery lines of one channel. stdin `count` → stdout `count N`.
import * as net from "node:net"

const [port, channel] = process.argv.slice(2)
const prefix = Buffer.from(`${channel}!`)
let count = 0
const socket = net.connect({ host: "127.0.0.1", port: Number(port), noDelay: true })
let ready = false
let tail = Buffer.alloc(0)
socket.on("data", (chunk) => {
  const bytes = tail.length === 0 ? chunk : Buffer.concat([tail, chunk])
  let start = 0
  for (let nl = bytes.indexOf(10, start); nl !== -1; nl = bytes.indexOf(10, start)) {
    if (bytes.compare(prefix, 0, prefix.length, start, Math.min(nl, start + prefix.length)) === 0) count++
    else if (!ready && /^\d+$/.test(bytes.toString("latin1", start, nl))) {
      ready = true
      process.stdout.write("ready\n")
    }
    start = nl + 1
  }
  tail = bytes.subarray(start)
})
socket.on("connect", () => socket.write(`subscribe ${channel}\nping\n`))
socket.on("error", (error) => {
  process.stderr.write(`line-counter: ${error.message}\n`)
  process.exit(1)
})
socket.on("close", () => process.exit(1))
let input = ""
process.stdin.on("data", (chunk) => {
  input += chunk.toString("utf8")
  for (let nl = input.indexOf("\n"); nl !== -1; nl = input.indexOf("\n")) {
    const command = input.slice(0, nl)
    input = input.slice(nl + 1)
    if (command === "count") process.stdout.write(`count ${count}\n`)
  }
})
