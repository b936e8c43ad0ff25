/**
 * `f2bc publish` through its fast path (plain `--name value` arguments) and through
 * the full CLI (the same options as `--name=value`) agree: exit codes, output, the wire.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { readPublishArgv } from "../../src/cli/publishArgv.js"
import { freePort, rawClient, runF2bc, startBroker, stopAll, tempDir, waitUntil, writeConfig } from "../support/harness.js"

afterEach(stopAll)

const LONG: Record<string, string> = { "-c": "--channel", "-m": "--message", "-p": "--port" }

/** The same options as `--name=value`, which only the full CLI reads. */
const fullForm = (args: ReadonlyArray<string>): Array<string> => {
  const out = [args[0]!]
  for (let i = 1; i < args.length; i += 2) out.push(`${LONG[args[i]!] ?? args[i]}=${args[i + 1]}`)
  return out
}

/** Runs both forms; each must take its own path, and both must end alike. */
const both = async (args: ReadonlyArray<string>) => {
  const full = fullForm(args)
  expect(readPublishArgv(args), "the fast path takes it").toBeDefined()
  expect(readPublishArgv(full), "the full CLI takes it").toBeUndefined()
  const fast = await runF2bc(args)
  const cli = await runF2bc(full)
  expect(fast).toEqual(cli)
  return fast
}

/** A delivery with the envelope's per-message values (id, time, signature) blanked. */
const shape = (line: string) => line.replace(/_id=[0-9a-f]+/, "_id=ID").replace(/_ts=\d+/, "_ts=TS").replace(/_sig=[A-Za-z0-9_-]+/, "_sig=SIG")

describe("publish: fast path and full CLI", () => {
  it("send the same message: plain, enveloped, signed with --secret-file or with the config's secret", async () => {
    const dir = tempDir()
    const broker = await startBroker()
    const key = path.join(dir, "key")
    fs.writeFileSync(key, "correct horse battery staple\n", { mode: 0o600 })
    const config = writeConfig(
      dir,
      `node_name: signer\nservers:\n  - host: 127.0.0.1\n    port: ${broker.port}\n    channels:\n      - name: Signed\n        action: "true %ip%"\n        secret_file: ${key}\n`
    )
    const listener = await rawClient(broker.port)
    listener.send("subscribe Fail2ban\nsubscribe Signed\n")
    await listener.sync()
    const host = ["--host", "127.0.0.1", "-p", String(broker.port)]
    const pairs = "jail=sshd, action=banip, ip=192.0.2.7"
    const cases = [
      ["publish", "-c", "Fail2ban", "-m", pairs, ...host, "--node-name", "web1"],
      ["publish", "-c", "Fail2ban", "-m", "hello from web1", ...host],
      ["publish", ...host, "--secret-file", key, "-c", "Fail2ban", "-m", pairs, "--node-name", "web1", "--timeout", "5"],
      // fail2ban's action: --config, --channel, --timeout, --message
      ["publish", "--config", config, "--channel", "Signed", "--timeout", "10", "--message", pairs]
    ]
    let seen = 0
    for (const args of cases) {
      expect(await both(args)).toEqual({ code: 0, stdout: "", stderr: "" })
      const lines = await waitUntil(() => {
        const all = listener.received().split("\n").filter((line) => /^(Fail2ban|Signed)!/.test(line))
        return all.length >= seen + 2 ? all.slice(seen, seen + 2) : undefined
      }, 5000, "both deliveries")
      seen += 2
      expect(shape(lines[0]!)).toBe(shape(lines[1]!))
      if (lines[0]!.includes("_id=")) expect(lines[0]).not.toBe(lines[1]) // two messages, two _ids
    }
    listener.close()
  })

  it("refuse the same bad input with the same exit code and text, sending nothing", async () => {
    const dir = tempDir()
    const broker = await startBroker()
    const listener = await rawClient(broker.port)
    listener.send("subscribe Fail2ban\nsubscribe all\n")
    await listener.sync()
    const missing = path.join(dir, "missing.yml")
    const host = ["--host", "127.0.0.1", "-p", String(broker.port)]
    const pairs = "jail=sshd, action=banip, ip=192.0.2.7"
    const refused: Array<[ReadonlyArray<string>, number, string]> = [
      [["publish", "-c", "all", "-m", pairs, ...host], 2, "reserved"],
      [["publish", "-c", "Fail2ban", "-m", "jail=sshd, =x", ...host], 2, "invalid message"],
      [["publish", "-c", "Fail2ban", "-m", `${pairs}, _id=00`, ...host], 2, "belong to the envelope"],
      [["publish", "-c", "Fail2ban", "-m", "jail=sshd, action=banip, ip=not-an-address", ...host], 2, "a daemon would reject it"],
      [["publish", "-c", "Fail2ban", "-m", pairs, "--node-name", "web 1", ...host], 2, "--node-name must be"],
      [["publish", "-c", "Fail2ban", "-m", pairs, "--timeout", "0", ...host], 2, "--timeout must be from 1 to 3600"],
      [["publish", "-c", "Fail2ban", "-m", pairs, "--host", "127.0.0.1", "-p", "70000"], 2, "--port must be from 1 to 65535"],
      [["publish", "-c", "Fail2ban", "-m", pairs, ...host, "--secret-file", path.join(dir, "nokey")], 2, "--secret-file"],
      [["publish", "-c", "Fail2ban", "-m", pairs, "--config", missing], 2, missing],
      [["publish", "-c", "Fail2ban", "-m", `jail=sshd, action=banip, ip=192.0.2.7, note=${"x".repeat(70_000)}`, ...host], 2, "the request line would be"]
    ]
    for (const [args, code, text] of refused) {
      const result = await both(args)
      expect(result.code, args.join(" ")).toBe(code)
      expect(result.stderr).toMatch(/^f2bc: /)
      expect(result.stderr).toContain(text)
    }
    const closed = await freePort()
    const unreachable = await both(["publish", "-c", "Fail2ban", "-m", pairs, "--host", "127.0.0.1", "-p", String(closed), "--timeout", "2"])
    expect(unreachable.code).toBe(1)
    expect(unreachable.stderr).toBe(`f2bc: not confirmed by 1 of 1 server(s): 127.0.0.1:${closed} (cannot connect: connect ECONNREFUSED 127.0.0.1:${closed})\n`)
    await listener.sync()
    expect(listener.received()).not.toMatch(/^(Fail2ban|all)!/m)
    listener.close()
  })
})
