/**
 * The replay guard across restarts, end to end: a signed message executed, the daemon stopped (SIGTERM or
 * kill -9) and started again, the same bytes replayed within max_skew: skipped as a duplicate.
 */
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { rawClient, recorder, startBroker, startF2bc, stopAll, tempDir, waitUntil, writeConfig } from "../support/harness.js"
import { signed } from "./adversarial-cases.js"

afterEach(stopAll)

const SECRET = "the replay guard's test secret, long enough"

const setup = async () => {
  const dir = tempDir()
  const rec = recorder(dir)
  const broker = await startBroker()
  const secretFile = path.join(dir, "key")
  fs.writeFileSync(secretFile, SECRET, { mode: 0o600 })
  const stateDir = path.join(dir, "state")
  const config = writeConfig(
    dir,
    `node_name: receiver
log_level: 3
state_dir: ${stateDir}
servers:
  - host: 127.0.0.1
    port: ${broker.port}
    channels:
      - name: Fail2ban
        action: "${rec.script} %jail% %ip%"
        secret_file: ${secretFile}
`
  )
  const start = async () => {
    const daemon = startF2bc(["daemon", "run", "--config", config])
    await daemon.waitFor(/connected, subscribed to Fail2ban/)
    return daemon
  }
  /** A signed message, as a publisher elsewhere would have sent it: the announce line's bytes. */
  const capture = (ip: string) => {
    const id = randomBytes(16).toString("hex")
    const text = `jail=sshd, ip=${ip}, _id=${id}, _ts=${Math.floor(Date.now() / 1000)}, _origin=web1`
    return { id, line: `announce Fail2ban ${signed(Buffer.from(SECRET), "Fail2ban", text)}\n` }
  }
  const send = async (line: string) => {
    const client = await rawClient(broker.port)
    client.send(line)
    await client.sync()
    client.close()
  }
  const seenFile = path.join(stateDir, "seen")
  return { rec, start, capture, send, seenFile }
}

describe("the replay guard across restarts", () => {
  for (const how of ["SIGTERM", "SIGKILL"] as const) {
    it(`a signed message replayed after a restart (${how}) is skipped as a duplicate`, async () => {
      const { rec, start, capture, send, seenFile } = await setup()
      const first = await start()
      const captured = capture("192.0.2.70")
      await send(captured.line)
      await rec.waitForCalls(1)
      // The id reaches the file one grouped fsync after the action was queued.
      await waitUntil(() => (fs.existsSync(seenFile) && fs.readFileSync(seenFile, "utf8").includes(captured.id) ? true : undefined), 5000, "the id in seen")
      expect(fs.statSync(seenFile).mode & 0o777).toBe(0o600)
      first.child.kill(how)
      await first.exited

      const second = await start()
      await second.waitFor(/1 executed id\(s\) of signed channels remembered/)
      await send(captured.line)
      await second.waitFor(new RegExp(`skipped at duplicate.*_id=${captured.id}`))
      // Still alive and executing fresh messages; the replay never ran.
      await send(capture("192.0.2.71").line)
      expect(await rec.waitForCalls(2)).toEqual([["sshd", "192.0.2.70"], ["sshd", "192.0.2.71"]])
    })
  }

  it("a torn last record is ignored with a warning, the ids before it still count", async () => {
    const { rec, start, capture, send, seenFile } = await setup()
    const first = await start()
    const captured = capture("192.0.2.72")
    await send(captured.line)
    await rec.waitForCalls(1)
    await waitUntil(() => (fs.existsSync(seenFile) && fs.readFileSync(seenFile, "utf8").includes(captured.id) ? true : undefined), 5000, "the id in seen")
    first.child.kill("SIGKILL")
    await first.exited
    const torn = "0000004a 1234abcd {\"s\":[\"Fail2ban!torn"
    fs.appendFileSync(seenFile, torn)

    const second = await start()
    await second.waitFor(new RegExp(`ignored ${Buffer.byteLength(torn)} byte\\(s\\) after the last whole record`))
    await send(captured.line)
    await second.waitFor(/skipped at duplicate/)
    expect(rec.calls()).toHaveLength(1)
  })
})
