/**
 * The outbox over NATS JetStream: a storm handed off to the daemon is stored by the stream once
 * per entry, in acceptance order (every batch confirmed by each of its PubAcks).
 */
import { jetstreamManager } from "@nats-io/jetstream"
import { connect } from "@nats-io/transport-node"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { startF2bc, stopAll, tempDir, waitUntil, writeConfig, askSocket } from "../support/harness.js"
import { startNats, stopAllNats } from "../support/nats.js"

afterEach(async () => {
  await stopAll()
  await stopAllNats()
})

const ask = askSocket

describe("the outbox over JetStream", () => {
  it("stores every handed-off entry once, in acceptance order", async () => {
    const server = await startNats({ jetstream: true })
    const dir = tempDir()
    const socket = path.join(dir, "f2bc.sock")
    const config = writeConfig(dir, `node_name: node-a
state_dir: ${path.join(dir, "state")}
control_socket: ${socket}
servers:
  - transport: nats
    url: ${server.url}
    jetstream: { stream: F2BC }
    channels:
      - name: Fail2ban
        action: "true %ip%"
`)
    const daemon = startF2bc(["daemon", "run", "--config", config])
    await daemon.waitFor(/daemon started as node/)
    await waitUntil(() => (fs.existsSync(socket) ? true : undefined), 10_000, "control socket")
    const accepted: Array<string> = []
    for (let n = 0; n < 100; n++) {
      const answer = await ask(socket, `publish Fail2ban jail=sshd, action=banip, ip=192.0.2.${n}`)
      expect(answer["ok"]).toBe(true)
      accepted.push(answer["id"] as string)
    }
    const nc = await connect({ servers: server.url })
    try {
      const jsm = await jetstreamManager(nc)
      const deadline = Date.now() + 20_000
      while ((await jsm.streams.info("F2BC").catch(() => undefined))?.state.messages !== 100 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 100))
      const ids: Array<string> = []
      for (let seq = 1; seq <= 100; seq++) {
        const message = await jsm.streams.getMessage("F2BC", { seq })
        ids.push(/_id=([0-9a-f]+)/.exec(message!.string())![1]!)
      }
      expect(ids).toEqual(accepted)
    } finally {
      await nc.close()
    }
  }, 60_000)
})
