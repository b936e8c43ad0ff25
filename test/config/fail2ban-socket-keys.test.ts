/**
 * `fail2ban_socket:` of a channel: the path as resolved, and each refusal with its path — through the
 * decoder and, for the exit status, the built `f2bc check`.
 */
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { socketFor } from "../../src/fail2ban/index.js"
import { runF2bc, tempDir, writeConfig } from "../support/harness.js"
import { decoded, issues, oneChannel } from "./expect.js"

const channel = (action: string, socket: string, extra = ""): string => oneChannel(action, `        fail2ban_socket: ${socket}`, extra)

const F2B = "fail2ban-client set cluster-%jail% %action% %ip%"

describe("fail2ban_socket: config", () => {
  it("keeps an absolute path, and resolves a relative one from the config's directory", () => {
    expect(decoded(channel(F2B, "/var/run/fail2ban/fail2ban.sock")).servers[0]!.channels[0]!.fail2ban_socket).toBe("/var/run/fail2ban/fail2ban.sock")
    expect(decoded(channel(F2B, "run/f2b.sock"), "/etc/f2bc/cluster.yml").servers[0]!.channels[0]!.fail2ban_socket).toBe("/etc/f2bc/run/f2b.sock")
    expect(decoded(channel(F2B, "f2b.sock")).servers[0]!.channels[0]!.fail2ban_socket).toBe(path.resolve("f2b.sock"))
  })

  it("a channel without it has none", () => {
    expect(decoded(channel(F2B, "x").replace(/ *fail2ban_socket:.*\n/, "")).servers[0]!.channels[0]!.fail2ban_socket).toBeUndefined()
  })

  it("takes over the actions whose program is fail2ban-client, by name or path, and no other", () => {
    expect(socketFor("/s", ["fail2ban-client", "set", "j", "banip", "192.0.2.7"])).toBe("/s")
    expect(socketFor("/s", ["/usr/bin/fail2ban-client", "set", "j", "banip", "192.0.2.7"])).toBe("/s")
    expect(socketFor("/s", ["/usr/local/sbin/ban", "192.0.2.7"])).toBeUndefined()
    expect(socketFor("/s", ["fail2ban-clientx", "set"])).toBeUndefined()
    expect(socketFor(undefined, ["fail2ban-client", "set"])).toBeUndefined()
  })

  it("accepts a channel whose expire_action alone runs fail2ban-client", () => {
    const text = channel("/usr/local/sbin/ban %ip%", "/s", `        expire_action: "fail2ban-client set cluster-%jail% unbanip %ip%"`)
    expect(decoded(text).servers[0]!.channels[0]!.fail2ban_socket).toBe("/s")
  })

  it("refuses it with shell: true", () => {
    expect(issues(channel("fail2ban-client set sshd banip %ip%", "/s", "        shell: true"))).toEqual([
      "servers[0].channels[0].fail2ban_socket: cannot be used with shell: true (it sends fail2ban-client's words over fail2ban's socket; a script has no words to send)"
    ])
  })

  it("refuses it on a channel with no fail2ban-client action", () => {
    expect(issues(channel("/usr/local/sbin/ban %ip%", "/s"))).toEqual([
      "servers[0].channels[0].fail2ban_socket: applies to actions run by fail2ban-client, and no action of this channel is (the action must start with fail2ban-client)"
    ])
  })

  it("refuses a fail2ban-client option before the command, in action and in expire_action", () => {
    const text = channel("fail2ban-client -s /run/f2b.sock set cluster-%jail% %action% %ip%", "/s", `        expire_action: "fail2ban-client -c /etc/fail2ban set cluster-%jail% unbanip %ip%"`)
    expect(issues(text)).toEqual([
      "servers[0].channels[0].action: has the fail2ban-client option \"-s\": with fail2ban_socket, the words after fail2ban-client are sent to fail2ban as its command, so they must start with the command (fail2ban_socket names the socket in place of -s; other options do not apply)",
      "servers[0].channels[0].expire_action: has the fail2ban-client option \"-c\": with fail2ban_socket, the words after fail2ban-client are sent to fail2ban as its command, so they must start with the command (fail2ban_socket names the socket in place of -s; other options do not apply)"
    ])
  })

  it("refuses fail2ban-client with no command", () => {
    expect(issues(channel("fail2ban-client", "/s"))).toEqual([
      "servers[0].channels[0].action: is fail2ban-client with no command: with fail2ban_socket, the words after fail2ban-client are the command sent to fail2ban"
    ])
  })

  it("f2bc check exits 2 naming the key, and shows an accepted action going to the socket", async () => {
    const dir = tempDir()
    const refused = await runF2bc(["check", "--config", writeConfig(dir, channel("fail2ban-client -s /x set sshd banip %ip%", "/s"), "refused.yml")])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain(`servers[0].channels[0].action: has the fail2ban-client option "-s"`)
    const file = writeConfig(dir, channel(F2B, "f2b.sock"), "ok.yml")
    const ok = await runF2bc(["check", "--config", file, "-c", "Fail2ban", "-m", "jail=sshd, action=banip, ip=192.0.2.7"])
    expect(ok.stderr).toBe("")
    expect(ok.stdout).toContain(
      `hub.example.com:1986 Fail2ban: would run ["fail2ban-client","set","cluster-sshd","banip","192.0.2.7"] over fail2ban's socket ${path.join(dir, "f2b.sock")} (fail2ban_socket: no process)`
    )
  })
})
