/**
 * contrib/fail2ban/action.d/f2bc-daemon.py inside a real fail2ban-server, against a
 * stand-in control socket: what it sends, what fail2ban logs, and that the local ban stands.
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ROOT, tempDir } from "../support/harness.js"
import { accepted, bannedIn, fail2banClient, fakeDaemon, FAIL2BAN_PYTHON, FAIL2BAN_SERVER, makeFail2ban, recordAction, type Fail2ban } from "../support/fail2ban.js"

const ACTION = path.join(ROOT, "contrib/fail2ban/action.d/f2bc-daemon.py")
const DOC = path.join(ROOT, "docs/fail2ban.md")


describe("f2bc-daemon.py in a real fail2ban-server (docs/fail2ban.md)", () => {
  const dir = tempDir("f2bc-pyaction-")
  const daemonSocket = path.join(dir, "f2bc.sock")
  const record = recordAction(dir)
  let fail2ban: Fail2ban
  let daemon: Awaited<ReturnType<typeof fakeDaemon>>
  const ban = async (...ips: ReadonlyArray<string>) => expect((await fail2banClient(fail2ban.socket, "set", "sshd", "banip", ...ips)).code).toBe(0)
  const unban = async (...ips: ReadonlyArray<string>) => expect((await fail2banClient(fail2ban.socket, "set", "sshd", "unbanip", ...ips)).code).toBe(0)
  /** A ban carries ban_until (its time plus the jail's 1h bantime); an unban nothing more. */
  const publish = (action: string, ip: string) =>
    action === "banip"
      ? expect.stringMatching(new RegExp(`^publish Fail2ban jail=sshd, action=banip, ip=${ip.replace(/\./g, "\\.")}, ban_until=\\d+$`))
      : `publish Fail2ban jail=sshd, action=${action}, ip=${ip}`
  /** The fail2ban log line for a ban or unban the daemon did not take. */
  const notAnnounced = (action: string, ip: string, reason: string) => `ERROR   [sshd] f2bc-daemon: ${action} ${ip} not announced: ${reason}`

  beforeAll(async () => {
    daemon = await fakeDaemon(daemonSocket, accepted())
    fail2ban = makeFail2ban(
      dir,
      `[sshd]
enabled = true
filter =
bantime = 1h
action = record
         f2bc-daemon.py[socket="${daemonSocket}", channel=Fail2ban, timeout=0.5]
`,
      { "action.d/record.conf": record.conf, "action.d/f2bc-daemon.py": fs.readFileSync(ACTION) },
      { dbfile: path.join(dir, "fail2ban.sqlite3") }
    )
    await fail2ban.start()
  }, 30_000)

  afterAll(async () => {
    await fail2ban?.stop()
    await daemon?.close()
  })

  it("each ban and unban is one publish line on the control socket, in the jail's order, logged with the daemon's id", async () => {
    const before = Math.floor(Date.now() / 1000)
    await ban("192.0.2.7", "192.0.2.8", "2001:db8::1")
    await unban("192.0.2.7")
    const lines = await daemon.waitForLines(4)
    expect(lines).toEqual([
      publish("banip", "192.0.2.7"),
      publish("banip", "192.0.2.8"),
      publish("banip", "2001:db8::1"),
      publish("unbanip", "192.0.2.7")
    ])
    // ban_until: the ticket's ban time plus the jail's bantime (1h).
    const until = Number(lines[0]!.match(/ban_until=(\d+)$/)![1])
    expect(until).toBeGreaterThanOrEqual(before + 3600)
    expect(until).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 3600)
    await fail2ban.waitForLog("[sshd] f2bc-daemon: unbanip 192.0.2.7 handed to the f2bc daemon, id 0123456789abcdef0123456789abcdef")
    expect(fail2ban.log()).toContain("INFO    [sshd] f2bc-daemon: banip 192.0.2.8 handed to the f2bc daemon, id 0123456789abcdef0123456789abcdef")
  })

  it("a refusal is logged as an error naming the socket and the daemon's reason; the local ban stands", async () => {
    daemon.answerWith(() => `{"ok":false,"error":"the outbox is full (100000 entries)"}\n`)
    await ban("198.51.100.1")
    await fail2ban.waitForLog(notAnnounced("banip", "198.51.100.1", `the f2bc daemon at ${daemonSocket} refused it: the outbox is full (100000 entries)`))
    expect(await bannedIn(fail2ban.socket, "sshd")).toContain("198.51.100.1")
    expect(record.lines()).toContain("ban 198.51.100.1")
    // One error line, the action's own: nothing raised for fail2ban to log again with the ticket's dump.
    expect(fail2ban.log()).not.toContain("Failed to execute ban jail 'sshd' action 'f2bc-daemon'")
  })

  it("a daemon that takes no answer within `timeout` is an error, and the jail goes on", async () => {
    daemon.answerWith(() => undefined)
    await ban("198.51.100.2")
    await fail2ban.waitForLog(notAnnounced("banip", "198.51.100.2", `no answer from the f2bc daemon at ${daemonSocket} within 0.5 s`))
    expect(await bannedIn(fail2ban.socket, "sshd")).toContain("198.51.100.2")
  })

  it("an answer that is not the publish verb's is an error: an older daemon's unknown request, garbage", async () => {
    daemon.answerWith(() => `{"error":"unknown request \\"publish Fail2ban jail=sshd, action=banip, ip=198.51.100.3\\""}\n`)
    await ban("198.51.100.3")
    await fail2ban.waitForLog(
      `refused it: unknown request "publish Fail2ban jail=sshd, action=banip, ip=198.51.100.3" (an f2bc daemon older than the publish verb? upgrade f2bc)`
    )
    daemon.answerWith(() => "not json\n")
    await ban("198.51.100.4")
    await fail2ban.waitForLog(notAnnounced("banip", "198.51.100.4", `unexpected answer from ${daemonSocket}: 'not json'`))
    expect(await bannedIn(fail2ban.socket, "sshd")).toEqual(expect.arrayContaining(["198.51.100.3", "198.51.100.4"]))
  })

  it("no daemon: the error names the socket and the cause, the ban and unban stand locally", async () => {
    await daemon.close()
    await ban("198.51.100.5")
    await fail2ban.waitForLog(
      notAnnounced("banip", "198.51.100.5", `cannot reach the f2bc daemon at ${daemonSocket}: No such file or directory (is f2bc daemon running?)`)
    )
    await unban("198.51.100.5")
    await fail2ban.waitForLog(notAnnounced("unbanip", "198.51.100.5", `cannot reach the f2bc daemon at ${daemonSocket}: No such file or directory`))
    expect(record.lines().slice(-2)).toEqual(["ban 198.51.100.5", "unban 198.51.100.5"])
    // The socket file a killed daemon leaves behind: bound, nobody listening.
    const stale = spawnSync(FAIL2BAN_PYTHON, ["-c", "import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])", daemonSocket])
    expect(stale.status).toBe(0)
    await ban("198.51.100.6")
    await fail2ban.waitForLog(notAnnounced("banip", "198.51.100.6", `cannot reach the f2bc daemon at ${daemonSocket}: Connection refused (is f2bc daemon running?)`))
    fs.rmSync(daemonSocket)
    daemon = await fakeDaemon(daemonSocket, accepted())
  })

  it("stopping fail2ban flushes the firewall action but announces nothing", async () => {
    const banned = await bannedIn(fail2ban.socket, "sshd")
    expect(banned.length).toBeGreaterThan(0)
    await fail2ban.stop()
    // fail2ban flushes on stop before it exits: by now every action of the stop has run.
    expect(fail2ban.log()).toContain("[sshd] Flush ticket(s) with f2bc-daemon")
    for (const ip of banned) expect(record.lines()).toContain(`unban ${ip}`)
    expect(daemon.lines()).toEqual([])
  })

  it("bans restored from fail2ban's database at start are not announced; a restored ban that ends is", async () => {
    await fail2ban.start()
    await fail2ban.waitForLog("[sshd] Restore Ban 192.0.2.8")
    // The jail's actions run one ticket after another: once this ban is on the socket,
    // the restored ones before it have been through the action.
    await ban("203.0.113.5")
    expect(await daemon.waitForLines(1)).toEqual([publish("banip", "203.0.113.5")])
    expect(record.lines()).toContain("ban 192.0.2.8")
    await unban("192.0.2.8")
    expect(await daemon.waitForLines(2)).toEqual([publish("banip", "203.0.113.5"), publish("unbanip", "192.0.2.8")])
  })

  it("docs/fail2ban.md quotes the action's error lines as fail2ban logged them here (with the shipped socket and timeout)", () => {
    const doc = fs.readFileSync(DOC, "utf8")
    const logged = (ip: string) => {
      const line = fail2ban.log().split("\n").find((l) => l.includes(`f2bc-daemon: banip ${ip} not announced`))
      expect(line).toBeDefined()
      return line!.slice(line!.indexOf("ERROR")).replaceAll(daemonSocket, "/run/f2bc/f2bc.sock").replaceAll(ip, "192.0.2.7").replace("within 0.5 s", "within 2 s")
    }
    expect(doc).toContain(logged("198.51.100.5"))
    expect(doc).toContain(`… ${logged("198.51.100.6").slice(logged("198.51.100.6").indexOf("cannot reach"))}`)
    const tail = (line: string) => line.slice(line.indexOf(" not announced:"))
    expect(doc).toContain(tail(logged("198.51.100.2")))
    expect(doc).toContain(tail(logged("198.51.100.3")))
  })

  it("`unban --all` and `reload` announce nothing; the action survives a reload and takes its new parameters", async () => {
    expect((await fail2banClient(fail2ban.socket, "unban", "--all")).code).toBe(0)
    expect(await bannedIn(fail2ban.socket, "sshd")).toEqual([])
    const reload = async () => expect((await fail2banClient(fail2ban.socket, "-c", fail2ban.conf, "reload")).code).toBe(0)
    await reload()
    await ban("203.0.113.6")
    expect((await daemon.waitForLines(3)).slice(2)).toEqual([publish("banip", "203.0.113.6")])
    const jails = path.join(fail2ban.conf, "jail.conf")
    fs.writeFileSync(jails, fs.readFileSync(jails, "utf8").replace("channel=Fail2ban", "channel=Bans"))
    await reload()
    await ban("203.0.113.7")
    expect((await daemon.waitForLines(4)).slice(3)).toEqual([expect.stringMatching(/^publish Bans jail=sshd, action=banip, ip=203\.0\.113\.7, ban_until=\d+$/)])
  })
})

describe("f2bc-daemon.py's parameters, checked when fail2ban builds the action", () => {
  /** Builds the action with each options object; each result is null or the error's `Type: text`. */
  const construct = (jail: string, cases: ReadonlyArray<Record<string, string>>): ReadonlyArray<string | null> => {
    const script = `
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("f2bc_daemon", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
class Jail: name = sys.argv[2]
results = []
for options in json.loads(sys.argv[3]):
    try:
        module.Action(Jail(), "f2bc-daemon", **options)
        results.append(None)
    except Exception as error:
        results.append("%s: %s" % (type(error).__name__, error))
print(json.dumps(results))
`
    const run = spawnSync(FAIL2BAN_PYTHON, ["-c", script, ACTION, jail, JSON.stringify(cases)], { encoding: "utf8" })
    expect(run.stderr).toBe("")
    return JSON.parse(run.stdout) as ReadonlyArray<string | null>
  }

  it("accepts the defaults and well-formed values", () => {
    expect(construct("sshd", [{}, { socket: "/run/f2bc/f2bc.sock", channel: "Fail2ban", timeout: "2" }, { timeout: "0.25" }, { channel: "bans.v2-x" }])).toEqual([
      null,
      null,
      null,
      null
    ])
  })

  it("refuses a channel the wire would refuse, naming the character", () => {
    expect(construct("sshd", [{ channel: "" }, { channel: "fail 2ban" }, { channel: "a!b" }, { channel: "a\tb" }, { channel: "all" }, { channel: "debug" }])).toEqual([
      "ValueError: f2bc-daemon: channel is empty",
      "ValueError: f2bc-daemon: channel='fail 2ban' cannot travel on the wire: it contains a space",
      `ValueError: f2bc-daemon: channel='a!b' cannot travel on the wire: it contains "!"`,
      "ValueError: f2bc-daemon: channel='a\\tb' cannot travel on the wire: it contains a tab",
      "ValueError: f2bc-daemon: channel='all' is reserved by the pub/sub server (all, debug)",
      "ValueError: f2bc-daemon: channel='debug' is reserved by the pub/sub server (all, debug)"
    ])
  })

  it("refuses a socket path that is relative or too long for a Unix socket, and a timeout out of range", () => {
    expect(construct("sshd", [{ socket: "f2bc.sock" }, { socket: `/${"x".repeat(107)}` }, { timeout: "0" }, { timeout: "61" }, { timeout: "2s" }])).toEqual([
      "ValueError: f2bc-daemon: socket='f2bc.sock' is not an absolute path (the daemon's control_socket, e.g. /run/f2bc/f2bc.sock)",
      `ValueError: f2bc-daemon: socket='/${"x".repeat(107)}' is longer than a Unix socket path can be (107 bytes)`,
      "ValueError: f2bc-daemon: timeout='0' is out of range: above 0 and at most 60 s (the jail's bans wait for it)",
      "ValueError: f2bc-daemon: timeout='61' is out of range: above 0 and at most 60 s (the jail's bans wait for it)",
      "ValueError: f2bc-daemon: timeout='2s' is not a number of seconds"
    ])
  })

  it("refuses an unknown parameter (a typo) and a jail name that cannot be a message value", () => {
    expect(construct("sshd", [{ chanel: "Fail2ban" }])[0]).toMatch(/^TypeError: .*unexpected keyword argument 'chanel'$/)
    expect(construct("web,ssh", [{}])).toEqual([
      `ValueError: f2bc-daemon: jail name 'web,ssh' cannot be a message value (no ",", control characters or outer spaces)`
    ])
  })

  it("a bad parameter in a jail: fail2ban-server refuses to start and logs the action's reason", () => {
    const dir = tempDir("f2bc-pyaction-bad-")
    const fail2ban = makeFail2ban(dir, `[sshd]\nenabled = true\nfilter =\naction = f2bc-daemon.py[socket=f2bc.sock]\n`, { "action.d/f2bc-daemon.py": fs.readFileSync(ACTION) })
    const run = spawnSync(FAIL2BAN_SERVER, ["-f", "-x", "-c", fail2ban.conf], { encoding: "utf8", timeout: 20_000 })
    expect(run.status).not.toBe(0)
    const line = `ERROR   NOK: ("f2bc-daemon: socket='f2bc.sock' is not an absolute path (the daemon's control_socket, e.g. /run/f2bc/f2bc.sock)",)`
    expect(fail2ban.log()).toContain(line)
    expect(fs.readFileSync(DOC, "utf8")).toContain(line)
  })
})
