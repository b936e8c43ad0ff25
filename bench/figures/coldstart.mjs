// Figure 5: `f2bc publish` cold start, wall time from spawn to exit, to a live
// broker with confirmation, against `node -e 0`; interleaved runs.
import { spawn } from "node:child_process"
import { BIN, startBroker } from "../lib/process.mjs"
import { summary } from "../lib/stats.mjs"

/** Wall milliseconds from spawn to exit; fails unless the exit status is 0. */
const wall = (args) =>
  new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"] })
    let stderr = ""
    child.stderr.on("data", (chunk) => (stderr += chunk.toString("utf8")))
    child.once("exit", (code) => {
      const ms = performance.now() - started
      if (code === 0) resolve(ms)
      else reject(new Error(`node ${args.join(" ")} exited ${code}:\n${stderr}`))
    })
  })

export const figureColdStart = async ({ quick }) => {
  const pairs = quick ? 15 : 25
  const broker = await startBroker()
  const publish = [BIN, "publish", "--host", "127.0.0.1", "-p", String(broker.port), "-c", "Cold", "-m", "jail=sshd, action=banip, ip=198.18.0.1", "--node-name", "bench-publisher"]
  const empty = ["-e", "0"]
  // Warm-up, not counted: the page cache holds node and the bundle.
  await wall(publish)
  await wall(empty)
  const subject = []
  const baseline = []
  for (let i = 0; i < pairs; i++) {
    if (i % 2 === 0) {
      subject.push(await wall(publish))
      baseline.push(await wall(empty))
    } else {
      baseline.push(await wall(empty))
      subject.push(await wall(publish))
    }
  }
  await broker.stop()
  const s = summary(subject)
  const b = summary(baseline)
  const ratio = s.median / b.median
  return [
    {
      id: "5",
      figure: "`f2bc publish` cold start to a live broker, with confirmation (ping/pong), wall time",
      subject: s,
      baseline: b,
      unit: "ms",
      decimals: 1,
      ratio,
      target: "≤ 1.5× `node -e 0`",
      pass: ratio <= 1.5,
      note: `${pairs} interleaved runs each; baseline: \`node -e 0\``
    }
  ]
}
