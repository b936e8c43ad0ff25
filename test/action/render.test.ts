/**
 * configuration.md rendering: what each placeholder becomes, and what happens when a
 * message lacks a key the action uses (`missing: reject` / `missing: empty`).
 */
import * as Either from "effect/Either"
import { describe, expect, it } from "vitest"
import { renderArgv, RenderError } from "../../src/action/index.js"
import { compile, context, render } from "./helpers.js"

const seed = { jail: "sshd", action: "banip", ip: "192.168.0.1" }

describe("configuration.md rendering placeholders", () => {
  it("the seed action renders to the fail2ban-client argv", () => {
    expect(render(compile("fail2ban-client set %jail% %action% %ip%"), context(seed))).toEqual([
      "fail2ban-client",
      "set",
      "sshd",
      "banip",
      "192.168.0.1"
    ])
  })

  it("%_msg% is the whole message text", () => {
    expect(render(compile("logger %_msg%"), context(seed, "jail=sshd, ip=1.2.3.4"))).toEqual([
      "logger",
      "jail=sshd, ip=1.2.3.4"
    ])
  })

  it("%_channel% is the channel name, not the message (the original's bug)", () => {
    expect(render(compile("logger %_channel%"), context(seed, "the message", "Fail2ban"))).toEqual([
      "logger",
      "Fail2ban"
    ])
  })

  it("_msg and _channel are computed even if the message has fields of those names", () => {
    const ctx = context({ _msg: "forged", _channel: "forged" }, "real body", "real-channel")
    expect(render(compile("echo %_msg% %_channel%"), ctx)).toEqual(["echo", "real body", "real-channel"])
  })

  it("%% renders as a literal %", () => {
    expect(render(compile("printf %%s 100%%"), context(seed))).toEqual(["printf", "%s", "100%"])
  })

  it("a quoted word with placeholders stays one word: logger -t f2bc \"banned %ip% in %jail%\" is 4 words", () => {
    expect(render(compile("logger -t f2bc \"banned %ip% in %jail%\""), context(seed))).toEqual([
      "logger",
      "-t",
      "f2bc",
      "banned 192.168.0.1 in sshd"
    ])
  })

  it("a value never splits or joins words, whatever it contains", () => {
    const hostile = "a b\t'c\" ; rm -rf / $(id) `id` | && > *"
    expect(render(compile("fail2ban-client set %jail% banip %ip%"), context({ jail: hostile, ip: "" }))).toEqual([
      "fail2ban-client",
      "set",
      hostile,
      "banip",
      ""
    ])
  })

  it("a value containing %name% or %% is not rendered again", () => {
    expect(render(compile("echo %a%"), context({ a: "%b%%%", b: "no" }))).toEqual(["echo", "%b%%%"])
  })

  it("a placeholder used twice renders its value twice", () => {
    expect(render(compile("echo %ip%-%ip%"), context(seed))).toEqual(["echo", "192.168.0.1-192.168.0.1"])
  })
})

describe("configuration.md a message lacking a key the action uses", () => {
  const template = compile("fail2ban-client set %jail% %action% %ip%")

  it("missing: reject (the default) refuses it with a MissingKey error naming the key", () => {
    const result = renderArgv(template, context({ jail: "sshd", action: "banip" }), "reject")
    expect(Either.isLeft(result)).toBe(true)
    if (Either.isLeft(result)) {
      expect(result.left).toBeInstanceOf(RenderError)
      expect(result.left.reason).toBe("MissingKey")
      expect(result.left.key).toBe("ip")
      expect(result.left.message).toContain("\"ip\"")
    }
  })

  it("missing: reject names the first missing key in template order", () => {
    const result = renderArgv(template, context({ action: "banip" }), "reject")
    expect(Either.isLeft(result) && result.left.key).toBe("jail")
  })

  it("missing: empty renders the placeholder as \"\" (the original's behaviour) and keeps the word count", () => {
    expect(render(template, context({ jail: "sshd" }), "empty")).toEqual(["fail2ban-client", "set", "sshd", "", ""])
  })

  it("missing: empty inside a word leaves the rest of the word", () => {
    expect(render(compile("echo ip=%ip%"), context({}), "empty")).toEqual(["echo", "ip="])
  })

  it("a key present with an empty value is not missing", () => {
    expect(render(template, context({ jail: "", action: "", ip: "" }), "reject")).toEqual([
      "fail2ban-client",
      "set",
      "",
      "",
      ""
    ])
  })

  it("_msg and _channel are never missing", () => {
    expect(render(compile("echo %_msg% %_channel%"), context({}, "", ""), "reject")).toEqual(["echo", "", ""])
  })
})
