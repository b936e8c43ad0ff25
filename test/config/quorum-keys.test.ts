/**
 * `quorum:` of a channel: defaults, and each refusal with its path (an unsigned channel,
 * origins below 2, `actions` without `%action%`) — through the decoder and the built `f2bc check`.
 */
import { describe, expect, it } from "vitest"
import { runF2bc, tempDir, writeConfig } from "../support/harness.js"
import { decoded, issues } from "./expect.js"

const F2B = "fail2ban-client set cluster-%jail% %action% %ip%"

const channel = (quorum: string, { action = F2B, signed = true, top = "" } = {}): string => `${top}
servers:
  - host: hub.example.com
    port: 1986
    channels:
      - name: Fail2ban
        action: ${JSON.stringify(action)}
${signed ? "        secret_file: /etc/f2bc/fleet.key\n" : ""}        quorum: ${quorum}
`

describe("quorum: config", () => {
  it("defaults: a window of 10 minutes, every action; 100000 holds at most", () => {
    const config = decoded(channel("{ origins: 2 }"))
    expect(config.servers[0]!.channels[0]!.quorum).toEqual({ origins: 2, window: 600, count: "origins", actions: undefined })
    expect(config.quorum_max_entries).toBe(100_000)
  })

  it("reads a window with a unit, the actions that need the quorum, and quorum_max_entries", () => {
    const config = decoded(channel("{ origins: 3, window: 90s, actions: [banip] }", { top: "quorum_max_entries: 500" }))
    expect(config.servers[0]!.channels[0]!.quorum).toEqual({ origins: 3, window: 90, count: "origins", actions: ["banip"] })
    expect(config.quorum_max_entries).toBe(500)
  })

  it("a channel without quorum has none", () => {
    expect(decoded(channel("{ origins: 2 }").replace(/ *quorum:.*\n/, "")).servers[0]!.channels[0]!.quorum).toBeUndefined()
  })

  it("refuses a quorum on an unsigned channel: origins could be forged", () => {
    expect(issues(channel("{ origins: 2 }", { signed: false }))).toEqual([
      "servers[0].channels[0].quorum: needs a signed channel (secret_file): without a signature anyone could send a message under any _origin and make the quorum alone"
    ])
  })

  it("refuses origins below 2, a bad window, an empty actions list and an unknown key", () => {
    expect(issues(channel("{ origins: 1, window: 0, actions: [], size: 3 }"))).toEqual([
      "servers[0].channels[0].quorum.actions: must be a non-empty list of action names (values of the message's action key, e.g. [banip]), got an empty list",
      "servers[0].channels[0].quorum.origins: must be an integer from 2 to 100 (distinct origins; 1 would be no quorum), got 1",
      "servers[0].channels[0].quorum.size: unknown key (expected one of: origins, window, count, actions)",
      "servers[0].channels[0].quorum.window: must be a duration greater than 0 and at most 86400 s, in seconds or with a unit (90s, 10m, 1h), got 0"
    ])
    expect(issues(channel("{ window: 10m }"))).toEqual(["servers[0].channels[0].quorum.origins: is missing"])
  })

  it("refuses actions when the action does not use %action%: a message could name another action and pass alone", () => {
    expect(issues(channel("{ origins: 2, actions: [banip] }", { action: "fail2ban-client set cluster banip %ip%" }))).toEqual([
      "servers[0].channels[0].quorum.actions: is matched on the message's action value, so the channel's action must use %action% (else a message naming another action would run what the template says without the quorum)"
    ])
    // Without actions every message needs the quorum, whatever the action uses.
    expect(decoded(channel("{ origins: 2 }", { action: "fail2ban-client set cluster banip %ip%" })).servers[0]!.channels[0]!.quorum?.origins).toBe(2)
  })

  it("count: keys needs at least as many secret files as origins (a key per host)", () => {
    expect(issues(channel("{ origins: 2, count: keys }"))).toEqual([
      "servers[0].channels[0].quorum.count: keys needs a secret per host: secret_file lists 1 file(s), fewer than origins (2), so no quorum could ever be reached"
    ])
    const twoKeys = channel("{ origins: 2, count: keys }").replace("secret_file: /etc/f2bc/fleet.key", "secret_file: [/etc/f2bc/web1.key, /etc/f2bc/web2.key]")
    expect(decoded(twoKeys).servers[0]!.channels[0]!.quorum).toEqual({ origins: 2, window: 600, count: "keys", actions: undefined })
    expect(issues(channel("{ origins: 2, count: hosts }"))).toEqual([`servers[0].channels[0].quorum.count: must be "origins" or "keys", got "hosts"`])
  })

  describe("f2bc check", () => {
    const dir = tempDir()
    it("exits 2 naming the path of a quorum on an unsigned channel", async () => {
      const file = writeConfig(dir, channel("{ origins: 2 }", { signed: false }))
      const result = await runF2bc(["check", "--config", file])
      expect(result.code).toBe(2)
      expect(result.stderr).toContain("servers[0].channels[0].quorum: needs a signed channel (secret_file)")
    })
  })
})
