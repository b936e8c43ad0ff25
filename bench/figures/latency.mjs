// Figure 4: latency from a publish on an open connection to the action process
// running (it writes its clock to a FIFO), p50 and p99, against the broker's own
// delivery latency to a bare subscriber.
import { spawn, execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { rawClient } from "../lib/fanout.mjs"
import { startDaemon } from "../lib/daemon.mjs"
import { sleep, startBroker, startTool, tempDir } from "../lib/process.mjs"
import { median, percentile, summary } from "../lib/stats.mjs"

/** Epoch milliseconds with microsecond precision, the clock `date +%s%N` reads. */
const now = () => performance.timeOrigin + performance.now()

/** Lines written to a FIFO, as they arrive (opened read-write, so a writer closing is not an end of file). */
const fifoReader = (file) => {
  const socket = new net.Socket({ fd: fs.openSync(file, "r+"), readable: true, writable: false })
  const waiters = new Map()
  let partial = ""
  socket.on("data", (chunk) => {
    const at = now()
    const lines = (partial + chunk.toString("utf8")).split("\n")
    partial = lines.pop()
    for (const line of lines) {
      const [ns, seq] = line.split(" ")
      const stamp = Number(BigInt(ns) / 1000n) / 1000
      waiters.get(seq)?.({ stamp, at })
      waiters.delete(seq)
    }
  })
  return {
    next: (seq) => new Promise((resolve) => waiters.set(String(seq), resolve)),
    close: () => socket.destroy()
  }
}

const withTimeout = (promise, ms, what) => {
  let timer
  const timeout = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms)))
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

export const figureLatency = async ({ runs, quick }) => {
  const samples = quick ? 60 : 150
  const dir = tempDir()
  const fifo = path.join(dir, "stamps")
  execFileSync("mkfifo", [fifo])
  const script = path.join(dir, "stamp.sh")
  // One exec of sh, one of date: the lightest clock reading an action can take without a compiler.
  fs.writeFileSync(script, `#!/bin/sh\nexec /bin/date "+%s%N $1" >> '${fifo}'\n`, { mode: 0o755 })
  const stamps = fifoReader(fifo)

  const broker = await startBroker()
  const daemon = await startDaemon(`log_level: 1
servers:
  - host: 127.0.0.1
    port: ${broker.port}
    channels:
      - name: Latency
        action: "${script} %seq%"
`)
  const bare = startTool("stamp-subscriber.mjs", [String(broker.port), "LatencyBare"])
  await bare.waitFor(/ready/)
  const client = await rawClient(broker.port)
  let seq = 0

  const viaDaemon = async () => {
    const n = ++seq
    const stamped = stamps.next(n)
    const sent = now()
    await client.send(`announce Latency jail=sshd, action=banip, ip=198.18.0.${n % 250}, seq=${n}\n`)
    const { stamp } = await withTimeout(stamped, 10_000, `action for seq=${n}`)
    return stamp - sent
  }
  const viaBare = async () => {
    const n = ++seq
    const from = bare.output().length
    const sent = now()
    await client.send(`announce LatencyBare jail=sshd, action=banip, ip=198.18.0.${n % 250}, seq=${n}\n`)
    const match = await bare.waitFor(new RegExp(`^${n} (\\S+)$`, "m"), 10_000, from)
    return Number(match[1]) - sent
  }
  /** What the action's own start costs: the same script spawned by a bare node process. */
  const viaSpawn = async () => {
    const n = ++seq
    const stamped = stamps.next(n)
    const sent = now()
    spawn(script, [String(n)], { stdio: "ignore" })
    const { stamp } = await withTimeout(stamped, 10_000, `stamp for seq=${n}`)
    return stamp - sent
  }

  // Warm-up, not counted.
  for (let i = 0; i < 10; i++) {
    await viaDaemon()
    await viaBare()
    await viaSpawn()
  }
  const p50 = { subject: [], baseline: [] }
  const p99 = { subject: [], baseline: [] }
  const spawnOnly = []
  for (let run = 1; run <= runs; run++) {
    const subject = []
    const baseline = []
    for (let i = 0; i < samples; i++) {
      subject.push(await viaDaemon())
      baseline.push(await viaBare())
      if (i % 5 === 0) spawnOnly.push(await viaSpawn())
      // Idle between samples, as bans arrive: the previous action has exited.
      await sleep(5)
    }
    p50.subject.push(percentile(subject, 50))
    p99.subject.push(percentile(subject, 99))
    p50.baseline.push(percentile(baseline, 50))
    p99.baseline.push(percentile(baseline, 99))
  }
  stamps.close()
  client.close()
  await bare.stop()
  await daemon.stop()
  await broker.stop()
  const calibration = `the stamp script spawned by a bare node process: p50 ${median(spawnOnly).toFixed(2)} ms, p99 ${percentile(spawnOnly, 99).toFixed(2)} ms (${spawnOnly.length} samples)`
  const row = (id, name, pair, pass, target) => {
    const s = summary(pair.subject)
    const b = summary(pair.baseline)
    return { id, figure: name, subject: s, baseline: b, unit: "ms", decimals: 2, ratio: s.median / b.median, target, pass }
  }
  return [
    {
      ...row("4", "latency p50: publish on an open connection → action process running", p50, undefined, "—"),
      note: `${samples} sequential samples per run; the action is \`sh\` exec'ing \`date +%s%N\` into a FIFO; ${calibration}`
    },
    {
      ...row("4", "latency p99: publish on an open connection → action process running", p99, summary(p99.subject).median <= 5, "p99 ≤ 5 ms"),
      note: "baseline: the same broker's delivery to a bare node:net subscriber"
    }
  ]
}
