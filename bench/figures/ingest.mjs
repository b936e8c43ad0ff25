// Figure 2: daemon ingest end to end. A flood of messages the filter rejects
// goes through `f2bc broker` to the daemon (msgs/s it decides, and what it
// dropped), against a bare node:net client counting lines from the same broker.
import { announceBatch, idOf, ipOf, rawClient } from "../lib/fanout.mjs"
import { pollUntil, startDaemon, total } from "../lib/daemon.mjs"
import * as path from "node:path"
import { startBroker, startTool, tempDir } from "../lib/process.mjs"
import { query } from "../lib/query.mjs"
import { formatNumber, summary } from "../lib/stats.mjs"

export const BATCH = 5000
/** The broker may buffer the whole flood for a subscriber: this measures the daemon, not the broker's slow-client bound. */
export const FLOOD_BROKER_ARGS = ["--max-output-bytes", String(512 * 1024 * 1024)]

/** What `f2bc publish` would send for a jail the daemon's filter does not take. */
export const filteredMessage = (run, ts) => (i) =>
  `jail=nginx-botsearch, action=banip, ip=${ipOf(i)}, _id=${idOf(run, i)}, _ts=${ts}, _origin=bench-publisher`

export const ingestConfig = (port, channel, logLevel = 1, logFile) => `log_level: ${logLevel}
${logFile === undefined ? "" : `log_file: ${logFile}\n`}servers:
  - host: 127.0.0.1
    port: ${port}
    channels:
      - name: ${channel}
        action: "/bin/true %ip%"
        filter:
          - key: jail
            values: [sshd]
`

/** Batches sent before the pong of the oldest one is awaited: the broker is never idle waiting for the publisher. */
const IN_FLIGHT = 4

/** Sends `count` announces in batches, each confirmed by a pong; resolves when the broker processed them all. */
export const flood = async (client, channel, message, count) => {
  const pending = []
  for (let first = 0; first < count; first += BATCH) {
    await client.send(announceBatch(channel, message, first, Math.min(count, first + BATCH)))
    pending.push(client.sync())
    if (pending.length >= IN_FLIGHT) await pending.shift()
  }
  await Promise.all(pending)
}

/**
 * One measured flood into the daemon: msgs/s decided between the first send and
 * the moment the decided count reached its final value, and the deliveries dropped.
 */
export const floodDaemon = async (daemon, client, channel, run, count) => {
  const before = await daemon.scrape()
  const decided0 = total(before, "f2bc_messages_total")
  const dropped0 = total(before, "f2bc_deliveries_dropped_total")
  const reconnects0 = total(before, "f2bc_reconnects_total")
  const started = performance.now()
  await flood(client, channel, filteredMessage(run, Math.floor(Date.now() / 1000)), count)
  // Every message is either decided or dropped (drops are reported once a second).
  let last = -1
  let lastChange = performance.now()
  const { value } = await pollUntil(
    async () => {
      const samples = await daemon.scrape()
      const decided = total(samples, "f2bc_messages_total") - decided0
      if (decided !== last) {
        last = decided
        lastChange = performance.now()
      }
      return { decided, dropped: total(samples, "f2bc_deliveries_dropped_total") - dropped0, reconnects: total(samples, "f2bc_reconnects_total") - reconnects0 }
    },
    ({ decided, dropped, reconnects }) => decided + dropped >= count || reconnects > 0,
    { what: `${count} deliveries decided or dropped` }
  )
  return { rate: value.decided / ((lastChange - started) / 1000), ...value }
}

/** The bare client: lines counted between the first send and the last line. */
const floodCounter = async (counter, client, channel, run, count) => {
  const base = Number(await query(counter, "count"))
  const started = performance.now()
  await flood(client, channel, filteredMessage(run, Math.floor(Date.now() / 1000)), count)
  const { at } = await pollUntil(async () => Number(await query(counter, "count")) - base, (n) => n >= count, {
    what: `${count} lines at the bare client`
  })
  return count / ((at - started) / 1000)
}

export const figureIngest = async ({ runs, quick }) => {
  const count = quick ? 100_000 : 200_000
  const broker = await startBroker(FLOOD_BROKER_ARGS)
  // The measured daemon logs warnings only; a second one runs the default log_level 2, where
  // every rejection is an info line, to a log file: the cost of that logging, shown apart.
  const daemon = await startDaemon(ingestConfig(broker.port, "Ingest"))
  const logging = await startDaemon(ingestConfig(broker.port, "IngestLogged", 2, path.join(tempDir(), "daemon.log")))
  const counter = startTool("line-counter.mjs", [String(broker.port), "Bare"])
  await counter.waitFor(/ready/)
  const client = await rawClient(broker.port)
  // Warm-up, not counted: the JIT and the broker's buffers.
  await floodDaemon(daemon, client, "Ingest", 0, 20_000)
  await floodDaemon(logging, client, "IngestLogged", 0, 20_000)
  await floodCounter(counter, client, "Bare", 0, 20_000)
  const sides = {
    quiet: { rates: [], dropped: 0, reconnects: 0 },
    logged: { rates: [], dropped: 0, reconnects: 0 }
  }
  const baseline = []
  const measure = (side, target, channel, run) => async () => {
    const result = await floodDaemon(target, client, channel, run, count)
    side.rates.push(result.rate)
    side.dropped += result.dropped
    side.reconnects += result.reconnects
  }
  for (let run = 1; run <= runs; run++) {
    const steps = [
      measure(sides.quiet, daemon, "Ingest", run),
      async () => baseline.push(await floodCounter(counter, client, "Bare", run, count)),
      measure(sides.logged, logging, "IngestLogged", run)
    ]
    // Rotated, so no side always runs first or right after another.
    for (let i = 0; i < steps.length; i++) await steps[(i + run) % steps.length]()
  }
  client.close()
  await daemon.stop()
  await logging.stop()
  await counter.stop()
  await broker.stop()
  const b = summary(baseline)
  const sent = count * runs
  const row = (side, figure, logNote) => {
    const s = summary(side.rates)
    const ratio = s.median / b.median
    return {
      id: "2",
      figure,
      subject: s,
      baseline: b,
      unit: "msgs/s",
      ratio,
      target: "≥ 100 000 msgs/s and ≥ 0.6×",
      pass: s.median >= 100_000 && ratio >= 0.6 && side.reconnects === 0,
      note:
        `${formatNumber(count, 0)} messages per run, ${logNote}; dropped (delivery buffer full): ${formatNumber(side.dropped, 0)} of ${formatNumber(sent, 0)} (${((100 * side.dropped) / sent).toFixed(1)} %)` +
        (side.reconnects > 0 ? `; ${side.reconnects} reconnect(s) during the runs` : "")
    }
  }
  return [
    {
      ...row(sides.quiet, "daemon ingest end to end: broker → daemon, messages the filter rejects, msgs/s decided", "log_level 1 (nothing logged per message)"),
      note: `${row(sides.quiet, "", "log_level 1 (nothing logged per message)").note}; baseline: bare node:net client counting lines from the same broker`
    },
    row(sides.logged, "the same at the default log_level 2 (rejections logged within the rate limit of 20 lines per kind per 10 s, to a file)", "log_level 2, log_file")
  ]
}

/**
 * `--profile`: one flood into a daemon started with `nodeArgs` (e.g. --cpu-prof),
 * stopped with SIGTERM so the profile is written.
 */
export const profileIngest = async ({ quick, nodeArgs, bin }) => {
  // Longer than a measured run, so start-up weighs little in the profile.
  const count = quick ? 200_000 : 400_000
  const broker = await startBroker(FLOOD_BROKER_ARGS)
  const daemon = await startDaemon(ingestConfig(broker.port, "Ingest"), { nodeArgs, bin })
  const client = await rawClient(broker.port)
  const result = await floodDaemon(daemon, client, "Ingest", 1, count)
  client.close()
  await daemon.stop()
  await broker.stop()
  return result
}
