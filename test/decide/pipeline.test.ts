/**
 * security.md pipeline: `decide` runs grammar → envelope → signature → timestamp →
 * duplicate → origin → types → ignoreip → filter → render, each with its own reason, and executes the rest once.
 */
import { describe, expect, it } from "vitest"
import { renderRejection } from "../../src/decide/rejection.js"
import { appendSignature, makeSeenTable } from "../../src/trust/index.js"
import {
  decideOnce,
  decideRecording as decide,
  type Described as Decision,
  decoded,
  deliveryOf,
  envelopeOf,
  NOW_MS,
  NOW_S,
  OLD_SECRET,
  planOf,
  SECRET,
  signedText,
  withSecrets,
  WRONG_SECRET
} from "./plans.js"

const ACTION = "fail2ban-client set %jail% %action% %ip%"

/** Two servers with the same channels: Signed (has a secret), Open (no secret, a channel filter), Ports (a channel type). */
const yaml = (top = ""): string => `
node_name: receiver
types:
  jail: name
${top}
servers:
  - host: hub1
    port: 1986
    filter:
      - key: action
        values: [banip, unbanip]
    channels:
      - name: Signed
        action: "${ACTION}"
        secret_file: /etc/f2bc/key
      - name: Open
        action: "${ACTION}"
        filter:
          - key: jail
            values: [sshd, nginx]
      - name: Ports
        action: "block %ip% %port%"
        types:
          port: int
  - host: hub2
    port: 1986
    channels:
      - name: Signed
        action: "${ACTION}"
        secret_file: /etc/f2bc/key
      - name: Open
        action: "${ACTION}"
`

const config = withSecrets(decoded(yaml()), [SECRET])
const plan = planOf(config)
const plan2 = planOf(config, 1)

const BAN = "jail=sshd, action=banip, ip=192.0.2.7"
const ARGV = ["fail2ban-client", "set", "sshd", "banip", "192.0.2.7"]

/** The signed text of `text` on the Signed channel, with envelope overrides. */
const signed = (text = BAN, envelope = {}, secret = SECRET): string => signedText("Signed", text, envelopeOf(envelope), secret)

const on = (channel: string, message: string) => deliveryOf(channel, message)

const describeSignatureProblem = (reason: "Missing" | "NotLast" | "Mismatch"): string => renderRejection({ _tag: "Signature", reason })

const expectExecute = (decision: Decision, argv: ReadonlyArray<string> = ARGV): void => {
  expect(decision._tag === "Execute" ? { tag: decision._tag, argv: decision.argv } : decision).toEqual({ tag: "Execute", argv })
}

describe("deliveries decide does not judge", () => {
  it("ignores deliveries on the reserved channels and on channels not configured", () => {
    expect(decideOnce(plan, on("all", BAN))).toEqual({ _tag: "Ignore", reason: `delivery on reserved channel "all"` })
    expect(decideOnce(plan, on("debug", BAN))).toEqual({ _tag: "Ignore", reason: `delivery on reserved channel "debug"` })
    expect(decideOnce(plan, on("Other", BAN))).toEqual({ _tag: "Ignore", reason: `delivery on unconfigured channel "Other"` })
  })
})

describe("a clean message executes", () => {
  it("on a channel without a secret, with or without an envelope (old clients keep working)", () => {
    const decision = decideOnce(plan, on("Open", BAN))
    expectExecute(decision)
    expect(decision._tag === "Execute" && decision.channel.name).toBe("Open")
    expect(decision._tag === "Execute" && decision.evicted).toBe(0)
    expectExecute(decideOnce(plan, on("Open", `${BAN}, _id=${envelopeOf().id}, _ts=1, _origin=web-1`)))
  })

  it("on a signed channel, when signed with the channel's secret", () => {
    expectExecute(decideOnce(plan, on("Signed", signed())))
  })

  it("key rotation: signed with any of the channel's secrets", () => {
    const rotated = planOf(withSecrets(decoded(yaml()), [SECRET, OLD_SECRET]))
    expectExecute(decideOnce(rotated, on("Signed", signed(BAN, {}, OLD_SECRET))))
    expectExecute(decideOnce(rotated, on("Signed", signed(BAN, {}, SECRET))))
  })
})

describe("protocol.md grammar", () => {
  it("a message that does not parse is rejected at grammar with the parser's reason", () => {
    expect(decideOnce(plan, on("Open", "jail=sshd, oops"))).toEqual({
      _tag: "Reject",
      stage: "grammar",
      reason: `part 2 "oops" has no "=" (a message with "=" must be a list of key=value pairs)`
    })
  })

  it("a reserved or duplicate key is named as the offending key", () => {
    expect(decideOnce(plan, on("Open", `${BAN}, _bad=1`))).toMatchObject({ _tag: "Reject", stage: "grammar", key: "_bad" })
    expect(decideOnce(plan, on("Open", `${BAN}, ip=192.0.2.8`))).toMatchObject({ _tag: "Reject", stage: "grammar", key: "ip" })
  })
})

describe("security.md envelope and signature on a signed channel", () => {
  it("a malformed envelope pair is rejected at envelope, naming the key", () => {
    expect(decideOnce(plan, on("Open", `${BAN}, _id=xyz`))).toEqual({
      _tag: "Reject", stage: "envelope", reason: "_id must be 32 lowercase hex digits", key: "_id"
    })
  })

  it("a missing _id or _ts is rejected at envelope", () => {
    const noId = appendSignature(SECRET, "Signed", `${BAN}, _ts=${NOW_S}, _origin=web-1`)
    expect(decideOnce(plan, on("Signed", noId))).toEqual({
      _tag: "Reject", stage: "envelope", reason: "_id is missing (a signed channel needs _id and _ts)", key: "_id"
    })
    const noTs = appendSignature(SECRET, "Signed", `${BAN}, _id=${envelopeOf().id}, _origin=web-1`)
    expect(decideOnce(plan, on("Signed", noTs))).toEqual({
      _tag: "Reject", stage: "envelope", reason: "_ts is missing (a signed channel needs _id and _ts)", key: "_ts"
    })
  })

  it("a plain-text message cannot be signed: rejected at envelope", () => {
    expect(decideOnce(plan, on("Signed", "banned 192.0.2.7"))).toMatchObject({ _tag: "Reject", stage: "envelope", key: "_id" })
  })

  it("a missing _sig is rejected at signature", () => {
    const unsigned = `${BAN}, _id=${envelopeOf().id}, _ts=${NOW_S}, _origin=web-1`
    expect(decideOnce(plan, on("Signed", unsigned))).toEqual({
      _tag: "Reject", stage: "signature", reason: describeSignatureProblem("Missing"), key: "_sig"
    })
  })

  it("a wrong _sig is rejected at signature", () => {
    expect(decideOnce(plan, on("Signed", signed(BAN, {}, WRONG_SECRET)))).toEqual({
      _tag: "Reject", stage: "signature", reason: describeSignatureProblem("Mismatch"), key: "_sig"
    })
  })

  it("a message signed for another channel is rejected at signature", () => {
    const forOpen = signedText("Open", BAN, envelopeOf(), SECRET)
    expect(decideOnce(plan, on("Signed", forOpen))).toMatchObject({ _tag: "Reject", stage: "signature" })
  })

  it("a _sig that is not the last pair is rejected at signature", () => {
    const text = signed()
    const moved = `${text}, extra=1`
    expect(decideOnce(plan, on("Signed", moved))).toEqual({
      _tag: "Reject", stage: "signature", reason: describeSignatureProblem("NotLast"), key: "_sig"
    })
  })

  it("fail closed: a signed channel whose secrets could not be read rejects even a correctly signed message", () => {
    const unread = planOf(decoded(yaml()))
    expect(unread.channels.get("Signed")?.secret_files).toEqual(["/etc/f2bc/key"])
    expect(unread.channels.get("Signed")?.secrets).toEqual([])
    expect(decideOnce(unread, on("Signed", signed()))).toMatchObject({ _tag: "Reject", stage: "signature", key: "_sig" })
  })
})

describe("security.md timestamp: _ts within max_skew of this host's clock", () => {
  it("accepts a _ts exactly max_skew ahead or behind", () => {
    expectExecute(decideOnce(plan, on("Signed", signed(BAN, { ts: NOW_S + 120 }))))
    expectExecute(decideOnce(plan, on("Signed", signed(BAN, { ts: NOW_S - 120 }))))
  })

  it("rejects a _ts one second further ahead, saying so", () => {
    expect(decideOnce(plan, on("Signed", signed(BAN, { ts: NOW_S + 121 })))).toEqual({
      _tag: "Reject",
      stage: "timestamp",
      reason: `_ts=${NOW_S + 121} is 121 s ahead of this host's clock (max_skew 120 s)`,
      key: "_ts"
    })
  })

  it("rejects a _ts one second further behind, saying so", () => {
    expect(decideOnce(plan, on("Signed", signed(BAN, { ts: NOW_S - 121 })))).toEqual({
      _tag: "Reject",
      stage: "timestamp",
      reason: `_ts=${NOW_S - 121} is 121 s behind this host's clock (max_skew 120 s)`,
      key: "_ts"
    })
  })

  it("counts in milliseconds: a millisecond past the bound is too old", () => {
    expectExecute(decideOnce(plan, on("Signed", signed())), ARGV)
    expect(decideOnce(plan, on("Signed", signed()), NOW_MS + 120_001)).toMatchObject({ _tag: "Reject", stage: "timestamp" })
    expectExecute(decideOnce(plan, on("Signed", signed()), NOW_MS + 120_000))
  })

  it("follows max_skew from the config", () => {
    const strict = planOf(withSecrets(decoded(yaml("max_skew: 5")), [SECRET]))
    expect(decideOnce(strict, on("Signed", signed(BAN, { ts: NOW_S - 6 })))).toMatchObject({ _tag: "Reject", stage: "timestamp" })
    expectExecute(decideOnce(strict, on("Signed", signed(BAN, { ts: NOW_S - 5 }))))
  })

  it("a channel without a secret does not check _ts", () => {
    expectExecute(decideOnce(plan, on("Open", `${BAN}, _id=${envelopeOf().id}, _ts=1, _origin=web-1`)))
  })
})

describe("security.md replay and dedupe", () => {
  it("a replay of an executed signed message is skipped as a duplicate", () => {
    const seen = makeSeenTable(100)
    const message = on("Signed", signed())
    expectExecute(decide(plan, message, { nowMs: NOW_MS, seen }))
    const replay = decide(plan, message, { nowMs: NOW_MS + 1_500, seen })
    expect(replay).toEqual({
      _tag: "Skip",
      stage: "duplicate",
      reason: `duplicate of _id=${envelopeOf().id} executed 1.5 s ago (received through another server, or replayed)`
    })
  })

  it("a signed replay never executes, whenever it comes (duplicate while the id is remembered, then too old)", () => {
    // A dedupe window shorter than the skew: the id must still be remembered until its _ts is too old.
    const shortWindow = planOf(withSecrets(decoded(yaml("dedupe_window: 10")), [SECRET]))
    const seen = makeSeenTable(100)
    const message = on("Signed", signed())
    expectExecute(decide(shortWindow, message, { nowMs: NOW_MS, seen }))
    for (const later of [1, 9_999, 10_000, 60_000, 119_999, 120_000, 120_001, 121_000, 300_000, 3_600_000]) {
      const decision = decide(shortWindow, message, { nowMs: NOW_MS + later, seen })
      expect([later, decision._tag === "Reject" || decision._tag === "Skip" ? decision.stage : decision._tag]).toEqual([
        later,
        later <= 120_000 ? "duplicate" : "timestamp"
      ])
    }
  })

  it("the same _id through two servers' plans sharing one table executes once", () => {
    const seen = makeSeenTable(100)
    const message = signed()
    expectExecute(decide(plan, deliveryOf("Signed", message, "hub1:1986"), { nowMs: NOW_MS, seen }))
    expect(decide(plan2, deliveryOf("Signed", message, "hub2:1986"), { nowMs: NOW_MS + 20, seen })).toMatchObject({
      _tag: "Skip",
      stage: "duplicate"
    })
  })

  it("on a channel without a secret too: the same _id through two servers executes once", () => {
    const seen = makeSeenTable(100)
    const message = `${BAN}, _id=${envelopeOf().id}, _ts=${NOW_S}, _origin=web-1`
    expectExecute(decide(plan2, deliveryOf("Open", message, "hub2:1986"), { nowMs: NOW_MS, seen }))
    expect(decide(plan, deliveryOf("Open", message), { nowMs: NOW_MS, seen })).toMatchObject({ _tag: "Skip", stage: "duplicate" })
  })

  it("the same _id on two channels is two messages", () => {
    const seen = makeSeenTable(100)
    const envelope = `_id=${envelopeOf().id}, _ts=${NOW_S}, _origin=web-1`
    expectExecute(decide(plan, on("Open", `${BAN}, ${envelope}`), { nowMs: NOW_MS, seen }))
    expectExecute(decide(plan, on("Ports", `action=banip, ip=192.0.2.7, port=22, ${envelope}`), { nowMs: NOW_MS, seen }), ["block", "192.0.2.7", "22"])
  })

  it("a message without _id (an old client) is never deduplicated: a repeat may be a second ban", () => {
    const seen = makeSeenTable(100)
    for (let i = 0; i < 3; i++) expectExecute(decide(plan, on("Open", BAN), { nowMs: NOW_MS + i, seen }))
    expect(seen.size()).toBe(0)
  })

  it("an unsigned _id is remembered for dedupe_window, then executes again", () => {
    const seen = makeSeenTable(100)
    const message = on("Open", `${BAN}, _id=${envelopeOf().id}`)
    expectExecute(decide(plan, message, { nowMs: NOW_MS, seen }))
    expect(decide(plan, message, { nowMs: NOW_MS + 299_999, seen })).toMatchObject({ _tag: "Skip", stage: "duplicate" })
    expectExecute(decide(plan, message, { nowMs: NOW_MS + 300_000, seen }))
  })

  it("only executed ids are remembered: a rejected message does not block a later good one with its id", () => {
    const seen = makeSeenTable(100)
    const id = envelopeOf().id
    expect(decide(plan, on("Open", `jail=ftp, action=banip, ip=192.0.2.7, _id=${id}`), { nowMs: NOW_MS, seen })).toMatchObject({
      _tag: "Reject",
      stage: "filter"
    })
    expectExecute(decide(plan, on("Open", `${BAN}, _id=${id}`), { nowMs: NOW_MS, seen }))
  })

  it("when the table is full, executing evicts the oldest id and reports how many", () => {
    const smallConfig = withSecrets(decoded(yaml("dedupe_max_entries: 2")), [SECRET])
    const small = planOf(smallConfig)
    // As the daemon makes it: one table for every server, of dedupe_max_entries.
    const seen = makeSeenTable(smallConfig.dedupe_max_entries)
    const ids = ["1", "2", "3"].map((digit) => digit.repeat(32))
    const evicted = ids.map((id) => {
      const decision = decide(small, on("Signed", signed(BAN, { id })), { nowMs: NOW_MS, seen })
      return decision._tag === "Execute" ? decision.evicted : decision._tag
    })
    expect(evicted).toEqual([0, 0, 1])
    expect(decide(small, on("Signed", signed(BAN, { id: ids[0]! })), { nowMs: NOW_MS, seen })._tag).toBe("Execute")
  })

  it("unsigned traffic cannot flush a signed id from a full table and reopen a replay", () => {
    // Anyone can announce on an unsigned channel; a flood of fresh ids there must not evict the replay guard.
    const smallConfig = withSecrets(decoded(yaml("dedupe_max_entries: 10")), [SECRET])
    const small = planOf(smallConfig)
    const seen = makeSeenTable(smallConfig.dedupe_max_entries)
    const message = on("Signed", signed())
    expectExecute(decide(small, message, { nowMs: NOW_MS, seen }))
    for (let i = 0; i < 50; i++) {
      const flood = on("Open", `${BAN}, _id=${i.toString(16).padStart(32, "0")}`)
      expectExecute(decide(small, flood, { nowMs: NOW_MS + 1_000, seen }))
    }
    expect(seen.size()).toBeLessThanOrEqual(10)
    expect(decide(small, message, { nowMs: NOW_MS + 2_000, seen })).toMatchObject({ _tag: "Skip", stage: "duplicate" })
  })
})

describe("security.md own origin", () => {
  it("a message whose _origin is this daemon's node_name is skipped, saying it is its own", () => {
    expect(decideOnce(plan, on("Open", `${BAN}, _origin=receiver`))).toEqual({
      _tag: "Skip",
      stage: "origin",
      reason: "own message: _origin=receiver is this daemon's node_name (a host does not re-apply its own bans)"
    })
    expect(decideOnce(plan, on("Signed", signed(BAN, { origin: "receiver" })))).toMatchObject({ _tag: "Skip", stage: "origin" })
  })

  it("another origin, or none, executes", () => {
    expectExecute(decideOnce(plan, on("Open", `${BAN}, _origin=receiver2`)))
    expectExecute(decideOnce(plan, on("Open", BAN)))
  })
})

describe("security.md typed values", () => {
  it("ip must be an address by default", () => {
    expect(decideOnce(plan, on("Open", "jail=sshd, action=banip, ip=$(reboot)"))).toEqual({
      _tag: "Reject", stage: "types", reason: `ip="$(reboot)" is not an IP address`, key: "ip"
    })
  })

  it("the top-level types apply to every channel", () => {
    expect(decideOnce(plan, on("Open", "jail=ss hd, action=banip, ip=192.0.2.7"))).toMatchObject({
      _tag: "Reject", stage: "types", key: "jail"
    })
    expect(decideOnce(plan2, on("Open", "jail=ss/hd, action=banip, ip=192.0.2.7"))).toMatchObject({
      _tag: "Reject", stage: "types", key: "jail"
    })
  })

  it("a channel's types add to the top-level ones", () => {
    expect(decideOnce(plan, on("Ports", "ip=192.0.2.7, port=ssh"))).toEqual({
      _tag: "Reject", stage: "types", reason: `port="ssh" is not an integer`, key: "port"
    })
    expectExecute(decideOnce(plan, on("Ports", "action=banip, ip=192.0.2.7, port=-1")), ["block", "192.0.2.7", "-1"])
    expect(decideOnce(plan, on("Ports", "ip=192.0.2.7, port=22, jail=a b"))).toMatchObject({ stage: "types", key: "jail" })
  })

  it("an untyped value starting with - is rejected (option injection)", () => {
    expect(decideOnce(plan, on("Open", "jail=sshd, action=--help, ip=192.0.2.7"))).toEqual({
      _tag: "Reject", stage: "types", reason: `action="--help" starts with "-" (it could pass as an option)`, key: "action"
    })
  })

  it("a control character is rejected, shown escaped in the reason", () => {
    expect(decideOnce(plan, on("Open", "jail=sshd, action=banip\u001b[2J, ip=192.0.2.7"))).toEqual({
      _tag: "Reject",
      stage: "types",
      reason: `action="banip\\u001b[2J" contains a control character U+001B at position 5`,
      key: "action"
    })
  })

  it("the whole text (%_msg%) follows the universal rules: a plain message, or pairs led by a '-' key", () => {
    expect(decideOnce(plan, on("Open", "-rf"))).toMatchObject({ _tag: "Reject", stage: "types", key: "_msg" })
    expect(decideOnce(plan, on("Open", "-rf=1, jail=sshd, action=banip, ip=192.0.2.7"))).toEqual({
      _tag: "Reject", stage: "types", reason: `the message text starts with "-" (it could pass as an option)`, key: "_msg"
    })
  })
})

describe("security.md ignoreip", () => {
  it("an ip in the default ignoreip (127.0.0.1/8, ::1) is never acted on, IPv4-mapped form included", () => {
    expect(decideOnce(plan, on("Open", "jail=sshd, action=banip, ip=127.0.0.1"))).toEqual({
      _tag: "Reject", stage: "ignoreip", reason: "ip=127.0.0.1 is in ignoreip (127.0.0.1/8): never acted on", key: "ip"
    })
    expect(decideOnce(plan, on("Open", "jail=sshd, action=banip, ip=::1"))).toMatchObject({ stage: "ignoreip" })
    expect(decideOnce(plan, on("Open", "jail=sshd, action=banip, ip=::ffff:127.0.0.1"))).toMatchObject({ stage: "ignoreip" })
  })

  it("follows ignoreip from the config (fail2ban's whitespace-separated form too); an empty list ignores nothing", () => {
    const custom = planOf(decoded(yaml(`ignoreip: "10.0.0.0/8 192.0.2.7"`)))
    expect(decideOnce(custom, on("Open", "jail=sshd, action=banip, ip=10.1.2.3"))).toMatchObject({
      stage: "ignoreip", reason: "ip=10.1.2.3 is in ignoreip (10.0.0.0/8): never acted on"
    })
    expect(decideOnce(custom, on("Open", BAN))).toMatchObject({ stage: "ignoreip" })
    expectExecute(decideOnce(custom, on("Open", "jail=sshd, action=banip, ip=127.0.0.1")), ["fail2ban-client", "set", "sshd", "banip", "127.0.0.1"])
    const none = planOf(decoded(yaml("ignoreip: []")))
    expectExecute(decideOnce(none, on("Open", "jail=sshd, action=banip, ip=::1")), ["fail2ban-client", "set", "sshd", "banip", "::1"])
  })

  it("a range typed cidr is ignored when it overlaps an entry", () => {
    const ranges = planOf(decoded(yaml("ignoreip: [10.0.0.0/8]").replace("jail: name", "jail: name\n  ip: cidr")))
    expect(decideOnce(ranges, on("Open", "jail=sshd, action=banip, ip=0.0.0.0/0"))).toMatchObject({ stage: "ignoreip" })
    expectExecute(decideOnce(ranges, on("Open", "jail=sshd, action=banip, ip=192.0.2.0/24")), ["fail2ban-client", "set", "sshd", "banip", "192.0.2.0/24"])
  })
})

describe("configuration.md filter and configuration.md render, last", () => {
  it("the server's filter, then the channel's", () => {
    expect(decideOnce(plan, on("Open", "jail=sshd, action=reload, ip=192.0.2.7"))).toEqual({
      _tag: "Reject", stage: "filter", reason: `action="reload" is not one of [banip, unbanip] (server filter)`
    })
    expect(decideOnce(plan, on("Open", "jail=ftp, action=banip, ip=192.0.2.7"))).toEqual({
      _tag: "Reject", stage: "filter", reason: `jail="ftp" is not one of [sshd, nginx] (channel filter)`
    })
  })

  it("a key the action uses but the message lacks is rejected at render", () => {
    expect(decideOnce(plan, on("Open", "jail=sshd, action=banip"))).toEqual({
      _tag: "Reject", stage: "render", reason: `message has no key "ip", which the action uses as %ip%`, key: "ip"
    })
  })
})

describe("security.md order of checks: a message wrong in two stages is reported at the earlier", () => {
  it("grammar before envelope", () => {
    expect(decideOnce(plan, on("Signed", `${BAN}, _bad=1, _id=xyz`))).toMatchObject({ stage: "grammar" })
  })

  it("envelope before signature", () => {
    expect(decideOnce(plan, on("Signed", `${signed(BAN, {}, WRONG_SECRET)}`.replace(envelopeOf().id, "XYZ")))).toMatchObject({
      stage: "envelope", key: "_id"
    })
  })

  it("signature before timestamp", () => {
    expect(decideOnce(plan, on("Signed", signed(BAN, { ts: NOW_S - 10_000 }, WRONG_SECRET)))).toMatchObject({ stage: "signature" })
  })

  it("timestamp before duplicate: a replay after the skew window is too old", () => {
    const seen = makeSeenTable(100)
    const message = on("Signed", signed())
    expectExecute(decide(plan, message, { nowMs: NOW_MS, seen }))
    expect(decide(plan, message, { nowMs: NOW_MS + 121_000, seen })).toMatchObject({ stage: "timestamp" })
  })

  it("signature before duplicate: a tampered replay is a bad signature, not a duplicate", () => {
    const seen = makeSeenTable(100)
    expectExecute(decide(plan, on("Signed", signed()), { nowMs: NOW_MS, seen }))
    const tampered = signed().replace("192.0.2.7", "192.0.2.8")
    expect(decide(plan, on("Signed", tampered), { nowMs: NOW_MS, seen })).toMatchObject({ stage: "signature" })
  })

  it("duplicate before origin", () => {
    const seen = makeSeenTable(100)
    const id = envelopeOf().id
    expectExecute(decide(plan, on("Open", `${BAN}, _id=${id}, _origin=web-1`), { nowMs: NOW_MS, seen }))
    expect(decide(plan, on("Open", `${BAN}, _id=${id}, _origin=receiver`), { nowMs: NOW_MS, seen })).toMatchObject({
      _tag: "Skip", stage: "duplicate"
    })
  })

  it("origin before types", () => {
    expect(decideOnce(plan, on("Open", "jail=sshd, action=banip, ip=nope, _origin=receiver"))).toMatchObject({
      _tag: "Skip", stage: "origin"
    })
  })

  it("types before ignoreip: a range where an address is expected is a type error even inside ignoreip", () => {
    expect(decideOnce(plan, on("Open", "jail=sshd, action=banip, ip=127.0.0.0/8"))).toMatchObject({ stage: "types", key: "ip" })
  })

  it("ignoreip before filter", () => {
    expect(decideOnce(plan, on("Open", "jail=ftp, action=reload, ip=127.0.0.1"))).toMatchObject({ stage: "ignoreip" })
  })

  it("filter before render", () => {
    expect(decideOnce(plan, on("Open", "jail=ftp, action=banip"))).toMatchObject({ stage: "filter" })
  })
})
