/**
 * `batch:` of a channel (batched application): defaults, the word it repeats, and each
 * refusal with its path — through the decoder and, for the exit status, the built `f2bc check`.
 */
import { readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import { runF2bc, tempDir, writeConfig } from "../support/harness.js"
import { decoded, issues, oneChannel } from "./expect.js"

const channel = (action: string, batch: string, extra = ""): string => oneChannel(action, `        batch: ${batch}`, extra)

const F2B = "fail2ban-client set cluster-%jail% %action% %ip%"

describe("batch: config", () => {
  it("defaults max to 100 and linger to 50 ms, and finds the word %key% fills", () => {
    const batch = decoded(channel(F2B, "{ key: ip }")).servers[0]!.channels[0]!.batch
    expect(batch).toEqual({ key: "ip", max: 100, linger: 0.05, word: 4 })
  })

  it("takes linger in seconds or with a unit, and 0", () => {
    const linger = (text: string) => decoded(channel(F2B, `{ key: ip, max: 7, linger: ${text} }`)).servers[0]!.channels[0]!.batch?.linger
    expect(linger("20ms")).toBeCloseTo(0.02)
    expect(linger("0.2s")).toBeCloseTo(0.2)
    expect(linger("1")).toBe(1)
    expect(linger("0")).toBe(0)
  })

  it("a channel without batch has none", () => {
    expect(decoded(channel(F2B, "{ key: ip }").replace(/ *batch:.*\n/, "")).servers[0]!.channels[0]!.batch).toBeUndefined()
  })

  it("refuses batch with shell: true", () => {
    expect(issues(channel("ban %ip%", "{ key: ip }", "        shell: true"))).toEqual([
      "servers[0].channels[0].batch: cannot be used with shell: true (a batch repeats one argv word; a script has no words to repeat)"
    ])
  })

  it("refuses a key the action does not use", () => {
    expect(issues(channel("fail2ban-client set %jail% %action% %ip%", "{ key: port }"))).toEqual([
      "servers[0].channels[0].batch.key: %port% is not in the action; batch repeats the word it fills"
    ])
  })

  it("refuses a key whose placeholder is part of a longer word", () => {
    expect(issues(channel("ban --ip=%ip%", "{ key: ip }"))).toEqual([
      `servers[0].channels[0].batch.key: %ip% must fill a whole word of the action on its own (as in "fail2ban-client set %jail% banip %ip%"), not be part of the word "--ip=%ip%"`
    ])
    expect(issues(channel("ban '%ip%%jail%'", "{ key: ip }"))).toHaveLength(1)
  })

  it("refuses a key used in two words", () => {
    expect(issues(channel("ban %ip% %ip%", "{ key: ip }"))).toEqual([
      "servers[0].channels[0].batch.key: %ip% is used in 2 words of the action; batch repeats one word, so %ip% must fill exactly one word"
    ])
  })

  it("refuses a reserved key, a bad max, a bad linger and an unknown key", () => {
    expect(issues(channel("ban %_msg%", "{ key: _msg }"))).toEqual([
      `servers[0].channels[0].batch.key: "_msg" is reserved: batch on a message key such as ip`
    ])
    expect(issues(channel(F2B, "{ key: ip, max: 0, linger: 2m, size: 3 }"))).toEqual([
      "servers[0].channels[0].batch.linger: must be a duration from 0 to 60 s, in seconds or with a unit (50ms, 0.2s), got \"2m\"",
      "servers[0].channels[0].batch.max: must be an integer from 1 to 10000, got 0",
      "servers[0].channels[0].batch.size: unknown key (expected one of: key, max, linger)"
    ])
    expect(issues(channel(F2B, "{ max: 5 }"))).toEqual(["servers[0].channels[0].batch.key: is missing"])
  })

  describe("f2bc check", () => {
    const dir = tempDir()
    it("exits 2 naming the path of a refused batch", async () => {
      const file = writeConfig(dir, channel("ban %ip%", "{ key: ip }", "        shell: true"))
      const result = await runF2bc(["check", "--config", file])
      expect(result.code).toBe(2)
      expect(result.stderr).toContain("servers[0].channels[0].batch: cannot be used with shell: true")
    })
  })
})

describe("the shipped configs batch the fail2ban channel", () => {
  it.each(["contrib/f2bc/hub.yml", "contrib/f2bc/member.yml", "examples/quickstart.yml"])("%s", (file) => {
    const text = readFileSync(new URL(`../../${file}`, import.meta.url), "utf8")
    const channel = decoded(text).servers[0]!.channels.find((c) => c.name === "Fail2ban")
    expect(channel?.batch).toEqual({ key: "ip", max: 100, linger: 0.05, word: channel!.action.split(" ").indexOf("%ip%") })
  })
})
