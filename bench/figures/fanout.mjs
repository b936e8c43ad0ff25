// Figure 6: the embedded broker's fan-out, 1 publisher → 100 subscribers,
// deliveries/s, against a bare node:net broadcaster with no protocol.
import { startBroker, startNode, startTool } from "../lib/process.mjs"
import { formatNumber, median, summary } from "../lib/stats.mjs"

const SUBSCRIBERS = 100
/** Messages the publisher may be ahead of the slowest subscriber: well under the broker's 1 MiB per-client output bound. */
const WINDOW = 2000

const load = async (mode, port, messages) => {
  const tool = startTool("fanout-load.mjs", [mode, String(port), String(SUBSCRIBERS), String(messages), String(WINDOW)])
  const { code } = await tool.exited
  if (code !== 0) throw new Error(`fanout-load ${mode} failed:\n${tool.output()}`)
  return JSON.parse(tool.output().trim()).rate
}

export const figureFanout = async ({ runs, quick }) => {
  const messages = quick ? 2000 : 5000
  const broker = await startBroker()
  const bare = startTool("bare-broadcaster.mjs")
  const barePort = Number((await bare.waitFor(/listening on 127\.0\.0\.1:(\d+)/))[1])
  await load("fanout", broker.port, 500)
  await load("bare", barePort, 500)
  const subject = []
  const baseline = []
  for (let run = 1; run <= runs; run++) {
    if (run % 2 === 1) {
      subject.push(await load("fanout", broker.port, messages))
      baseline.push(await load("bare", barePort, messages))
    } else {
      baseline.push(await load("bare", barePort, messages))
      subject.push(await load("fanout", broker.port, messages))
    }
  }
  await bare.stop()
  await broker.stop()
  const s = summary(subject)
  const b = summary(baseline)
  const ratio = s.median / b.median
  return [
    {
      id: "6",
      figure: `\`f2bc broker\` fan-out: 1 publisher → ${SUBSCRIBERS} subscribers, deliveries/s`,
      subject: s,
      baseline: b,
      unit: "deliveries/s",
      ratio,
      target: "≥ 0.7×",
      pass: ratio >= 0.7,
      note: `${formatNumber(messages, 0)} messages per run, publisher at most ${formatNumber(WINDOW, 0)} ahead of the slowest subscriber; baseline: bare broadcaster forwarding each chunk's complete lines with one write per subscriber`
    }
  ]
}

/**
 * `--profile`: three fan-out runs through `f2bc broker` built as `bin`, started
 * with `nodeArgs` (e.g. --cpu-prof) and stopped with SIGTERM so the profile is written.
 */
export const profileFanout = async ({ quick, nodeArgs, bin }) => {
  // Longer than a measured run, so start-up weighs little in the profile.
  const messages = quick ? 5000 : 20000
  const broker = startNode(bin, ["broker", "--host", "127.0.0.1", "--port", "0"], { nodeArgs })
  const port = Number((await broker.waitFor(/listening on 127\.0\.0\.1:(\d+)/))[1])
  const rates = []
  for (let run = 0; run < 3; run++) rates.push(await load("fanout", port, messages))
  await broker.stop()
  return { rate: median(rates) }
}

