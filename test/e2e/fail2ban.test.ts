/**
 * The fleet the product exists for, with the real fail2ban: two simulated
 * hosts, each a fail2ban-server and an f2bc daemon, sharing bans over one
 * embedded broker with contrib/fail2ban's action and receive-jail pattern.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { BIN, ROOT, freePort, rawClient, runF2bc, startF2bc, stopAll, tempDir, waitUntil, writeConfig, type Running } from "../support/harness.js"

const CONTRIB = path.join(ROOT, "contrib/fail2ban")
const FAIL2BAN_SERVER = "/usr/bin/fail2ban-server"
const FAIL2BAN_CLIENT = "/usr/bin/fail2ban-client"

/** `fail2ban-client -s SOCKET ...args`, to completion. */
const client = (socket: string, ...args: ReadonlyArray<string>) => {
  const result = spawnSync(FAIL2BAN_CLIENT, ["-s", socket, ...args], { encoding: "utf8", timeout: 20_000 })
  return { code: result.status, out: `${result.stdout}${result.stderr}` }
}

/** The addresses `fail2ban-client status JAIL` lists as banned. */
const bannedIn = (socket: string, jail: string): ReadonlyArray<string> => {
  const { code, out } = client(socket, "status", jail)
  if (code !== 0) throw new Error(`fail2ban-client status ${jail} failed (${code}): ${out}`)
  const line = out.split("\n").find((l) => l.includes("Banned IP list:"))
  if (line === undefined) throw new Error(`no "Banned IP list" in: ${out}`)
  return line.split("Banned IP list:")[1]!.trim().split(/\s+/).filter((ip) => ip !== "")
}

interface Host {
  readonly name: string
  readonly dir: string
  readonly socket: string
  readonly authLog: string
  readonly f2bcConfig: string
  /** Lines the file-writing action wrote: `ban|unban <jail> <ip>`. */
  readonly record: () => ReadonlyArray<string>
  server?: ChildProcess
  daemon?: Running
}

/**
 * One simulated host's fail2ban, started the way fail2ban's own test suite
 * starts its servers: its own config dir, socket and pid file, an in-memory
 * database and the polling backend. The watching jail `sshd` bans from
 * `auth.log` and announces with contrib's f2bc action (run as `node dist/f2bc.js`);
 * the receive jail `cluster-sshd` has only the file-writing action.
 */
const makeHost = (root: string, name: string, brokerPort: number, secret: string, hostsBroker: boolean): Host => {
  const dir = path.join(root, name)
  const conf = path.join(dir, "fail2ban")
  for (const sub of ["action.d", "filter.d", "jail.d", "fail2ban.d"]) fs.mkdirSync(path.join(conf, sub), { recursive: true })
  const socket = path.join(dir, "fail2ban.sock")
  const authLog = path.join(dir, "auth.log")
  const recordFile = path.join(dir, "record")
  fs.writeFileSync(authLog, "")
  fs.writeFileSync(
    path.join(conf, "fail2ban.conf"),
    `[Definition]
loglevel = INFO
logtarget = ${path.join(dir, "fail2ban.log")}
syslogsocket = auto
socket = ${socket}
pidfile = ${path.join(dir, "fail2ban.pid")}
dbfile = :memory:
dbpurgeage = 1d
allowipv6 = auto
`
  )
  fs.writeFileSync(
    path.join(conf, "filter.d/test-auth.conf"),
    `[Definition]
failregex = ^Failed login from <HOST>$
datepattern = {NONE}
`
  )
  fs.writeFileSync(
    path.join(conf, "action.d/record.conf"),
    `[Definition]
actionban = echo ban <name> <ip> >> ${recordFile}
actionunban = echo unban <name> <ip> >> ${recordFile}
`
  )
  // The shipped action, byte for byte; the jail passes where f2bc and its config are.
  fs.copyFileSync(path.join(CONTRIB, "action.d/f2bc.conf"), path.join(conf, "action.d/f2bc.conf"))
  const f2bcConfig = path.join(dir, "f2bc.yml")
  fs.writeFileSync(
    path.join(conf, "jail.conf"),
    `[DEFAULT]
backend = polling
maxretry = 2
findtime = 10m
bantime = 1h

[sshd]
enabled = true
filter = test-auth
logpath = ${authLog}
action = record
         f2bc[f2bc="${process.execPath} ${BIN}", config="${f2bcConfig}", publish_timeout=10]

[cluster-sshd]
enabled = true
filter =
bantime = 1d
action = record
`
  )
  writeConfig(
    dir,
    `node_name: ${name}
log_level: 3
state_dir: ${path.join(dir, "state")}
${hostsBroker ? `broker:\n  host: 127.0.0.1\n  port: ${brokerPort}\n` : ""}servers:
  - host: 127.0.0.1
    port: ${brokerPort}
    channels:
      - name: Fail2ban
        secret_file: ${secret}
        action: "${FAIL2BAN_CLIENT} -s ${socket} set cluster-%jail% %action% %ip%"
    filter:
      - key: action
        values: [banip, unbanip]
      - key: jail
        values: [sshd]
`
  )
  const record = () => (fs.existsSync(recordFile) ? fs.readFileSync(recordFile, "utf8").split("\n").filter((l) => l !== "") : [])
  return { name, dir, socket, authLog, f2bcConfig, record }
}

const startFail2ban = async (host: Host): Promise<void> => {
  const server = spawn(FAIL2BAN_SERVER, ["-f", "-x", "-c", path.join(host.dir, "fail2ban")], { stdio: ["ignore", "pipe", "pipe"] })
  let out = ""
  server.stdout!.on("data", (chunk: Buffer) => (out += chunk.toString()))
  server.stderr!.on("data", (chunk: Buffer) => (out += chunk.toString()))
  host.server = server
  await waitUntil(() => (client(host.socket, "ping").out.includes("pong") ? true : undefined), 20_000, `${host.name}'s fail2ban-server to answer ping:\n${out}`)
  // Both jails up: the watching one and the receive one.
  expect(client(host.socket, "status").out).toMatch(/Jail list:\s+(sshd, cluster-sshd|cluster-sshd, sshd)/)
}

const stopFail2ban = async (host: Host): Promise<void> => {
  const server = host.server
  if (server === undefined || server.exitCode !== null || server.signalCode !== null) return
  const exited = new Promise((resolve) => server.once("exit", resolve))
  server.kill("SIGTERM")
  await exited
}

const failedLogins = (host: Host, ip: string, times: number) =>
  fs.appendFileSync(host.authLog, `Failed login from ${ip}\n`.repeat(times))

describe("two hosts share bans through the real fail2ban (contrib/fail2ban, docs/fail2ban.md)", () => {
  const root = tempDir("f2bc-fail2ban-")
  let a: Host
  let b: Host
  let observer: Awaited<ReturnType<typeof rawClient>>
  /** Every message the broker carried on the channel, as an independent subscriber saw it. */
  const carried = () => observer.received().split("\n").filter((line) => line.startsWith("Fail2ban!"))

  beforeAll(async () => {
    const brokerPort = await freePort()
    const secret = path.join(root, "cluster.key")
    fs.writeFileSync(secret, "a shared secret for the two test hosts", { mode: 0o600 })
    a = makeHost(root, "host-a", brokerPort, secret, true)
    b = makeHost(root, "host-b", brokerPort, secret, false)
    await Promise.all([startFail2ban(a), startFail2ban(b)])
    a.daemon = startF2bc(["daemon", "run", "--config", a.f2bcConfig])
    await a.daemon.waitFor(/connected, subscribed to Fail2ban/)
    b.daemon = startF2bc(["daemon", "run", "--config", b.f2bcConfig])
    await b.daemon.waitFor(/connected, subscribed to Fail2ban/)
    observer = await rawClient(brokerPort)
    observer.send("subscribe Fail2ban\n")
    await observer.sync()
  }, 60_000)

  afterAll(async () => {
    observer?.close()
    await stopAll()
    await Promise.all([a, b].filter((h) => h !== undefined).map(stopFail2ban))
  })

  it("a ban made by host A's jail lands in host B's receive jail, and only there, with one message", async () => {
    failedLogins(a, "192.0.2.7", 2)
    // A bans from its own log (fail2ban's own doing) and announces it...
    await waitUntil(() => (bannedIn(a.socket, "sshd").includes("192.0.2.7") ? true : undefined), 20_000, "host A's sshd jail to ban 192.0.2.7")
    // ...and B's daemon bans it in B's receive jail.
    await waitUntil(() => (bannedIn(b.socket, "cluster-sshd").includes("192.0.2.7") ? true : undefined), 20_000, "host B's cluster-sshd to ban 192.0.2.7")
    await a.daemon!.waitFor(/skipped at origin: own message: _origin=host-a/)
    await b.daemon!.waitFor(/action executed/)
    await observer.sync()

    expect(a.record()).toEqual(["ban sshd 192.0.2.7"])
    expect(b.record()).toEqual(["ban cluster-sshd 192.0.2.7"])
    // B's watching jail saw nothing; A's receive jail got nothing back: no echo.
    expect(bannedIn(b.socket, "sshd")).toEqual([])
    expect(bannedIn(a.socket, "cluster-sshd")).toEqual([])
    const messages = carried()
    expect(messages).toHaveLength(1)
    expect(messages[0]).toMatch(/^Fail2ban!jail=sshd, action=banip, ip=192\.0\.2\.7, ban_until=\d+, _id=[0-9a-f]{32}, _ts=\d+, _origin=host-a, _sig=[A-Za-z0-9_-]+$/)
  })

  it("an unban on host A (by hand here; bantime's end runs the same action) lifts the ban on host B", async () => {
    expect(client(a.socket, "set", "sshd", "unbanip", "192.0.2.7").code).toBe(0)
    await waitUntil(() => (bannedIn(b.socket, "cluster-sshd").includes("192.0.2.7") ? undefined : true), 20_000, "host B's cluster-sshd to unban 192.0.2.7")
    await observer.sync()
    expect(a.record()).toEqual(["ban sshd 192.0.2.7", "unban sshd 192.0.2.7"])
    expect(b.record()).toEqual(["ban cluster-sshd 192.0.2.7", "unban cluster-sshd 192.0.2.7"])
    const messages = carried()
    expect(messages).toHaveLength(2)
    expect(messages[1]).toMatch(/^Fail2ban!jail=sshd, action=unbanip, ip=192\.0\.2\.7, .*_origin=host-a, /)
  })

  it("works both ways: a ban made by host B reaches host A, still one message per ban", async () => {
    failedLogins(b, "198.51.100.23", 2)
    await waitUntil(() => (bannedIn(a.socket, "cluster-sshd").includes("198.51.100.23") ? true : undefined), 20_000, "host A's cluster-sshd to ban 198.51.100.23")
    await b.daemon!.waitFor(/skipped at origin: own message: _origin=host-b/)
    await observer.sync()
    expect(a.record()).toEqual(["ban sshd 192.0.2.7", "unban sshd 192.0.2.7", "ban cluster-sshd 198.51.100.23"])
    expect(bannedIn(b.socket, "sshd")).toEqual(["198.51.100.23"])
    expect(bannedIn(b.socket, "cluster-sshd")).toEqual([])
    expect(carried()).toHaveLength(3)
  })

  it("a ban that ends by bantime on host A ends on host B too", async () => {
    expect(client(a.socket, "set", "sshd", "bantime", "2").code).toBe(0)
    failedLogins(a, "203.0.113.9", 2)
    await waitUntil(() => (bannedIn(b.socket, "cluster-sshd").includes("203.0.113.9") ? true : undefined), 20_000, "host B's cluster-sshd to ban 203.0.113.9")
    // Host B's own bantime for the receive jail is a day: only A's announced unban lifts it this soon.
    await waitUntil(() => (bannedIn(b.socket, "cluster-sshd").includes("203.0.113.9") ? undefined : true), 20_000, "host B's cluster-sshd to unban 203.0.113.9")
    await observer.sync()
    const messages = carried()
    expect(messages).toHaveLength(5)
    expect(messages[3]).toMatch(/^Fail2ban!jail=sshd, action=banip, ip=203\.0\.113\.9, .*_origin=host-a, /)
    expect(messages[4]).toMatch(/^Fail2ban!jail=sshd, action=unbanip, ip=203\.0\.113\.9, .*_origin=host-a, /)
    expect(client(a.socket, "set", "sshd", "bantime", "3600").code).toBe(0)
  })

  it("docs/fail2ban.md quotes fail2ban as it prints: a missing jail's text on stdout, the status lines", () => {
    const doc = fs.readFileSync(path.join(ROOT, "docs/fail2ban.md"), "utf8")
    const missing = spawnSync(FAIL2BAN_CLIENT, ["-s", b.socket, "set", "cluster-sshd-missing", "banip", "192.0.2.99"], { encoding: "utf8", timeout: 20_000 })
    expect(missing.status).toBe(255)
    expect(missing.stdout.trim()).toBe("Sorry but the jail 'cluster-sshd-missing' does not exist")
    expect(missing.stderr).toContain("ERROR   NOK: ('cluster-sshd-missing',)")
    expect(doc).toContain(`stderr="… ERROR   NOK: ('cluster-sshd',)" argv=[…] stdout="Sorry but the jail 'cluster-sshd' does not exist"`)
    const status = client(b.socket, "status", "cluster-sshd").out
    expect(status).toMatch(/^`- Actions\n {3}\|- Currently banned:\t\d+\n {3}\|- Total banned:\t\d+\n {3}`- Banned IP list:\t/m)
    expect(doc).toContain("`- Actions\n   |- Currently banned:\t1\n   |- Total banned:\t1\n   `- Banned IP list:\t192.0.2.7\n")
    const jails = client(b.socket, "status").out
    expect(jails).toMatch(/^`- Jail list:\t/m)
    expect(doc).toContain("`- Jail list:\tcluster-sshd, sshd\n")
  })

  it("stopping host B's fail2ban lifts its bans locally but announces no unban (actionflush), so host A keeps the ban", async () => {
    await stopFail2ban(b)
    // fail2ban flushes synchronously on stop: by now every action of the stop has run.
    expect(b.record()).toContain("unban sshd 198.51.100.23") // its firewall stand-in was flushed
    await observer.sync()
    expect(carried()).toHaveLength(5)
    expect(bannedIn(a.socket, "cluster-sshd")).toEqual(["198.51.100.23"])
  })
})

describe("contrib/fail2ban against Debian's own fail2ban configuration", () => {
  /**
   * A copy of /etc/fail2ban with contrib's action.d and jail.d in it, and
   * `jailOverride` read last; `fail2ban-client -t` must accept it. Returns `-d`'s dump.
   */
  const testedCopy = (jailOverride = "") => {
    const dir = tempDir("f2bc-contrib-")
    const conf = path.join(dir, "fail2ban")
    fs.cpSync("/etc/fail2ban", conf, { recursive: true })
    for (const file of ["action.d/f2bc.conf", "action.d/f2bc-daemon.py", "jail.d/f2bc-cluster.local"]) fs.copyFileSync(path.join(CONTRIB, file), path.join(conf, file))
    // Debian's sshd jail reads /var/log/auth.log; on a machine without it, point it at an empty file.
    const authLog = path.join(dir, "auth.log")
    fs.writeFileSync(authLog, "")
    fs.writeFileSync(path.join(conf, "jail.d/zz-test.local"), `[sshd]\nbackend = polling\nlogpath = ${authLog}\n${jailOverride}`)

    const test = spawnSync(FAIL2BAN_CLIENT, ["-c", conf, "-t"], { encoding: "utf8" })
    expect(`${test.stdout}${test.stderr}`).toContain("OK: configuration test is successful")
    expect(test.status).toBe(0)
    const dump = spawnSync(FAIL2BAN_CLIENT, ["-c", conf, "-d"], { encoding: "utf8" }).stdout
    // The receive jail exists and announces nothing.
    expect(dump).toContain("['add', 'cluster-sshd',")
    expect(dump).not.toMatch(/'cluster-sshd', 'addaction', 'f2bc/)
    return { conf, dump }
  }

  it("the shipped jail.d passes `fail2ban-client -t` with the recommended f2bc-daemon.py, whose parameters build the action", () => {
    const { conf, dump } = testedCopy()
    const addAction = dump.split("\n").find((line) => line.includes("['set', 'sshd', 'addaction', 'f2bc-daemon',"))
    expect(addAction).toBe(
      `['set', 'sshd', 'addaction', 'f2bc-daemon', '${conf}/action.d/f2bc-daemon.py', '{"socket": "/run/f2bc/f2bc.sock", "channel": "Fail2ban"}']`
    )
    // `-t` does not load a Python action: build it with the options fail2ban would pass.
    const options = /'(\{.*\})'\]$/.exec(addAction!)![1]!
    const script = `import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("f2bc_daemon", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
class Jail: name = "sshd"
action = module.Action(Jail(), "f2bc-daemon", **json.loads(sys.argv[2]))
print(action.socket, action.channel, action.timeout, action.flush())`
    const built = spawnSync("/usr/bin/python3", ["-c", script, path.join(conf, "action.d/f2bc-daemon.py"), options], { encoding: "utf8" })
    expect(built.stderr).toBe("")
    expect(built.stdout).toBe("/run/f2bc/f2bc.sock Fail2ban 2.0 True\n")
  })

  it("the command action f2bc.conf passes `fail2ban-client -t`, with every f2bc parameter filled in", () => {
    const { dump } = testedCopy("action = %(action_)s\n         f2bc\n")
    const f2bcLines = dump.split("\n").filter((line) => line.includes("'f2bc'"))
    expect(f2bcLines.some((line) => line.includes("['set', 'sshd', 'addaction', 'f2bc']"))).toBe(true)
    const actionSet = f2bcLines.find((line) => line.includes("'multi-set', 'sshd', 'action', 'f2bc'"))
    expect(actionSet).toBeDefined()
    expect(actionSet).toContain(
      `'b=<bantime>; t=<time>; f2bc publish --config /etc/fail2ban-cluster.yml --channel Fail2ban --timeout 10 --message "jail=sshd, action=banip, ip=<ip>" $( [ "$b" -lt 0 ] && echo --ban-until=-1 || echo --ban-until $(( \${t%%.*} + b )) )'`
    )
    expect(actionSet).toContain(`'actionunban', 'f2bc publish --config /etc/fail2ban-cluster.yml --channel Fail2ban --timeout 10 --message "jail=sshd, action=unbanip, ip=<ip>"'`)
    expect(actionSet).toContain("['norestored', True]")
    expect(actionSet).toContain("['actionflush', 'true']")
  })
})

describe("contrib/f2bc: the cluster configs docs/fail2ban.md copies", () => {
  it.each(["hub.yml", "member.yml"])("%s loads and sends a ban from another host to the receive jail", async (name) => {
    const dir = tempDir("f2bc-contrib-")
    const secret = path.join(dir, "fail2ban.key")
    fs.writeFileSync(secret, "a secret long enough for the check", { mode: 0o600 })
    // The file as shipped, with the host's paths pointed into the temp dir and loopback for 10.0.0.1.
    const text = fs
      .readFileSync(path.join(ROOT, "contrib/f2bc", name), "utf8")
      .replaceAll("/etc/f2bc/fail2ban.key", secret)
      .replaceAll("/run/f2bc/f2bc.pid", path.join(dir, "f2bc.pid"))
      .replaceAll("10.0.0.1", "127.0.0.1")
    const config = writeConfig(dir, text)
    const result = await runF2bc(["check", "--config", config, "-c", "Fail2ban", "-m", "jail=sshd, action=banip, ip=192.0.2.7"])
    expect(result.stderr).toBe("")
    expect(result.code).toBe(0)
    expect(result.stdout).toContain(`would run ["fail2ban-client","set","cluster-sshd","banip","192.0.2.7"] over fail2ban's socket /var/run/fail2ban/fail2ban.sock (fail2ban_socket: no process)`)
  })
})
