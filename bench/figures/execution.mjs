// Figure 3: execution. Matching messages whose action is /bin/true, concurrency
// 4, actions/s the daemon completes, against a bare child_process.spawn loop.
import { flood } from "./ingest.mjs"
import { idOf, ipOf, rawClient } from "../lib/fanout.mjs"
import { pollUntil, startDaemon, total } from "../lib/daemon.mjs"
import { startBroker, startTool } from "../lib/process.mjs"
import { formatNumber, summary } from "../lib/stats.mjs"

const TRUE = "/bin/true"
const CONCURRENCY = 4

const spawnLoop = async (count) => {
  const loop = startTool("spawn-loop.mjs", [TRUE, String(count), String(CONCURRENCY)])
  const { code } = await loop.exited
  if (code !== 0) throw new Error(`spawn-loop failed:\n${loop.output()}`)
  return JSON.parse(loop.output().trim()).rate
}

const succeeded = async (daemon) => total(await daemon.scrape(), "f2bc_actions_total", 'result="succeeded"')

const daemonRun = async (daemon, client, run, count) => {
  const before = await succeeded(daemon)
  const ts = Math.floor(Date.now() / 1000)
  const started = performance.now()
  await flood(client, "Exec", (i) => `jail=sshd, action=banip, ip=${ipOf(i)}, _id=${idOf(run, i)}, _ts=${ts}, _origin=bench-publisher`, count)
  const { at } = await pollUntil(async () => (await succeeded(daemon)) - before, (n) => n >= count, { what: `${count} actions` })
  const samples = await daemon.scrape()
  const failed = total(samples, "f2bc_actions_total", 'result="failed"') + total(samples, "f2bc_actions_total", 'result="dropped"')
  if (failed > 0) throw new Error(`${failed} action(s) failed or were dropped:\n${daemon.output().slice(-2000)}`)
  return count / ((at - started) / 1000)
}

export const figureExecution = async ({ runs, quick }) => {
  const count = quick ? 150 : 300
  const broker = await startBroker()
  const daemon = await startDaemon(`log_level: 1
concurrency: ${CONCURRENCY}
queue_limit: ${count}
servers:
  - host: 127.0.0.1
    port: ${broker.port}
    channels:
      - name: Exec
        action: "${TRUE} %ip%"
`)
  const client = await rawClient(broker.port)
  await daemonRun(daemon, client, 0, 50)
  await spawnLoop(50)
  const subject = []
  const baseline = []
  for (let run = 1; run <= runs; run++) {
    if (run % 2 === 1) {
      subject.push(await daemonRun(daemon, client, run, count))
      baseline.push(await spawnLoop(count))
    } else {
      baseline.push(await spawnLoop(count))
      subject.push(await daemonRun(daemon, client, run, count))
    }
  }
  client.close()
  await daemon.stop()
  await broker.stop()
  const s = summary(subject)
  const b = summary(baseline)
  const ratio = s.median / b.median
  return [
    {
      id: "3",
      figure: `execution: matching messages, action ${TRUE}, concurrency ${CONCURRENCY}, actions/s`,
      subject: s,
      baseline: b,
      unit: "actions/s",
      ratio,
      target: "≥ 0.85×",
      pass: ratio >= 0.85,
      note: `${formatNumber(count, 0)} actions per run, from the first publish to the last success; baseline: bare spawn loop (stdout/stderr piped, like the executor), ${CONCURRENCY} at once`
    }
  ]
}
