// Catch-up time over JetStream (issue 7): a daemon stopped while N messages
// were published, then started; the time from its start until its durable
// consumer has every message acknowledged. Expects a built dist/ and
// nats-server (Debian's package) on the PATH or in /usr/sbin.
//
//   node bench/nats-catchup.mjs [--count 1000,100000] [--action /bin/true] [--concurrency 4] [--filtered]
//
// --filtered: a channel filter refuses every message: the transport and the
// pipeline without process start-up (what catch-up costs when actions are cheap).
import { jetstream, jetstreamManager } from "@nats-io/jetstream"
import { connect } from "@nats-io/transport-node"
import { spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { parseArgs } from "node:util"

const ROOT = path.resolve(import.meta.dirname, "..")
const BIN = path.join(ROOT, "dist/f2bc.js")
const NATS_SERVER = fs.existsSync("/usr/sbin/nats-server") ? "/usr/sbin/nats-server" : "nats-server"

const { values: args } = parseArgs({
  options: {
    count: { type: "string", default: "1000,100000" },
    action: { type: "string", default: "/bin/true" },
    concurrency: { type: "string", default: "4" },
    filtered: { type: "boolean", default: false }
  }
})

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

const waitForOutput = async (child, pattern, what, timeoutMs = 15_000) => {
  let out = ""
  const onData = (chunk) => (out += chunk.toString("utf8"))
  child.stdout?.on("data", onData)
  child.stderr?.on("data", onData)
  const deadline = Date.now() + timeoutMs
  while (!pattern.test(out)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no ${what}:\n${out}`)
    await sleep(10)
  }
  return out
}

const startServer = async (dir) => {
  const child = spawn(NATS_SERVER, ["-a", "127.0.0.1", "-p", "-1", "-js", "-sd", path.join(dir, "js")], { stdio: ["ignore", "pipe", "pipe"] })
  const out = await waitForOutput(child, /Server is ready/, "nats-server")
  const port = Number(/client connections on 127\.0\.0\.1:(\d+)/.exec(out)[1])
  return { child, url: `nats://127.0.0.1:${port}` }
}

const startDaemon = (config) => {
  const child = spawn(process.execPath, [BIN, "daemon", "run", "--config", config], { stdio: ["ignore", "pipe", "pipe"] })
  return child
}

const stop = async (child) => {
  if (child.exitCode !== null) return
  child.kill("SIGTERM")
  await new Promise((resolve) => child.once("exit", resolve))
}

const run = async (count) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "f2bc-catchup-"))
  const server = await startServer(dir)
  const config = path.join(dir, "f2bc.yml")
  fs.writeFileSync(
    config,
    `node_name: bench-host
log_level: 1
concurrency: ${args.concurrency}
queue_limit: 100000
servers:
  - transport: nats
    url: ${server.url}
    jetstream: { stream: F2BC, max_age: 1h }
    channels:
      - name: Fail2ban
        action: "${args.action} %ip%"
${args.filtered ? "        filter: [{ key: jail, values: [nothing-matches] }]\n" : ""}`,
    { mode: 0o600 }
  )
  try {
    // The first run creates the stream and the durable consumer; then the daemon is down.
    const first = startDaemon(config)
    const nc = await connect({ servers: server.url })
    const jsm = await jetstreamManager(nc)
    for (;;) {
      const exists = await jsm.consumers.info("F2BC", "bench-host").then(() => true, () => false)
      if (exists) break
      await sleep(20)
    }
    await stop(first)

    const js = jetstream(nc)
    const ts = Math.floor(Date.now() / 1000)
    const publishStart = Date.now()
    for (let i = 0; i < count; i += 1000) {
      await Promise.all(
        Array.from({ length: Math.min(1000, count - i) }, (_, k) => {
          const n = i + k
          const ip = `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`
          return js.publish("f2bc.Fail2ban", `jail=sshd, action=banip, ip=${ip}, _id=${randomBytes(16).toString("hex")}, _ts=${ts}, _origin=bench-publisher`)
        })
      )
    }
    const publishMs = Date.now() - publishStart
    const { state } = await jsm.streams.info("F2BC")

    const started = Date.now()
    const second = startDaemon(config)
    let info
    for (;;) {
      info = await jsm.consumers.info("F2BC", "bench-host")
      if (info.ack_floor.stream_seq >= state.last_seq && info.num_ack_pending === 0) break
      if (second.exitCode !== null) throw new Error("the daemon exited")
      await sleep(25)
    }
    const ms = Date.now() - started
    await stop(second)
    await nc.close()
    return { count, ms, perSecond: Math.round((count / ms) * 1000), publishMs }
  } finally {
    server.child.kill("SIGKILL")
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

const counts = args.count.split(",").map(Number)
console.log(`catch-up over JetStream: action ${args.filtered ? "none (every message filtered)" : args.action}, concurrency ${args.concurrency}, ${os.cpus().length} CPU(s), node ${process.version}`)
console.log("| missed messages | catch-up (daemon start → all acknowledged) | messages/s | publish time |")
console.log("|---|---|---|---|")
for (const count of counts) {
  const r = await run(count)
  console.log(`| ${r.count} | ${(r.ms / 1000).toFixed(2)} s | ${r.perSecond} | ${(r.publishMs / 1000).toFixed(2)} s |`)
}
