// Figure 7: daemon memory. RSS idle; after 10 000 and after 1 000 000 messages
// the filter rejects, sent so that the daemon keeps up (nothing dropped); and
// the peak under a flood of matching messages whose action is slow.
import * as fs from "node:fs"
import * as path from "node:path"
import { announceBatch, idOf, ipOf, rawClient } from "../lib/fanout.mjs"
import { pollUntil, startDaemon, total } from "../lib/daemon.mjs"
import { rssSampler, sleep, startBroker, tempDir } from "../lib/process.mjs"
import { formatNumber } from "../lib/stats.mjs"
import { FLOOD_BROKER_ARGS, filteredMessage, flood, ingestConfig } from "./ingest.mjs"

/** Messages sent and not yet decided, at most: under the daemon's 10 000-delivery buffer, so none is dropped. */
const AHEAD = 5000
const BATCH = 2500
const SETTLE_MS = 1000

/** RSS after a pause, the median of five samples (GC and allocator noise). */
const settledRss = async (daemon) => {
  await sleep(SETTLE_MS)
  const samples = []
  for (let i = 0; i < 5; i++) {
    samples.push(daemon.rss())
    await sleep(100)
  }
  return samples.sort((a, b) => a - b)[2]
}

/** Sends messages `from`..`to` never more than AHEAD in front of the daemon's decisions. */
const paced = async (daemon, client, message, from, to, decided0) => {
  for (let first = from; first < to; first += BATCH) {
    await pollUntil(async () => (await daemon.decided()) - decided0, (decided) => first - decided <= AHEAD - BATCH, {
      intervalMs: 5,
      what: "the daemon to catch up"
    })
    await client.send(announceBatch("Memory", message, first, Math.min(to, first + BATCH)))
  }
  await pollUntil(async () => (await daemon.decided()) - decided0, (decided) => decided >= to, { what: `${to} messages decided` })
}

const steady = async ({ quick }) => {
  const count = quick ? 200_000 : 1_000_000
  const broker = await startBroker()
  const daemon = await startDaemon(ingestConfig(broker.port, "Memory"))
  const idle = await settledRss(daemon)
  const client = await rawClient(broker.port)
  const decided0 = await daemon.decided()
  const message = filteredMessage(1, Math.floor(Date.now() / 1000))
  await paced(daemon, client, message, 0, 10_000, decided0)
  const after10k = await settledRss(daemon)
  const sampler = rssSampler(daemon.pid, 50)
  const pacedFrom = performance.now()
  await paced(daemon, client, message, 10_000, count, decided0)
  const pacedRate = (count - 10_000) / ((performance.now() - pacedFrom) / 1000)
  sampler.stop()
  const afterAll = await settledRss(daemon)
  const samples = await daemon.scrape()
  const dropped = total(samples, "f2bc_deliveries_dropped_total")
  const reconnects = total(samples, "f2bc_reconnects_total")
  client.close()
  await daemon.stop()
  await broker.stop()
  return { count, idle, after10k, afterAll, peak: sampler.peak(), dropped, reconnects, pacedRate }
}

const flooded = async ({ quick }) => {
  const count = quick ? 50_000 : 100_000
  const queueLimit = 10_000
  const dir = tempDir()
  const script = path.join(dir, "slow-action.sh")
  fs.writeFileSync(script, "#!/bin/sh\nexec sleep 0.2\n", { mode: 0o755 })
  const broker = await startBroker(FLOOD_BROKER_ARGS)
  const daemon = await startDaemon(`log_level: 1
queue_limit: ${queueLimit}
concurrency: 4
shutdown_timeout: 1
servers:
  - host: 127.0.0.1
    port: ${broker.port}
    channels:
      - name: Flood
        action: "${script} %ip%"
`)
  const idle = daemon.rss()
  const sampler = rssSampler(daemon.pid, 20)
  const client = await rawClient(broker.port)
  let queuePeak = 0
  let watching = true
  const watchQueue = (async () => {
    while (watching) {
      queuePeak = Math.max(queuePeak, total(await daemon.scrape(), "f2bc_action_queue_length"))
      await sleep(50)
    }
  })()
  const ts = Math.floor(Date.now() / 1000)
  await flood(client, "Flood", (i) => `jail=sshd, action=banip, ip=${ipOf(i)}, _id=${idOf(2, i)}, _ts=${ts}, _origin=bench-publisher`, count)
  // The flood is over for the daemon when every delivery was decided or dropped.
  const { value } = await pollUntil(
    async () => {
      const samples = await daemon.scrape()
      return {
        decided: total(samples, "f2bc_messages_total"),
        deliveriesDropped: total(samples, "f2bc_deliveries_dropped_total"),
        actionsDropped: total(samples, "f2bc_actions_total", 'result="dropped"'),
        reconnects: total(samples, "f2bc_reconnects_total")
      }
    },
    (v) => v.decided + v.deliveriesDropped >= count || v.reconnects > 0,
    { intervalMs: 50, what: "the flood to be decided or dropped" }
  )
  watching = false
  await watchQueue
  sampler.stop()
  const alive = daemon.alive()
  client.close()
  await daemon.stop()
  await broker.stop()
  return { count, queueLimit, idle, peak: sampler.peak(), queuePeak, alive, ...value }
}

export const figureMemory = async (options) => {
  const s = await steady(options)
  const f = await flooded(options)
  const one = (value) => ({ median: value, min: value, max: value, runs: 1 })
  const mib = (value) => `${formatNumber(value, 1)} MiB`
  return [
    {
      id: "7",
      figure: "daemon RSS idle (connected, one channel)",
      subject: one(s.idle),
      baseline: undefined,
      unit: "MiB",
      decimals: 1,
      target: "≤ 60 MiB",
      pass: s.idle <= 60,
      note: `median of 5 samples after ${SETTLE_MS} ms idle`
    },
    {
      id: "7",
      figure: `daemon RSS after ${formatNumber(s.count, 0)} filtered messages, against after 10 000`,
      subject: one(s.afterAll),
      baseline: one(s.after10k),
      unit: "MiB",
      decimals: 1,
      ratio: s.afterAll / s.after10k,
      target: "≤ 1.1× the RSS after 10 000",
      pass: s.afterAll <= 1.1 * s.after10k && s.dropped === 0 && s.reconnects === 0,
      note:
        `sent at most ${formatNumber(AHEAD, 0)} ahead of the daemon's decisions (read from /metrics): ${formatNumber(s.pacedRate, 0)} msgs/s decided with nothing dropped; ` +
        `peak while sending ${mib(s.peak)}; dropped ${formatNumber(s.dropped, 0)}` +
        (s.reconnects > 0 ? `; ${s.reconnects} reconnect(s)` : "") +
        (options.quick ? "; --quick: not the 1 000 000 of the target" : "")
    },
    {
      id: "7",
      figure: `daemon RSS peak under a flood: ${formatNumber(f.count, 0)} matching messages, action \`sleep 0.2\`, queue_limit ${formatNumber(f.queueLimit, 0)}`,
      subject: one(f.peak),
      baseline: undefined,
      unit: "MiB",
      decimals: 1,
      target: "bounded by queue_limit",
      pass: f.alive && f.reconnects === 0 && f.queuePeak <= f.queueLimit && f.actionsDropped > 0,
      note:
        `RSS before ${mib(f.idle)}; highest sampled action queue ${formatNumber(f.queuePeak, 0)} (limit ${formatNumber(f.queueLimit, 0)}); actions dropped (queue full) ${formatNumber(f.actionsDropped, 0)}; ` +
        `deliveries dropped (pipeline behind) ${formatNumber(f.deliveriesDropped, 0)}` +
        (f.reconnects > 0 ? `; ${f.reconnects} reconnect(s)` : "") +
        (f.alive ? "" : "; the daemon died")
    }
  ]
}
