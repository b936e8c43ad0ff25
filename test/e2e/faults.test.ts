/**
 * Fault injection (issue 4, operations.md): the real broker, daemon and actions as
 * separate processes, each broken on purpose; the daemon must notice, log, recover and keep serving.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { defaultExecutorOptions } from "../../src/exec/executor.js"
import {
  freePort,
  logTimeMs,
  rawClient,
  rssSampler,
  scriptedFanoutServer,
  shRecorder,
  startBroker,
  startF2bc,
  stopAll,
  tempDir,
  timedRecorder,
  waitUntil,
  watchLines,
  writeConfig,
  type Running
} from "../support/harness.js"

// A broker frozen by a failed test must be resumed, or stopAll's SIGTERM never lands.
const frozen = new Set<Running>()
const stopEverything = async () => {
  for (const broker of frozen) broker.child.kill("SIGCONT")
  frozen.clear()
  await stopAll()
}

const server = (host: string, port: number, channels: ReadonlyArray<readonly [name: string, action: string]>, pingTimeout = 5) =>
  `  - host: ${host}
    port: ${port}
    ping_timeout: ${pingTimeout}
    channels:
${channels.map(([name, action]) => `      - name: ${name}\n        action: "${action}"\n`).join("")}`

/** Starts `daemon run` and follows its log lines. */
const startDaemon = (config: string, env: Record<string, string> = {}) => {
  const daemon = startF2bc(["daemon", "run", "--config", config], env)
  return Object.assign(daemon, { log: watchLines(daemon.child) })
}
type Daemon = ReturnType<typeof startDaemon>

/** Waits for a log line after `from` that contains every one of `parts`. */
const lineWith = (daemon: Daemon, from: number, parts: ReadonlyArray<string>, timeoutMs = 10_000) =>
  daemon.log.waitForLine((line) => parts.every((part) => line.includes(part)), from, timeoutMs, parts.join(" … "))

/** Announces `lines` (`channel message` each) from a fresh raw client and waits until the broker processed them. */
const announce = async (port: number, lines: ReadonlyArray<string>) => {
  const client = await rawClient(port)
  client.send(lines.map((line) => `announce ${line}\n`).join(""))
  await client.sync()
  client.close()
}

/** Whether `pid` still runs: a zombie (state Z in /proc/<pid>/stat) is as good as gone. */
const alive = (pid: number): boolean => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z"
  } catch {
    return false
  }
}

describe("faults of the broker and the network (operations.md supervision)", () => {
  afterEach(stopEverything)

  it("broker SIGKILLed and restarted on the same port, twice: the daemon resubscribes every channel and the next message runs", async () => {
    const dir = tempDir()
    const rec = timedRecorder(dir)
    let broker = await startBroker()
    const port = broker.port
    const config = writeConfig(
      dir,
      `servers:\n${server("127.0.0.1", port, [["Fail2ban", `${rec.script} %_channel% %ip%`], ["Other", `${rec.script} %_channel% %ip%`]])}log_level: 3\n`
    )
    const daemon = startDaemon(config)
    await lineWith(daemon, 0, ["connected, subscribed to Fail2ban, Other"])
    for (const cycle of [1, 2]) {
      const from = daemon.log.count()
      const before = rec.count()
      broker.child.kill("SIGKILL")
      const killedAt = Date.now()
      await broker.exited
      await lineWith(daemon, from, [`server=127.0.0.1:${port}`, "connection lost"])
      broker = await startBroker(port)
      await lineWith(daemon, from, [`server=127.0.0.1:${port}`, "connected, subscribed to Fail2ban, Other"], 20_000)
      const ip = `192.0.2.${cycle}`
      await announce(port, [`Fail2ban jail=sshd, ip=${ip}`, `Other jail=sshd, ip=${ip}`])
      await rec.waitForCount(before + 2)
      const after = rec.calls().slice(-2)
      expect(after.map((call) => call.argv).sort()).toEqual([["Fail2ban", ip], ["Other", ip]])
      const recoveryMs = Math.min(...after.map((call) => call.start)) - killedAt
      console.log(`recovery: ${Math.round(recoveryMs)} ms from SIGKILL of the broker to the first action after its restart (cycle ${cycle})`)
      // The first reconnect after a lost connection is immediate and the backoff restarts from 0.5 s.
      expect(recoveryMs).toBeLessThan(10_000)
    }
    expect(daemon.child.exitCode).toBeNull()
  })

  it("broker frozen (SIGSTOP) for 3 × ping_timeout: declared dead within ping_timeout + 1 s, reconnects back off, messages flow after SIGCONT", async () => {
    const pingTimeoutMs = 2000
    const dir = tempDir()
    const rec = shRecorder(dir)
    const broker = await startBroker()
    const config = writeConfig(dir, `servers:\n${server("127.0.0.1", broker.port, [["Fail2ban", `${rec.script} %ip%`]], pingTimeoutMs / 1000)}log_level: 3\n`)
    const daemon = startDaemon(config)
    await lineWith(daemon, 0, ["connected, subscribed"])
    await announce(broker.port, ["Fail2ban jail=sshd, ip=192.0.2.20"])
    await rec.waitForCount(1)

    const from = daemon.log.count()
    broker.child.kill("SIGSTOP")
    frozen.add(broker)
    const frozenAt = Date.now()
    const lost = await lineWith(daemon, from, ["connection lost: no pong within"], pingTimeoutMs + 5000)
    const detectionMs = logTimeMs(lost.line) - frozenAt
    console.log(`detection: ${detectionMs} ms from SIGSTOP of the broker to "connection lost" (ping_timeout ${pingTimeoutMs} ms)`)
    expect(detectionMs).toBeLessThanOrEqual(pingTimeoutMs + 1000)

    // A frozen broker's kernel still accepts connections: each attempt fails on its pong deadline.
    // The freeze lasts 3 × ping_timeout, and at least until three attempts failed, so two gaps can be compared.
    const failures: Array<number> = []
    for (const n of [1, 2, 3]) {
      const failed = await lineWith(daemon, lost.index, [`retrying with backoff (failure ${n})`], 4 * pingTimeoutMs + 5000)
      failures.push(logTimeMs(failed.line))
    }
    const rest = 3 * pingTimeoutMs - (Date.now() - frozenAt)
    if (rest > 0) await new Promise((resolve) => setTimeout(resolve, rest)) // the fault is a duration
    const resumeFrom = daemon.log.count()
    broker.child.kill("SIGCONT")
    frozen.delete(broker)
    const resumedAt = Date.now()
    const gaps = [failures[1]! - failures[0]!, failures[2]! - failures[1]!]
    console.log(`reconnect failures during the freeze ${Date.now() - frozenAt} ms long, gaps between them: ${gaps.join(" ms, ")} ms`)
    // Each attempt costs one pong deadline plus the backoff (0.5 s then 1 s, jittered ±20 %): the gaps grow.
    expect(gaps[1]!).toBeGreaterThan(gaps[0]! + 100)

    await lineWith(daemon, resumeFrom, ["connected, subscribed"], 15_000)
    console.log(`resubscribed ${Date.now() - resumedAt} ms after SIGCONT`)
    await announce(broker.port, ["Fail2ban jail=sshd, ip=192.0.2.21"])
    expect(await rec.waitForCalls(2)).toEqual([["192.0.2.20"], ["192.0.2.21"]])
  })

  it("broker unreachable at start and a host name that does not resolve: the daemon starts, logs, keeps retrying, serves a working server, connects once the broker appears", async () => {
    const dir = tempDir()
    const rec = shRecorder(dir)
    const latePort = await freePort()
    const working = await startBroker()
    const action = `${rec.script} %_channel% %ip%`
    const config = writeConfig(
      dir,
      `servers:
${server("127.0.0.1", latePort, [["Late", action]])}${server("nonexistent.invalid", 1986, [["Nowhere", action]])}${server("127.0.0.1", working.port, [["Fail2ban", action]])}log_level: 3
`
    )
    const daemon = startDaemon(config)
    await lineWith(daemon, 0, ["daemon started"])
    // Each failure is logged with its cause, and the attempts go on.
    for (const n of [1, 2]) {
      await lineWith(daemon, 0, [`server=127.0.0.1:${latePort}`, "connection failed", "ECONNREFUSED", `(failure ${n})`])
      const unresolved = await lineWith(daemon, 0, ["server=nonexistent.invalid:1986", "connection failed", `(failure ${n})`])
      expect(unresolved.line).toMatch(/getaddrinfo (ENOTFOUND|EAI_AGAIN) nonexistent\.invalid/)
    }
    // Meanwhile the working server is served.
    await lineWith(daemon, 0, [`server=127.0.0.1:${working.port}`, "connected, subscribed to Fail2ban"])
    await announce(working.port, ["Fail2ban jail=sshd, ip=192.0.2.30"])
    expect(await rec.waitForCalls(1)).toEqual([["Fail2ban", "192.0.2.30"]])

    const appearFrom = daemon.log.count()
    const late = await startBroker(latePort)
    const appearedAt = Date.now()
    await lineWith(daemon, appearFrom, [`server=127.0.0.1:${latePort}`, "connected, subscribed to Late"], 40_000)
    console.log(`the late broker was connected ${Date.now() - appearedAt} ms after it appeared`)
    await announce(late.port, ["Late jail=sshd, ip=192.0.2.31"])
    expect(await rec.waitForCalls(2)).toEqual([["Fail2ban", "192.0.2.30"], ["Late", "192.0.2.31"]])
    // The unresolvable one is still retried, and nothing else was disturbed.
    await lineWith(daemon, appearFrom, ["server=nonexistent.invalid:1986", "connection failed"], 40_000)
    expect(daemon.child.exitCode).toBeNull()
  })
})

describe("faults of the actions (configuration.md runs, §7 bounded execution)", () => {
  const dir = tempDir()
  const rec = shRecorder(dir)
  const killGraceMs = defaultExecutorOptions.killGraceMs
  const script = (name: string, body: string) => {
    const file = path.join(dir, name)
    fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 })
    return file
  }
  const pidFile = (name: string) => path.join(dir, `${name}.pids`)
  const channels: ReadonlyArray<readonly [string, string]> = [
    ["Clean", `${rec.script} %ip%`],
    ["NotFound", "/nonexistent/cmd %ip%"],
    ["Fails", `${script("fails.sh", 'echo "boom for $1" >&2; exit 3')} %ip%`],
    ["Hangs", `${script("hangs.sh", `sleep 60 & echo "$$ $!" > '${pidFile("hangs")}'; wait`)} %ip%`],
    ["Stubborn", `${script("stubborn.sh", `trap '' TERM; sleep 60 & echo "$$ $!" > '${pidFile("stubborn")}'; wait`)} %ip%`],
    [
      "Chatty",
      `${script("chatty.sh", "head -c 3000000 /dev/zero | tr '\\0' o; head -c 2000000 /dev/zero | tr '\\0' e >&2; exit 4")} %ip%`
    ]
  ]
  let port = 0
  let daemon: Daemon
  let cleanIp = 0

  beforeAll(async () => {
    const broker = await startBroker()
    port = broker.port
    const yaml = `servers:\n${server("127.0.0.1", port, channels)}log_level: 3\n`
      // The hanging channels time out after 1 s.
      .replace(/(action: "[^"]*(?:hangs|stubborn)\.sh %ip%"\n)/g, "$1        timeout: 1\n")
    daemon = startDaemon(writeConfig(dir, yaml))
    await lineWith(daemon, 0, ["connected, subscribed to Clean"])
  })
  afterAll(stopEverything)

  /** Sends one faulty message and returns the failure line it causes. */
  const fault = async (channel: string, ip: string, timeoutMs = 10_000) => {
    const from = daemon.log.count()
    await announce(port, [`${channel} jail=sshd, ip=${ip}`])
    return lineWith(daemon, from, [`channel=${channel}`, "action failed:"], timeoutMs)
  }
  /** A clean message still runs: the daemon keeps serving. */
  const stillServes = async () => {
    const ip = `198.51.100.${++cleanIp}`
    const before = rec.count()
    await announce(port, [`Clean jail=sshd, ip=${ip}`])
    const calls = await rec.waitForCalls(before + 1)
    expect(calls.at(-1)).toEqual([ip])
  }
  const durationOf = (line: string): number => Number(line.match(/duration_ms=(\d+)/)?.[1])

  it("an action that is not found is logged with reason NotFound, and the daemon keeps serving", async () => {
    const failed = await fault("NotFound", "192.0.2.41")
    expect(failed.line).toMatch(/ERROR .*action failed: executable not found: \/nonexistent\/cmd .*reason=NotFound/)
    await stillServes()
  })

  it("an action that exits non-zero is logged with its status and stderr, and the daemon keeps serving", async () => {
    const failed = await fault("Fails", "192.0.2.42")
    expect(failed.line).toMatch(/action failed: exited with status 3 .*reason=ExitCode/)
    expect(failed.line).toContain('stderr="boom for 192.0.2.42"')
    await stillServes()
  })

  it("an action that hangs past its timeout is killed with its process group after 1 s (SIGTERM suffices), and the daemon keeps serving", async () => {
    const failed = await fault("Hangs", "192.0.2.43")
    expect(failed.line).toMatch(/action failed: timed out after 1000 ms, killed .*reason=Timeout/)
    expect(durationOf(failed.line)).toBeGreaterThanOrEqual(1000)
    expect(durationOf(failed.line)).toBeLessThan(1000 + killGraceMs)
    const pids = fs.readFileSync(pidFile("hangs"), "utf8").trim().split(" ").map(Number)
    await waitUntil(() => (pids.some(alive) ? undefined : true), 5000, `the script and its grandchild (${pids.join(", ")}) to be gone`)
    await stillServes()
  })

  it(`an action that ignores SIGTERM is SIGKILLed with its process group after the ${killGraceMs} ms grace, and other actions run meanwhile`, async () => {
    const from = daemon.log.count()
    await announce(port, ["Stubborn jail=sshd, ip=192.0.2.44"])
    await waitUntil(() => (fs.existsSync(pidFile("stubborn")) ? true : undefined), 5000, "the stubborn action to start")
    // While it blocks a worker, clean messages still run.
    await stillServes()
    await stillServes()
    expect(daemon.log.lines().slice(from).some((line) => line.includes("channel=Stubborn") && line.includes("action failed"))).toBe(false)
    const failed = await lineWith(daemon, from, ["channel=Stubborn", "action failed:"], 1000 + killGraceMs + 10_000)
    expect(failed.line).toMatch(/action failed: timed out after 1000 ms, killed .*reason=Timeout/)
    expect(durationOf(failed.line)).toBeGreaterThanOrEqual(1000 + killGraceMs - 50)
    expect(durationOf(failed.line)).toBeLessThan(1000 + killGraceMs + 2000)
    const pids = fs.readFileSync(pidFile("stubborn"), "utf8").trim().split(" ").map(Number)
    await waitUntil(() => (pids.some(alive) ? undefined : true), 5000, `the script and its grandchild (${pids.join(", ")}) to be gone`)
    await stillServes()
  }, 30_000)

  it("an action that prints megabytes to stdout and stderr is drained, its log line bounded and counting the rest, and the daemon keeps serving", async () => {
    const failed = await fault("Chatty", "192.0.2.45")
    expect(failed.line).toMatch(/action failed: exited with status 4 .*reason=ExitCode/)
    const kept = defaultExecutorOptions.maxOutputBytes
    expect(failed.line).toContain(`stdout="${"o".repeat(kept)}… (${3_000_000 - kept} more bytes)"`)
    expect(failed.line).toContain(`stderr="${"e".repeat(kept)}… (${2_000_000 - kept} more bytes)"`)
    expect(failed.line.length).toBeLessThan(4 * kept)
    await stillServes()
    expect(daemon.child.exitCode).toBeNull()
  })
})

describe("ordering of slow actions (operations.md: same ip in arrival order)", () => {
  afterEach(stopEverything)

  it("ban then unban of one IP, the ban being slower: the unban starts only after the ban ended; another IP runs meanwhile", async () => {
    const dir = tempDir()
    // The fault is the ban's slowness.
    const rec = timedRecorder(dir, 'case "$1" in banip) sleep 1;; esac')
    const broker = await startBroker()
    const config = writeConfig(dir, `servers:\n${server("127.0.0.1", broker.port, [["Fail2ban", `${rec.script} %action% %ip%`]])}log_level: 3\n`)
    const daemon = startDaemon(config)
    await lineWith(daemon, 0, ["connected, subscribed"])
    await announce(broker.port, [
      "Fail2ban jail=sshd, action=banip, ip=192.0.2.60",
      "Fail2ban jail=sshd, action=unbanip, ip=192.0.2.60",
      "Fail2ban jail=sshd, action=unbanip, ip=192.0.2.61"
    ])
    await rec.waitForCount(3)
    const calls = rec.calls()
    const ban = calls.find((call) => call.argv.join(" ") === "banip 192.0.2.60")!
    const unban = calls.find((call) => call.argv.join(" ") === "unbanip 192.0.2.60")!
    const other = calls.find((call) => call.argv.join(" ") === "unbanip 192.0.2.61")!
    expect([ban, unban, other].every((call) => call !== undefined)).toBe(true)
    console.log(`ban took ${(ban.end - ban.start).toFixed(1)} ms; the unban started ${(unban.start - ban.end).toFixed(1)} ms after it ended`)
    expect(unban.start).toBeGreaterThanOrEqual(ban.end)
    // Different IPs run in parallel: without that, the order above would prove nothing.
    expect(other.end).toBeLessThan(ban.end)
  })
})

describe("framing (protocol.md: the same result however the bytes are split)", () => {
  afterEach(stopEverything)

  const over = `Fail2ban!jail=sshd, ip=192.0.2.99, pad=${"x".repeat(1100)}\n`
  const script =
    "Fail2ban!jail=sshd, action=banip, ip=192.0.2.81\n" +
    "debug!a notice\n" +
    "Fail2ban!jail=sshd, action=banip, ip=192.0.2.82, note=caf\u00e9 \u2603 \ud834\udd1e\r\n" +
    "Other!jail=sshd, ip=192.0.2.83\n" +
    "all!jail=sshd, ip=192.0.2.84\n" +
    "Fail2ban!jail=sshd, ip=192.0.2.85, note=a!b=c\n" +
    over +
    "\n" +
    "garbage without a bang\n" +
    "Fail2ban!jail=sshd, action=unbanip, ip=192.0.2.86\r\n" +
    "Fail2ban!a plain text message\n" +
    "Fail2ban!jail=sshd, ip=192.0.2.254, last=yes\n"
  const expected = [
    ["Fail2ban", "jail=sshd, action=banip, ip=192.0.2.81"],
    ["Fail2ban", "jail=sshd, action=banip, ip=192.0.2.82, note=caf\u00e9 \u2603 \ud834\udd1e"],
    ["Fail2ban", "jail=sshd, ip=192.0.2.85, note=a!b=c"],
    ["Fail2ban", "jail=sshd, action=unbanip, ip=192.0.2.86"],
    ["Fail2ban", "a plain text message"],
    ["Fail2ban", "jail=sshd, ip=192.0.2.254, last=yes"]
  ]

  /** A daemon fed `script` by a server that writes it through `send`; resolves with the action calls and the log. */
  const feed = async (send: (write: (bytes: Uint8Array | string) => Promise<void>, bytes: Buffer) => Promise<void>) => {
    const dir = tempDir()
    const rec = shRecorder(dir)
    const bytes = Buffer.from(script, "utf8")
    const fanout = await scriptedFanoutServer((write) => send(write, bytes))
    // A long ping_timeout keeps pings (and their pongs) out of the way while the script is sent.
    const config = writeConfig(
      dir,
      `servers:\n${server("127.0.0.1", fanout.port, [["Fail2ban", `${rec.script} %_channel% %_msg%`]], 60)}max_line_bytes: 1024\nconcurrency: 1\nlog_level: 3\n`
    )
    const daemon = startDaemon(config)
    // concurrency 1: once the last message's action is logged, every earlier one was.
    await lineWith(daemon, 0, ["action executed", "jail=sshd, ip=192.0.2.254, last=yes"], 20_000)
    const calls = rec.calls()
    const log = daemon.log
      .lines()
      .map((line) =>
        line.replace(/^\S+ /, "").replace(/server=127\.0\.0\.1:\d+/, "server=S").replace(/duration_ms=\d+/, "duration_ms=N").replaceAll(rec.script, "ACTION")
      )
    await fanout.close()
    return { calls, log }
  }

  it("frames written one byte at a time and coalesced in one write give identical action runs and rejections", async () => {
    const [split, coalesced] = await Promise.all([
      feed(async (write, bytes) => {
        for (let i = 0; i < bytes.length; i++) await write(bytes.subarray(i, i + 1))
      }),
      feed(async (write, bytes) => {
        await write(bytes)
      })
    ])
    expect(coalesced.calls).toEqual(expected)
    expect(split.calls).toEqual(coalesced.calls)
    // Sorted: the executor's lines interleave with the pipeline's in timing order.
    const decisions = (log: ReadonlyArray<string>) =>
      log.filter((line) => /over-long|ignored|rejected|accepted|action executed|server notice/.test(line)).sort()
    expect(decisions(split.log)).toEqual(decisions(coalesced.log))
    expect(decisions(coalesced.log).some((line) => line.includes(`dropped an over-long line of ${Buffer.byteLength(over) - 1} bytes`))).toBe(true)
  })
})

describe("flood (operations.md: bounded queue, bounded memory, order per ip)", () => {
  afterEach(stopEverything)

  it("100 000 matching messages against a slow action: no crash, bounded RSS, overflow logged and counted, per-IP order kept", async () => {
    const total = 100_000
    const ips = Array.from({ length: 8 }, (_, i) => `192.0.2.${100 + i}`)
    const queueLimit = 100
    const dir = tempDir()
    // The fault is the action's slowness.
    const rec = timedRecorder(dir, "sleep 0.2")
    // The broker may buffer a burst for the daemon: this tests the daemon, not the broker's slow-client bound.
    const broker = await startBroker(0, ["--max-output-bytes", String(64 * 1024 * 1024)])
    const config = writeConfig(
      dir,
      `servers:\n${server("127.0.0.1", broker.port, [["Fail2ban", `${rec.script} %ip% %seq%`]])}queue_limit: ${queueLimit}\nconcurrency: 4\nshutdown_timeout: 1\nlog_level: 2\n`
    )
    // V8's young generation is GC slack, not what f2bc keeps: Node 24 sizes it up to 128 MiB on this machine
    // (Node 20 and 22: 32 MiB), which alone moved the peak from ~150 to ~250 MiB. Pinned to Node 20's size,
    // the bound measures f2bc's own retention on every Node (docs/operations.md, the flood figures).
    const daemon = startDaemon(config, { NODE_OPTIONS: "--max-semi-space-size=16" })
    await lineWith(daemon, 0, ["connected, subscribed"])
    const rss = rssSampler(daemon.child.pid!)
    const client = await rawClient(broker.port)
    const started = Date.now()
    const batch = 5000
    for (let first = 0; first < total; first += batch) {
      let text = ""
      for (let seq = first; seq < first + batch; seq++) text += `announce Fail2ban jail=sshd, action=banip, ip=${ips[seq % ips.length]}, seq=${seq}\n`
      client.send(text)
      await client.sync()
    }
    console.log(`flood: ${total} announces taken by the broker in ${Date.now() - started} ms`)

    // The end of the flood is found with markers: a message the pipeline rejects (its ip is not an
    // address), logged at once; when its rejection shows, everything sent before it was decided.
    // A reconnect meanwhile may have lost it: then it is sent again.
    let markers = 0
    const decided = async (lines: ReadonlyArray<string>): Promise<boolean> => {
      const marker = `marker-${++markers}-end`
      const from = daemon.log.count()
      client.send([...lines, `Fail2ban jail=sshd, ip=${marker}`].map((line) => `announce ${line}\n`).join(""))
      await client.sync()
      // The marker may also be dropped with others while the pipeline is behind (the daemon then
      // says so within a second): then it is sent again.
      const seen = await daemon.log.waitForLine(
        (line) =>
          (line.includes(`ip=${marker}`) && line.includes("rejected at")) ||
          line.includes("connected, subscribed") ||
          /dropped \d+ deliveries: the pipeline is behind/.test(line),
        from,
        30_000,
        `the rejection of ${marker}`
      )
      return seen.line.includes(marker)
    }
    while (!(await decided([]))) expect(markers).toBeLessThan(60)
    // Nothing enters the queue any more. A sentinel per IP runs after every accepted message of its
    // IP; one that was dropped (queue full) means nearly queue_limit actions were still waiting, so
    // at least one per IP more finish: then the missing ones are sent again.
    const sentinelBase = 1_000_000
    let sentinels = 0
    const done = () => new Set(rec.calls().filter((call) => Number(call.argv[1]) >= sentinelBase).map((call) => call.argv[0]))
    for (let round = 0; done().size < ips.length; round++) {
      expect(round).toBeLessThan(100)
      const missing = ips.filter((ip) => !done().has(ip))
      sentinels += missing.length
      if (!(await decided(missing.map((ip) => `Fail2ban jail=sshd, action=banip, ip=${ip}, seq=${sentinelBase + round}`)))) continue
      const finished = rec.count()
      await waitUntil(
        () => (done().size === ips.length || rec.count() >= finished + ips.length ? true : undefined),
        30_000,
        "the sentinels, or room in the queue"
      )
    }
    rss.stop()
    client.close()
    const drainedAt = Date.now()

    expect(daemon.child.exitCode).toBeNull()
    const lines = daemon.log.lines()
    const losses = lines.filter((line) => /connection (lost|failed)/.test(line))
    const droppedLines = lines.filter((line) => line.includes("dropped: the action queue is full"))
    const droppedCounts = droppedLines.flatMap((line) => [...line.slice(line.indexOf("dropped:")).split(" message=")[0]!.matchAll(/\d+/g)].map((m) => Number(m[0])))
    const maxDropped = Math.max(0, ...droppedCounts.filter((n) => n !== queueLimit))
    const calls = rec.calls()
    console.log(
      `flood: peak RSS ${rss.peakMiB().toFixed(1)} MiB (${rss.firstMiB().toFixed(1)} MiB before the flood) over ${rss.samples()} samples; ${calls.length} actions ran; ` +
        `${droppedLines.length} overflow log lines, highest dropped count ${maxDropped}; ${losses.length} connection loss(es): ${losses.map((line) => line.slice(line.indexOf("connection "))).join(" | ")}; ` +
        `drained ${drainedAt - started} ms after the flood began`
    )
    expect(rss.peakMiB()).toBeLessThan(250)
    // Overflow is logged, with a count that is plausible.
    expect(droppedLines.length).toBeGreaterThan(0)
    expect(maxDropped).toBeGreaterThan(0)
    expect(maxDropped + calls.length).toBeLessThanOrEqual(total + sentinels)
    // Everything the first burst queued ran.
    expect(calls.filter((call) => Number(call.argv[1]) < sentinelBase).length).toBeGreaterThanOrEqual(queueLimit)
    // Per IP, what ran ran in sequence order, one after the other.
    for (const ip of ips) {
      const runs = calls.filter((call) => call.argv[0] === ip)
      for (let i = 1; i < runs.length; i++) {
        const [previous, current] = [runs[i - 1]!, runs[i]!]
        expect(Number(current.argv[1]), `ip ${ip} ran seq ${current.argv[1]} after ${previous.argv[1]}`).toBeGreaterThan(Number(previous.argv[1]))
        expect(current.start, `ip ${ip}: seq ${current.argv[1]} started before seq ${previous.argv[1]} ended`).toBeGreaterThanOrEqual(previous.end)
      }
    }
    // Issue 4: when the queue is full "the socket keeps being read so pings keep working":
    // the flood must not cost the daemon its connection (a pong missed, or the broker
    // dropping it as a slow reader). Checked last, so the properties above are reported on their own.
    expect(losses, "connection losses during the flood").toEqual([])
  }, 90_000)
})
