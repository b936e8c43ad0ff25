// Figure 8: the fleet as its operators live it. Two real fail2ban-servers,
// A and B, each with an f2bc daemon in the recommended setup (A's jail
// announces with the f2bc-daemon.py action through A's daemon and its outbox;
// B's daemon applies received bans in batches over fail2ban's own socket,
// `fail2ban_socket`, with no fail2ban-client process), and a
// fanout broker between them. A's daemon reaches the broker through a proxy
// that can cut it off. Every figure is measured against fail2ban's own time
// in the same run.
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { total } from "../lib/daemon.mjs"
import { fail2banClientAsync, freshAddresses, hasFail2ban, startFail2ban, writeFail2banConfig } from "../lib/fail2ban.mjs"
import { startProxy } from "../lib/proxy.mjs"
import { freePort, sleep, startF2bc, tempDir, writeConfig } from "../lib/process.mjs"
import { median, percentile, summary } from "../lib/stats.mjs"

const one = (value) => ({ median: value, min: value, max: value, runs: 1 })

/** Polls until `predicate()` is true; returns the ms it took, measured from `since`. */
const until = async (predicate, timeoutMs, what, since = performance.now()) => {
  const deadline = since + timeoutMs
  for (;;) {
    if (predicate()) return performance.now() - since
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`)
    await sleep(5)
  }
}

/** The daemon config of one host: its outbox in `dir/state`, its socket, B's batched fail2ban action over fail2ban's socket. */
const daemonConfig = ({ name, dir, serverPort, secret, fail2banSocket, metricsPort }) =>
  `node_name: ${name}
log_level: 1
state_dir: ${path.join(dir, "state")}
control_socket: ${path.join(dir, "f2bc.sock")}
metrics: { listen: "127.0.0.1:${metricsPort}" }
servers:
  - host: 127.0.0.1
    port: ${serverPort}
    channels:
      - name: Fail2ban
        secret_file: ${secret}
        batch: { key: ip, max: 100, linger: 50ms }
        action: "fail2ban-client set cluster-%jail% %action% %ip%"
        fail2ban_socket: ${fail2banSocket}
    filter:
      - key: action
        values: [banip, unbanip]
      - key: jail
        values: [sshd]
`

/**
 * F2BC_FLEET_PIN=1: host A's processes on CPU 0, B's on CPU 1 (`taskset`, every thread; children inherit
 * it), as two one-core machines would be; without it both hosts share both cores.
 */
const PIN = process.env.F2BC_FLEET_PIN === "1"
const pin = (pid, cpu) => PIN && execFileSync("taskset", ["-a", "-p", "-c", String(cpu), String(pid)], { stdio: "ignore" })

/** One host: its fail2ban-server and its daemon (restartable: same config, same state_dir). */
const startHost = async (root, name, serverPort, secret) => {
  const dir = path.join(root, name)
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
  const daemonSocket = path.join(dir, "f2bc.sock")
  const fail2ban = writeFail2banConfig(dir, { daemonSocket })
  const metricsPort = await freePort()
  const config = writeConfig(dir, daemonConfig({ name, dir, serverPort, secret, fail2banSocket: fail2ban.socket, metricsPort }))
  const host = { name, dir, fail2ban, daemon: undefined, server: undefined, metricsPort, cpu: name === "A" ? 0 : 1 }
  host.startDaemon = async () => {
    host.daemon = startF2bc(["daemon", "run", "--config", config])
    pin(host.daemon.pid, host.cpu)
    // log_level 1 says nothing at start: the control socket appearing is the daemon being up.
    await until(() => fs.existsSync(daemonSocket) || !host.daemon.alive(), 20_000, `${name}'s control socket`)
    if (!host.daemon.alive()) throw new Error(`${name}'s daemon exited at start:\n${host.daemon.output()}`)
  }
  host.executed = async () => {
    const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`)
    const text = await response.text()
    const samples = text.split("\n").flatMap((line) => {
      const match = line.match(/^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)$/)
      return match === null ? [] : [[match[1], match[2] ?? "", Number(match[3])]]
    })
    return total(samples, "f2bc_messages_total", 'outcome="executed"')
  }
  await host.startDaemon()
  host.server = await startFail2ban(fail2ban)
  pin(host.server.pid, host.cpu)
  return host
}

/** fail2ban's own time to ban `n` addresses in one `banip` call, on host's receive jail. */
const localBanTime = async (host, n) => {
  const ips = freshAddresses(n)
  const wanted = new Set(ips)
  const seen = () => host.fail2ban.stamps("cluster-sshd").filter((s) => wanted.has(s.ip)).length
  const since = performance.now()
  const call = fail2banClientAsync(host.fail2ban.socket, "set", "cluster-sshd", "banip", ...ips)
  const ms = await until(() => seen() === n, 60_000, `${n} local bans on ${host.name}`, since)
  await call
  return ms
}

/**
 * Both hosts' jails banning `n` addresses each at the same time, without f2bc (A's plain jail, B's receive jail):
 * what the storm costs this one machine's cores even before f2bc adds anything.
 */
const bothLocalTime = async (a, b, n) => {
  const ipsA = freshAddresses(n)
  const ipsB = freshAddresses(n)
  const done = (host, jail, ips) => {
    const wanted = new Set(ips)
    return host.fail2ban.stamps(jail).filter((s) => wanted.has(s.ip)).length === n
  }
  const since = performance.now()
  const calls = [fail2banClientAsync(a.fail2ban.socket, "set", "plain", "banip", ...ipsA), fail2banClientAsync(b.fail2ban.socket, "set", "cluster-sshd", "banip", ...ipsB)]
  const ms = await until(() => done(a, "plain", ipsA) && done(b, "cluster-sshd", ipsB), 60_000, "both jails' local bans", since)
  await Promise.all(calls)
  return ms
}

/** F2BC_FLEET_TRACE=1: when a storm's bans were stamped on A and on B, in ms from the banip call (stderr). */
const traceStorm = (a, b, wanted, sinceNs) => {
  const span = (stamps) => {
    const ns = stamps.filter((s) => wanted.has(s.ip)).map((s) => Number(s.ns - sinceNs) / 1e6)
    return ns.length === 0 ? "none" : `${ns.length} from ${Math.min(...ns).toFixed(0)} to ${Math.max(...ns).toFixed(0)} ms`
  }
  process.stderr.write(`[fleet] storm: A's jail ${span(a.fail2ban.stamps("sshd"))}; B's jail ${span(b.fail2ban.stamps("cluster-sshd"))}\n`)
}

/** CPU time (user + system, children waited for included) of each process of the fleet, in ms. */
const cpuTimes = (a, b, broker) => {
  const of = (pid) => {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /, "").split(" ")
    return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) * 10
  }
  return {
    "A fail2ban": of(a.server.pid), "A daemon": of(a.daemon.pid), "B fail2ban": of(b.server.pid), "B daemon": of(b.daemon.pid),
    broker: of(broker.current.pid), "bench (proxy, polling)": of(process.pid)
  }
}

const traceCpu = (before, after) =>
  process.stderr.write(`[fleet] storm CPU: ${Object.keys(before).map((k) => `${k} ${after[k] - before[k]} ms`).join(", ")}\n`)

/** A storm of `n` bans made on A in one call; resolves when all are banned on B. */
const storm = async (a, b, n, timeoutMs = 120_000, during = async (_ips) => {}) => {
  const ips = freshAddresses(n)
  const wanted = new Set(ips)
  const seen = () => new Set(b.fail2ban.stamps("cluster-sshd").filter((s) => wanted.has(s.ip)).map((s) => s.ip)).size
  const since = performance.now()
  const sinceNs = BigInt(Date.now()) * 1_000_000n
  const call = fail2banClientAsync(a.fail2ban.socket, "set", "sshd", "banip", ...ips)
  await during(ips)
  const ms = await until(() => seen() === n, timeoutMs, `${n} bans from A on B (${seen()} so far)`, since)
  await call
  if (process.env.F2BC_FLEET_TRACE === "1" && n > 1) traceStorm(a, b, wanted, sinceNs)
  return { ms, ips }
}

/** One ban on A → banned on B, from A's stamp of it to B's (both `date +%s%N` on this machine's clock). */
const singleBan = async (a, b) => {
  const [ip] = (await storm(a, b, 1)).ips
  const at = (host, jail) => host.fail2ban.stamps(jail).find((s) => s.ip === ip).ns
  return Number(at(b, "cluster-sshd") - at(a, "sshd")) / 1e6
}

/** The median gap between consecutive stamps of `ips` in A's jail: the time one ban costs A's actions thread. */
const medianGapMs = (stamps, ips) => {
  const wanted = new Set(ips)
  const ns = stamps.filter((s) => wanted.has(s.ip)).map((s) => s.ns)
  const gaps = ns.slice(1).map((t, i) => Number(t - ns[i]) / 1e6)
  return median(gaps)
}

const rows = (m, n, cutSeconds) => [
  {
    id: "8",
    figure: `storm: ${n} bans in one \`banip\` on A → all banned on B, against fail2ban banning them locally`,
    subject: one(m.storm),
    baseline: one(m.local),
    unit: "ms",
    decimals: 0,
    ratio: m.storm / m.local,
    target: "≤ 1.5×",
    pass: m.storm / m.local <= 1.5,
    note: `both jails banning ${n} each at the same time, without f2bc: ${m.bothLocal.toFixed(0)} ms (${(m.bothLocal / m.local).toFixed(2)}× the local time): on one machine A's and B's fail2ban share its cores`
  },
  {
    id: "8",
    figure: "one ban on A → banned on B, p50 (p99 in the note)",
    subject: summary(m.single),
    baseline: undefined,
    unit: "ms",
    decimals: 0,
    target: "p50 ≤ 150 ms",
    pass: median(m.single) <= 150,
    note: `${m.single.length} bans one after another; p99 ${percentile(m.single, 99).toFixed(0)} ms`
  },
  {
    id: "8",
    figure: "what the cluster action adds to A's own ban path, per ban (median gap between A's bans, with the action minus without)",
    subject: one(m.added),
    baseline: one(m.gapPlain),
    unit: "ms",
    decimals: 2,
    target: "≤ 5 ms",
    pass: m.added <= 5,
    note: `median gap between consecutive bans of a ${n}-ban storm in A's actions thread: ${m.gapCluster.toFixed(2)} ms with f2bc-daemon.py, ${m.gapPlain.toFixed(2)} ms without`
  },
  {
    id: "8",
    figure: `A cut off from the broker for ${cutSeconds} s during a storm of ${n}, A's daemon killed (SIGKILL) and restarted during the cut: arrived on B, each run once`,
    subject: one(m.cutArrived),
    baseline: undefined,
    unit: `of ${n}`,
    decimals: 0,
    target: `${n} of ${n}, each once`,
    pass: m.cutArrived === n && m.cutExecuted === n,
    note: `B's daemon executed ${m.cutExecuted} for the ${n}; all arrived ${(m.cutMs / 1000).toFixed(1)} s after the storm began`
  },
  {
    id: "8",
    figure: `the broker restarted while A hands off a storm of ${n}: arrived on B (default settings)`,
    subject: one(m.restartArrived),
    baseline: undefined,
    unit: `of ${n}`,
    decimals: 0,
    target: "— (fanout keeps nothing; JetStream is the lossless choice)",
    note: `the broker was down ${m.restartDownMs} ms; counted ${m.restartWaitS} s after it returned`
  }
]

/** A cut of `cutSeconds` during a storm, A's daemon SIGKILLed and restarted inside it. */
const cutStorm = async (a, b, proxy, n, cutSeconds) => {
  proxy.cut()
  const before = await b.executed()
  const cutAt = performance.now()
  const { ms } = await storm(a, b, n, cutSeconds * 1000 + 120_000, async (ips) => {
    // Killed once every ban is handed off (A's jail has run its actions for all of them).
    const wanted = new Set(ips)
    await until(() => a.fail2ban.stamps("sshd").filter((s) => wanted.has(s.ip)).length === n, 60_000, "A's storm")
    await sleep(200)
    await a.daemon.stop("SIGKILL")
    await a.startDaemon()
    await sleep(Math.max(0, cutSeconds * 1000 - (performance.now() - cutAt)))
    proxy.restore()
  })
  // Late duplicates would show up shortly after the last arrival.
  await sleep(1000)
  return { ms, arrived: n, executed: (await b.executed()) - before }
}

/** The broker stopped and started again on its port while A hands off a storm. */
const restartStorm = async (a, b, broker, n, waitS) => {
  const ips = freshAddresses(n)
  const wanted = new Set(ips)
  await broker.current.stop()
  const downAt = performance.now()
  const call = fail2banClientAsync(a.fail2ban.socket, "set", "sshd", "banip", ...ips)
  await sleep(500)
  broker.current = startF2bc(["broker", "--host", "127.0.0.1", "--port", String(broker.port)])
  await broker.current.waitFor(/listening on/)
  const downMs = Math.round(performance.now() - downAt)
  const arrived = () => new Set(b.fail2ban.stamps("cluster-sshd").filter((s) => wanted.has(s.ip)).map((s) => s.ip)).size
  await until(() => arrived() === n, waitS * 1000, "every ban").catch(() => undefined)
  await call
  return { arrived: arrived(), downMs }
}

export const figureFleet = async ({ quick }) => {
  if (!hasFail2ban()) throw new Error("fail2ban-server is not installed (apt-get install fail2ban)")
  const n = 200
  const cutSeconds = quick ? 5 : 30
  const root = tempDir("f2bc-fleet-")
  const secret = path.join(root, "secret")
  fs.writeFileSync(secret, "fleet-bench-secret-0123456789abcdef\n", { mode: 0o600 })
  const brokerPort = await freePort()
  const broker = { port: brokerPort, current: startF2bc(["broker", "--host", "127.0.0.1", "--port", String(brokerPort)]) }
  await broker.current.waitFor(/listening on/)
  const proxy = await startProxy(brokerPort)
  const hosts = []
  try {
    const a = await startHost(root, "A", proxy.port, secret)
    hosts.push(a)
    const b = await startHost(root, "B", brokerPort, secret)
    hosts.push(b)
    const m = {}
    m.local = await localBanTime(b, n)
    // A daemon delivers nothing in the 2 s after its own connection to a server came up (RETURN_GRACE_MS:
    // other subscribers may be reconnecting too); the figures measure a fleet that has been up a while.
    await sleep(2_000)
    m.single = []
    for (let i = 0; i < (quick ? 10 : 25); i++) m.single.push(await singleBan(a, b))
    m.bothLocal = await bothLocalTime(a, b, n)
    const cpuBefore = cpuTimes(a, b, broker)
    m.storm = (await storm(a, b, n)).ms
    if (process.env.F2BC_FLEET_TRACE === "1") traceCpu(cpuBefore, cpuTimes(a, b, broker))
    // A's own path: the same storm into the watching jail with and without the cluster action. B's
    // daemon is paused meanwhile: on one machine its work (and B's fail2ban-server's) would take A's
    // CPU, which in a fleet is another host's.
    b.daemon.child.kill("SIGSTOP")
    const clusterStorm = await storm(a, b, n, 120_000, async (ips) => {
      const wanted = new Set(ips)
      await until(() => a.fail2ban.stamps("sshd").filter((s) => wanted.has(s.ip)).length === n, 60_000, "A's storm")
      b.daemon.child.kill("SIGCONT")
    })
    m.gapCluster = medianGapMs(a.fail2ban.stamps("sshd"), clusterStorm.ips)
    const plainIps = freshAddresses(n)
    const plainCall = fail2banClientAsync(a.fail2ban.socket, "set", "plain", "banip", ...plainIps)
    await until(() => a.fail2ban.stamps("plain").filter((s) => plainIps.includes(s.ip)).length === n, 60_000, "A's plain jail")
    await plainCall
    m.gapPlain = medianGapMs(a.fail2ban.stamps("plain"), plainIps)
    m.added = Math.max(0, m.gapCluster - m.gapPlain)
    const cut = await cutStorm(a, b, proxy, n, cutSeconds)
    m.cutArrived = cut.arrived
    m.cutExecuted = cut.executed
    m.cutMs = cut.ms
    m.restartWaitS = 10
    const restart = await restartStorm(a, b, broker, n, m.restartWaitS)
    m.restartArrived = restart.arrived
    m.restartDownMs = restart.downMs
    return rows(m, n, cutSeconds)
  } finally {
    for (const host of hosts) await host.server?.stop()
    await proxy.close()
  }
}
