/**
 * The recommended fleet (docs/fail2ban.md) with the real fail2ban: host A's jail hands its
 * bans to A's daemon through contrib's f2bc-daemon.py; host B's daemon applies them.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { freePort, logTimeMs, rawClient, ROOT, startF2bc, stopAll, tempDir, waitUntil, writeConfig, type Running } from "../support/harness.js"
import { bannedIn, fail2banClient, FAIL2BAN_CLIENT, makeFail2ban, recordAction, type Fail2ban } from "../support/fail2ban.js"

const ACTION = path.join(ROOT, "contrib/fail2ban/action.d/f2bc-daemon.py")

interface Host {
  readonly fail2ban: Fail2ban
  readonly record: () => ReadonlyArray<string>
  readonly authLog: string
  readonly f2bcConfig: string
  readonly controlSocket: string
  daemon?: Running
}

/**
 * One simulated host: its fail2ban (watching jail `sshd` from `auth.log`, with the
 * recommended f2bc-daemon.py; receive jail `cluster-sshd`, record action only;
 * a database on disk, so bans are restored at start) and its daemon's config.
 */
const makeHost = (root: string, name: string, brokerPort: number, secret: string, hostsBroker: boolean): Host => {
  const dir = path.join(root, name)
  fs.mkdirSync(dir, { recursive: true })
  const authLog = path.join(dir, "auth.log")
  fs.writeFileSync(authLog, "")
  const controlSocket = path.join(dir, "f2bc.sock")
  const record = recordAction(dir)
  const fail2ban = makeFail2ban(
    dir,
    `[sshd]
enabled = true
filter = test-auth
logpath = ${authLog}
maxretry = 2
bantime = 1h
action = record
         f2bc-daemon.py[socket="${controlSocket}", channel=Fail2ban]

[cluster-sshd]
enabled = true
filter =
bantime = 1d
action = record

[elsewhere]
enabled = true
filter =
action = f2bc-daemon.py[socket="${controlSocket}", channel=Elsewhere]
`,
    {
      "filter.d/test-auth.conf": "[Definition]\nfailregex = ^Failed login from <HOST>$\ndatepattern = {NONE}\n",
      "action.d/record.conf": record.conf,
      "action.d/f2bc-daemon.py": fs.readFileSync(ACTION)
    },
    { dbfile: path.join(dir, "fail2ban.sqlite3") }
  )
  const f2bcConfig = writeConfig(
    dir,
    `node_name: ${name}
log_level: 3
control_socket: ${controlSocket}
state_dir: ${path.join(dir, "state")}
${hostsBroker ? `broker:\n  host: 127.0.0.1\n  port: ${brokerPort}\n` : ""}servers:
  - host: 127.0.0.1
    port: ${brokerPort}
    channels:
      - name: Fail2ban
        secret_file: ${secret}
        action: "${FAIL2BAN_CLIENT} -s ${fail2ban.socket} set cluster-%jail% %action% %ip%"
        expire_action: "${FAIL2BAN_CLIENT} -s ${fail2ban.socket} set cluster-%jail% unbanip %ip%"
    filter:
      - key: action
        values: [banip, unbanip]
      - key: jail
        values: [sshd]
`
  )
  return { fail2ban, record: record.lines, authLog, f2bcConfig, controlSocket }
}

describe("two hosts share bans through f2bc-daemon.py and the daemons (docs/fail2ban.md)", () => {
  const root = tempDir("f2bc-pyfleet-")
  let a: Host
  let b: Host
  let observer: Awaited<ReturnType<typeof rawClient>>
  /** Every message the broker carried on the channel, as an independent subscriber saw it. */
  const carried = () => observer.received().split("\n").filter((line) => line.startsWith("Fail2ban!"))
  /** Waits until the broker carried `count` messages; returns them. */
  const waitCarried = (count: number) => waitUntil(() => (carried().length >= count ? carried() : undefined), 20_000, `${count} message(s) on the broker`)
  const banOnA = async (...ips: ReadonlyArray<string>) => expect((await fail2banClient(a.fail2ban.socket, "set", "sshd", "banip", ...ips)).code).toBe(0)
  const inB = () => bannedIn(b.fail2ban.socket, "cluster-sshd")

  let brokerPort = 0
  const observe = async () => {
    observer = await rawClient(brokerPort)
    observer.send("subscribe Fail2ban\n")
    await observer.sync()
  }

  beforeAll(async () => {
    brokerPort = await freePort()
    const secret = path.join(root, "cluster.key")
    fs.writeFileSync(secret, "a shared secret for the two test hosts", { mode: 0o600 })
    a = makeHost(root, "host-a", brokerPort, secret, true)
    b = makeHost(root, "host-b", brokerPort, secret, false)
    await Promise.all([a.fail2ban.start(), b.fail2ban.start()])
    a.daemon = startF2bc(["daemon", "run", "--config", a.f2bcConfig])
    await a.daemon.waitFor(/connected, subscribed to Fail2ban/)
    b.daemon = startF2bc(["daemon", "run", "--config", b.f2bcConfig])
    await b.daemon.waitFor(/connected, subscribed to Fail2ban/)
    await observe()
  }, 60_000)

  afterAll(async () => {
    observer?.close()
    await stopAll()
    await Promise.all([a, b].filter((h) => h !== undefined).map((h) => h.fail2ban.stop()))
  })

  it("a ban made by A's jail from its log reaches B's receive jail, as one signed message with the id A's fail2ban logged", async () => {
    fs.appendFileSync(a.authLog, "Failed login from 192.0.2.7\n".repeat(2))
    await waitUntil(() => (b.record().includes("ban 192.0.2.7") ? true : undefined), 20_000, "host B's cluster-sshd to ban 192.0.2.7")
    expect(await inB()).toEqual(["192.0.2.7"])
    expect(a.record()).toEqual(["ban 192.0.2.7"])
    const [message] = await waitCarried(1)
    expect(message).toMatch(/^Fail2ban!jail=sshd, action=banip, ip=192\.0\.2\.7, ban_until=\d+, _id=[0-9a-f]{32}, _ts=\d+, _origin=host-a, _sig=[A-Za-z0-9_-]+$/)
    const id = /_id=([0-9a-f]{32})/.exec(message!)![1]
    expect(a.fail2ban.log()).toContain(`INFO    [sshd] f2bc-daemon: banip 192.0.2.7 handed to the f2bc daemon, id ${id}`)
    await a.daemon!.waitFor(/skipped at origin: own message: _origin=host-a/)
  })

  it("an unban on A lifts the ban on B", async () => {
    expect((await fail2banClient(a.fail2ban.socket, "set", "sshd", "unbanip", "192.0.2.7")).code).toBe(0)
    await waitUntil(() => (b.record().includes("unban 192.0.2.7") ? true : undefined), 20_000, "host B's cluster-sshd to unban 192.0.2.7")
    expect(await inB()).toEqual([])
    expect((await waitCarried(2))[1]).toMatch(/^Fail2ban!jail=sshd, action=unbanip, ip=192\.0\.2\.7, .*_origin=host-a, /)
  })

  it("a storm banned in one banip call on A is banned on B, one message per address", async () => {
    const storm = Array.from({ length: 50 }, (_, i) => `198.51.100.${i + 1}`)
    await banOnA(...storm)
    await waitUntil(() => (storm.every((ip) => b.record().includes(`ban ${ip}`)) ? true : undefined), 30_000, "host B to ban the 50 addresses")
    expect([...(await inB())].sort()).toEqual([...storm].sort())
    expect(await waitCarried(52)).toHaveLength(52)
  })

  it("stopping A's fail2ban announces nothing, and the bans it restores at start are not announced", async () => {
    await a.fail2ban.stop()
    expect(a.record()).toContain("unban 198.51.100.1") // A's firewall stand-in was flushed
    await a.fail2ban.start()
    await a.fail2ban.waitForLog("[sshd] Restore Ban 198.51.100.50")
    // The jail's actions run one ticket after another, and A's daemon sends in the order it
    // accepted: once this ban is on the broker, nothing before it is still on the way.
    await banOnA("203.0.113.5")
    const messages = await waitCarried(53)
    expect(messages.slice(52)).toHaveLength(1)
    expect(messages[52]).toMatch(/^Fail2ban!jail=sshd, action=banip, ip=203\.0\.113\.5, /)
    // B applies it a moment after the broker carried it (its batch lingers, then fail2ban-client runs).
    await waitUntil(() => (b.record().includes("ban 203.0.113.5") ? true : undefined), 20_000, "host B to ban 203.0.113.5")
    expect(await inB()).toHaveLength(51) // B kept every ban: nothing announced an unban
  })

  it("a channel A's daemon does not carry is refused with the daemon's reason in A's fail2ban log (as docs/fail2ban.md quotes it)", async () => {
    expect((await fail2banClient(a.fail2ban.socket, "set", "elsewhere", "banip", "192.0.2.44")).code).toBe(0)
    const line = `not announced: the f2bc daemon at ${a.controlSocket} refused it: no server in ${a.f2bcConfig} has a channel named "Elsewhere"`
    await a.fail2ban.waitForLog(`ERROR   [elsewhere] f2bc-daemon: banip 192.0.2.44 ${line}`)
    expect(await bannedIn(a.fail2ban.socket, "elsewhere")).toEqual(["192.0.2.44"])
    const doc = fs.readFileSync(path.join(ROOT, "docs/fail2ban.md"), "utf8")
    expect(doc).toContain(line.replace(a.controlSocket, "/run/f2bc/f2bc.sock").replace(a.f2bcConfig, "/etc/fail2ban-cluster.yml"))
    expect(doc).toContain("INFO    [sshd] f2bc-daemon: banip 192.0.2.7 handed to the f2bc daemon, id ")
  })

  it("with A's daemon stopped, A's fail2ban logs an error naming the socket and keeps its own ban", async () => {
    await a.daemon!.stop()
    await banOnA("203.0.113.9")
    await a.fail2ban.waitForLog(
      `ERROR   [sshd] f2bc-daemon: banip 203.0.113.9 not announced: cannot reach the f2bc daemon at ${a.controlSocket}: No such file or directory (is f2bc daemon running?)`
    )
    expect(await bannedIn(a.fail2ban.socket, "sshd")).toContain("203.0.113.9")
    expect(a.record()).toContain("ban 203.0.113.9")
  })

  /** ban_until of the ban of `ip` the broker carried. */
  const banUntilOf = (ip: string) =>
    waitUntil(() => {
      const line = carried().find((m) => m.includes(`action=banip, ip=${ip}, `))
      return line === undefined ? undefined : Number(/ban_until=(\d+)/.exec(line)![1])
    }, 20_000, `the ban of ${ip} on the broker`)
  /** Starts A's daemon (and the broker it hosts) again; B and the observer reconnect. */
  const startA = async () => {
    const from = b.daemon!.output().length
    a.daemon = startF2bc(["daemon", "run", "--config", a.f2bcConfig])
    await a.daemon.waitFor(/connected, subscribed to Fail2ban/)
    await b.daemon!.waitFor(/connected, subscribed to Fail2ban/, 20_000, from)
    observer.close()
    await observe()
  }

  it("a 3-second ban on A is lifted on B at its ban_until, though B's receive jail bans for a day and A died before its unban", async () => {
    await startA()
    expect((await fail2banClient(a.fail2ban.socket, "set", "sshd", "bantime", "3")).code).toBe(0)
    await banOnA("192.0.2.99")
    const until = await banUntilOf("192.0.2.99")
    await waitUntil(() => (b.record().includes("ban 192.0.2.99") ? true : undefined), 20_000, "host B to ban 192.0.2.99")
    // A's daemon goes away: A's own unban 3 s later is never announced.
    await a.daemon!.stop()
    await waitUntil(() => (b.record().includes("unban 192.0.2.99") ? true : undefined), 20_000, "host B to lift 192.0.2.99")
    expect(await inB()).not.toContain("192.0.2.99")
    const [line] = await b.daemon!.waitFor(/^.*expired: ban_until reached .*192\.0\.2\.99.*$/m)
    expect(Math.abs(logTimeMs(line) - until * 1000)).toBeLessThan(1000)
  })

  it("an expiry that fell due while B's daemon was down runs when it starts", async () => {
    await startA()
    await banOnA("192.0.2.100")
    const until = await banUntilOf("192.0.2.100")
    await waitUntil(() => (b.record().includes("ban 192.0.2.100") ? true : undefined), 20_000, "host B to ban 192.0.2.100")
    await Promise.all([b.daemon!.stop(), a.daemon!.stop()])
    await waitUntil(() => (Date.now() > until * 1000 + 1500 ? true : undefined), 10_000, "ban_until to pass")
    expect(b.record()).not.toContain("unban 192.0.2.100")
    b.daemon = startF2bc(["daemon", "run", "--config", b.f2bcConfig])
    await b.daemon.waitFor(/expiries .*: \d+ expiries scheduled from before the start/)
    await waitUntil(() => (b.record().includes("unban 192.0.2.100") ? true : undefined), 20_000, "host B to lift 192.0.2.100 at start")
    expect(await inB()).not.toContain("192.0.2.100")
  })
})
