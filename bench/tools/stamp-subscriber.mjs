// Baseline of figure 4: a bare node:net subscriber that prints, for each
// delivery `<channel>!seq=<n>`, the line `<n> <epoch ms, µs precision>` as it arrives.
import * as net from "node:net"

const [port, channel] = process.argv.slice(2)
const now = () => performance.timeOrigin + performance.now()
const socket = net.connect({ host: "127.0.0.1", port: Number(port), noDelay: true })
let partial = ""
socket.on("data", (chunk) => {
  const at = now()
  const text = partial + chunk.toString("utf8")
  const lines = text.split("\n")
  partial = lines.pop()
  for (const line of lines) {
    const seq = line.match(/^[^!]+!.*\bseq=(\d+)/)
    if (seq !== null) process.stdout.write(`${seq[1]} ${at.toFixed(3)}\n`)
    else if (/^\d+$/.test(line)) process.stdout.write("ready\n")
  }
})
socket.on("connect", () => socket.write(`subscribe ${channel}\nping\n`))
socket.on("error", (error) => {
  process.stderr.write(`stamp-subscriber: ${error.message}\n`)
  process.exit(1)
})
socket.on("close", () => process.exit(1))
