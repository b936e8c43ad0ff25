// Log bytes written per rejected byte received (docs/operations.md, "Log volume under a flood"):
// a real `f2bc broker`, a real daemon with a log_file, and COUNT hostile messages of SIZE bytes full
// of control bytes announced through the broker, BATCH at a time (each batch waits until the daemon
// counted it, so the broker never drops the daemon as a slow reader). Prints bytes received, log bytes, ratio.
//
//   node bench/tools/log-flood.mjs [--bin dist/f2bc.js] [--count 10000] [--size 61440] [--batch 10]
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { parseArgs } from "node:util"

const { values: args } = parseArgs({
  options: {
    bin: { type: "string", default: "dist/f2bc.js" },
    count: { type: "string", default: "10000" },
    size: { type: "string", default: "61440" },
    batch: { type: "string", default: "10" }
  }
})
const [count, size, batch] = [Number(args.count), Number(args.size), Number(args.batch)]
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "f2bc-logflood-"))
const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
const [port, metricsPort] = [await freePort(), await freePort()]
const logFile = path.join(dir, "daemon.log")
const config = path.join(dir, "f2bc.yml")
fs.writeFileSync(
  config,
  `servers:\n  - host: 127.0.0.1\n    port: ${port}\n    channels:\n      - name: Fail2ban\n        action: "/bin/true %ip%"\n` +
    `log_file: ${logFile}\nmetrics:\n  listen: 127.0.0.1:${metricsPort}\n`,
  { mode: 0o600 }
)
const children = []
const start = (argv) => {
  const child = spawn(process.execPath, [args.bin, ...argv], { stdio: ["ignore", "ignore", "inherit"] })
  children.push(child)
  return child
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const waitFor = async (check, what, ms = 60_000) => {
  for (const deadline = Date.now() + ms; Date.now() < deadline; await sleep(20)) if (await check()) return true
  throw new Error(`timed out waiting for ${what}`)
}
start(["broker", "--host", "127.0.0.1", "--port", String(port), "--level", "1"])
await sleep(500)
start(["daemon", "run", "--config", config])
const log = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8") : "")
await waitFor(() => log().includes("connected, subscribed"), "the daemon's subscription")
/** How many lines of the log contain `text`, read as a stream (the log of a flood can exceed a string's size). */
const countLines = async (text) => {
  let n = 0
  let rest = ""
  for await (const chunk of fs.createReadStream(logFile, { encoding: "utf8" })) {
    const lines = (rest + chunk).split("\n")
    rest = lines.pop()
    for (const line of lines) if (line.includes(text)) n++
  }
  return n
}
const rejectedCount = async () => {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text()
  const m = /f2bc_messages_total\{outcome="rejected",stage="types"\} (\d+)/.exec(text)
  return m === null ? 0 : Number(m[1])
}
const before = fs.statSync(logFile).size
// A hostile value: control bytes and text, the whole message `size` bytes (within max_line_bytes with the request).
const unit = "\u0001\u001b[2J\u0007x"
const message = `ip=192.0.2.1, jail=${unit.repeat(Math.ceil(size / unit.length))}`.slice(0, size)
const publisher = net.connect(port, "127.0.0.1")
await new Promise((r) => publisher.once("connect", r))
const started = Date.now()
for (let sent = 0; sent < count; ) {
  const n = Math.min(batch, count - sent)
  publisher.write(`announce Fail2ban ${message}\n`.repeat(n))
  sent += n
  await waitFor(async () => (await rejectedCount()) >= sent, `${sent} rejections counted`)
}
const seconds = (Date.now() - started) / 1000
publisher.end()
await sleep(500) // the sink writes asynchronously
const logged = fs.statSync(logFile).size - before
const received = count * size
const summaries = await countLines("more rejected at types")
const lines = (await countLines("rejected at types")) - summaries
console.log(JSON.stringify({ messages: count, messageBytes: size, received, seconds, logBytes: logged, rejectedLines: lines, summaryLines: summaries, ratio: Number((logged / received).toFixed(6)) }))
for (const child of children) child.kill("SIGTERM")
await Promise.all(children.map((child) => new Promise((r) => (child.exitCode === null ? child.once("exit", r) : r()))))
fs.rmSync(dir, { recursive: true, force: true })
