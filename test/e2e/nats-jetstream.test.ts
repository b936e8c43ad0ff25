/**
 * JetStream end to end (issue 7) with a real nats-server: a daemon that was
 * down catches up on what it missed, in order, once each; a daemon killed
 * mid-action gets that message again, and only that one.
 */
import { jetstream, jetstreamManager } from "@nats-io/jetstream"
import { connect, type NatsConnection } from "@nats-io/transport-node"
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, afterEach, describe, expect, it } from "vitest"
import { appendEnvelope, newEnvelope } from "../../src/trust/index.js"
import { startF2bc, stopAll, tempDir, waitUntil, writeConfig } from "../support/harness.js"
import { startNats, stopAllNats, type NatsServer } from "../support/nats.js"

afterEach(stopAll)
afterAll(stopAllNats)

const connections: Array<NatsConnection> = []
afterAll(async () => {
  await Promise.all(connections.map((nc) => nc.close()))
})

const daemonYaml = (server: NatsServer, action: string, extra: { concurrency?: number; ackWait?: string; args?: string } = {}) => `node_name: host-under-test
log_level: 3
concurrency: ${extra.concurrency ?? 1}
servers:
  - transport: nats
    url: ${server.url}
    jetstream: { stream: F2BC, max_age: 1h, ack_wait: ${extra.ackWait ?? "30s"} }
    channels:
      - name: Fail2ban
        action: "${action} ${extra.args ?? "%ip%"}"
`

/** Publishes as `f2bc publish` would (envelope with _id, _ts, _origin), waiting for each PubAck. */
const publisher = async (server: NatsServer) => {
  const nc = await connect({ servers: server.url })
  connections.push(nc)
  const js = jetstream(nc)
  const jsm = await jetstreamManager(nc)
  const publish = (ip: string, n = 0) =>
    js.publish("f2bc.Fail2ban", appendEnvelope(`jail=sshd, action=banip, ip=${ip}, n=${n}`, newEnvelope("test-publisher", Date.now(), randomBytes)))
  /** Resolves once the consumer has every message of the stream acknowledged (nothing left to redeliver). */
  const settled = async (consumer: string, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const [info, stream] = await Promise.all([jsm.consumers.info("F2BC", consumer), jsm.streams.info("F2BC")])
      if (info.num_ack_pending === 0 && info.num_pending === 0 && info.ack_floor.stream_seq === stream.state.last_seq) return info
      if (Date.now() > deadline) throw new Error(`consumer ${consumer} not settled: ${JSON.stringify(info)}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
  return { publish, settled, jsm }
}

const ipOf = (i: number): string => `10.0.${Math.floor(i / 256)}.${i % 256}`

describe("JetStream catch-up (issue 7, test 2)", () => {
  it("a daemon stopped while 1000 messages were published runs every one exactly once when it starts, in stream order per ip (concurrency 4)", async () => {
    const server = await startNats({ jetstream: true })
    const dir = tempDir()
    // One line per run, appended by a shell builtin (cheap; O_APPEND keeps lines whole).
    const log = path.join(dir, "ran.log")
    const script = path.join(dir, "append.sh")
    fs.writeFileSync(script, `#!/bin/sh\necho "$1 $2" >> '${log}'\n`, { mode: 0o755 })
    const ran = (): Array<string> => (fs.existsSync(log) ? fs.readFileSync(log, "utf8").split("\n").slice(0, -1) : [])
    const config = writeConfig(dir, daemonYaml(server, script, { concurrency: 4, args: "%ip% %n%" }))
    // The first run creates the stream and the durable consumer.
    const first = startF2bc(["daemon", "run", "--config", config])
    await first.waitFor(/connected to .* \(JetStream stream F2BC, consumer host-under-test\)/)
    await first.stop()

    // 1000 messages over 40 addresses: message n is for address n % 40, so each address gets 25, in order.
    const { publish, settled } = await publisher(server)
    const total = 1000
    const addresses = 40
    for (let i = 0; i < total; i += 100)
      await Promise.all(Array.from({ length: Math.min(100, total - i) }, (_, k) => publish(ipOf((i + k) % addresses), i + k)))

    const startedAt = Date.now()
    const second = startF2bc(["daemon", "run", "--config", config])
    await waitUntil(() => (ran().length >= total ? true : undefined), 45_000, `${total} actions`)
    const elapsed = Date.now() - startedAt
    // Every message acknowledged: nothing can come again.
    await settled("host-under-test")
    const runs = ran().map((line) => line.split(" ") as [string, string])
    // Exactly once: every n once, and nothing else.
    expect(runs.map(([, n]) => Number(n)).sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, n) => n))
    // In order for each address (the order key): its messages ran as they were published.
    for (let a = 0; a < addresses; a++) {
      const mine = runs.filter(([ip]) => ip === ipOf(a)).map(([, n]) => Number(n))
      expect(mine).toEqual(Array.from({ length: total / addresses }, (_, k) => a + k * addresses))
    }
    expect(second.output()).not.toMatch(/rejected|dropped/)
    // A figure for the record; bench/nats-catchup.mjs measures properly.
    console.info(`catch-up of ${total} messages: ${elapsed} ms`)
  }, 60_000)
})

describe("a daemon killed mid-action (issue 7, test 3: at-least-once per host)", () => {
  it("gets the message whose action was running again and runs it, and does not run again what it had acknowledged", async () => {
    const server = await startNats({ jetstream: true })
    const dir = tempDir()
    const log = path.join(dir, "actions.log")
    const marker = path.join(dir, "blocked-once")
    const pidFile = path.join(dir, "blocked.pid")
    // The action for 192.0.2.2 blocks the first time it runs (the daemon is killed meanwhile).
    const script = path.join(dir, "action.sh")
    fs.writeFileSync(
      script,
      `#!/bin/sh
echo "start $1" >> '${log}'
if [ "$1" = 192.0.2.2 ] && [ ! -e '${marker}' ]; then : > '${marker}'; echo $$ > '${pidFile}.tmp'; mv '${pidFile}.tmp' '${pidFile}'; exec sleep 300; fi
echo "done $1" >> '${log}'
`,
      { mode: 0o755 }
    )
    const config = writeConfig(dir, daemonYaml(server, script, { ackWait: "1s" }))
    const lines = () => (fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : [])
    const waitLines = async (n: number, what: string) => {
      const deadline = Date.now() + 20_000
      while (lines().length < n) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${lines().join("; ")}`)
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    }
    const first = startF2bc(["daemon", "run", "--config", config])
    await first.waitFor(/connected to .* \(JetStream stream F2BC/)
    const { publish, settled, jsm } = await publisher(server)
    await publish("192.0.2.1")
    await publish("192.0.2.2")
    await publish("192.0.2.3")
    await waitLines(3, "the action for 192.0.2.2 to start")
    // 192.0.2.1's acknowledgement has reached the server before the kill.
    for (let info = await jsm.consumers.info("F2BC", "host-under-test"); info.ack_floor.stream_seq < 1; info = await jsm.consumers.info("F2BC", "host-under-test"))
      await new Promise((resolve) => setTimeout(resolve, 20))
    first.child.kill("SIGKILL")
    await first.exited
    // The orphaned action would block for good: end it (a real host's reboot would).
    const blocked = Number(fs.readFileSync(pidFile, "utf8"))
    process.kill(blocked, "SIGKILL")

    const second = startF2bc(["daemon", "run", "--config", config])
    await waitLines(7, "192.0.2.2 and 192.0.2.3 to run after the restart")
    await settled("host-under-test")
    expect(lines()).toEqual([
      "start 192.0.2.1",
      "done 192.0.2.1",
      "start 192.0.2.2",
      "start 192.0.2.2",
      "done 192.0.2.2",
      "start 192.0.2.3",
      "done 192.0.2.3"
    ])
    expect(second.output()).toMatch(/2 message\(s\) were delivered before and not acknowledged: holding new ones/)
  }, 45_000)
})
