// A measured f2bc daemon: its config in a temp dir, its /metrics read over a
// kept-alive HTTP connection, and waits on what its counters say.
import * as http from "node:http"
import { BIN, freePort, rssMiB, sleep, startNode, tempDir, writeConfig } from "./process.mjs"

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })

/** `name{labels} value` lines of a Prometheus exposition, as [name, labels, value]. */
const parseExposition = (text) => {
  const samples = []
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue
    const match = line.match(/^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)$/)
    if (match !== null) samples.push([match[1], match[2] ?? "", Number(match[3])])
  }
  return samples
}

const get = (url) =>
  new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (response) => {
        let body = ""
        response.setEncoding("utf8")
        response.on("data", (chunk) => (body += chunk))
        response.on("end", () => resolve(body))
      })
      .on("error", reject)
  })

/** The sum of every series of `name` whose labels contain `labelPart`. */
export const total = (samples, name, labelPart = "") =>
  samples.filter(([n, labels]) => n === name && labels.includes(labelPart)).reduce((sum, [, , value]) => sum + value, 0)

/**
 * Starts `f2bc daemon run` (from `bin`, default dist/f2bc.js) with `body` (YAML
 * without `metrics:` and `node_name:`, which are added) and waits until every server is connected.
 */
export const startDaemon = async (body, { nodeArgs = [], env = {}, bin = BIN } = {}) => {
  const dir = tempDir()
  const port = await freePort()
  const config = writeConfig(dir, `node_name: bench-daemon\nmetrics: { listen: "127.0.0.1:${port}" }\n${body}`)
  const daemon = startNode(bin, ["daemon", "run", "--config", config], { nodeArgs, env })
  const url = `http://127.0.0.1:${port}/metrics`
  const scrape = async () => parseExposition(await get(url))
  const deadline = Date.now() + 15_000
  for (;;) {
    if (!daemon.alive()) throw new Error(`daemon exited at start:\n${daemon.output()}`)
    const samples = await scrape().catch(() => [])
    const servers = samples.filter(([name]) => name === "f2bc_server_connected")
    if (servers.length > 0 && servers.every(([, , value]) => value === 1)) break
    if (Date.now() > deadline) throw new Error(`daemon did not connect within 15 s:\n${daemon.output()}`)
    await sleep(20)
  }
  return Object.assign(daemon, {
    dir,
    scrape,
    /** Deliveries the pipeline decided (every outcome and stage). */
    decided: async () => total(await scrape(), "f2bc_messages_total"),
    rss: () => rssMiB(daemon.pid)
  })
}

/**
 * Polls `read` every `intervalMs` until `done(value)`; returns the value and
 * the time (performance.now()) at which it was first seen. Fails after `timeoutMs`.
 */
export const pollUntil = async (read, done, { intervalMs = 10, timeoutMs = 120_000, what = "a condition" } = {}) => {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const value = await read()
    const at = performance.now()
    if (done(value)) return { value, at }
    if (at > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last value ${JSON.stringify(value)})`)
    await sleep(intervalMs)
  }
}
