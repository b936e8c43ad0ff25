/**
 * The Prometheus endpoint end to end (issue 4): a daemon with `metrics:`
 * serves its counters, gauges and histogram at /metrics over loopback.
 */
import * as http from "node:http"
import { afterEach, describe, expect, it } from "vitest"
import { rawClient, runF2bc, shRecorder, startBroker, startF2bc, stopAll, tempDir, writeConfig } from "../support/harness.js"

afterEach(stopAll)

const get = (url: string): Promise<{ status: number; body: string; type: string }> =>
  new Promise((resolve, reject) => {
    http
      .get(url, (response) => {
        let body = ""
        response.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")))
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body, type: String(response.headers["content-type"]) }))
      })
      .on("error", reject)
  })

describe("metrics endpoint (issue 4)", () => {
  it("counts executed and rejected messages, actions, durations and the server's connection", async () => {
    const dir = tempDir()
    const rec = shRecorder(dir)
    const broker = await startBroker()
    const config = writeConfig(
      dir,
      `node_name: daemon-under-test
metrics: { listen: "127.0.0.1:0" }
servers:
  - host: 127.0.0.1
    port: ${broker.port}
    channels:
      - name: Fail2ban
        action: "${rec.script} %ip%"
`
    )
    const daemon = startF2bc(["daemon", "run", "--config", config])
    const url = (await daemon.waitFor(/metrics on (http:\/\/127\.0\.0\.1:\d+\/metrics)/))[1]!
    await daemon.waitFor(/connected, subscribed to Fail2ban/)
    const before = await get(url)
    expect(before.status).toBe(200)
    expect(before.type).toBe("text/plain; version=0.0.4; charset=utf-8")
    expect(before.body).toContain(`f2bc_server_connected{server="127.0.0.1:${broker.port}"} 1`)
    expect(before.body).toContain(`f2bc_actions_total{result="failed"} 0`)

    expect((await runF2bc(["publish", "--node-name", "elsewhere", "--host", "127.0.0.1", "-p", String(broker.port), "-c", "Fail2ban", "-m", "ip=192.0.2.80"])).code).toBe(0)
    const client = await rawClient(broker.port)
    client.send("announce Fail2ban ip=not-an-address\n")
    await client.sync()
    client.close()
    await rec.waitForCalls(1)
    await daemon.waitFor(/rejected at types/)
    await daemon.waitFor(/action executed/)

    const after = (await get(url)).body
    expect(after).toContain(`f2bc_messages_total{outcome="executed",stage="execute"} 1`)
    expect(after).toContain(`f2bc_messages_total{outcome="rejected",stage="types"} 1`)
    expect(after).toContain(`f2bc_actions_total{result="succeeded"} 1`)
    expect(after).toContain("f2bc_action_duration_seconds_count 1")
    expect(after).toMatch(/# TYPE f2bc_action_duration_seconds histogram/)
    expect(after).not.toMatch(/^effect_/m)

    // A reload that keeps the server keeps it connected in the gauge.
    daemon.child.kill("SIGHUP")
    await daemon.waitFor(/config reloaded from .*: 1 server\(s\) kept their connection/)
    expect((await get(url)).body).toContain(`f2bc_server_connected{server="127.0.0.1:${broker.port}"} 1`)
  })

  it("a daemon whose metrics port is taken stops with an error naming the address", async () => {
    const dir = tempDir()
    const broker = await startBroker()
    const config = writeConfig(
      dir,
      `metrics: { listen: "127.0.0.1:${broker.port}" }
servers:
  - host: 127.0.0.1
    port: ${broker.port}
    channels:
      - name: Fail2ban
        action: "true"
`
    )
    const result = await runF2bc(["daemon", "run", "--config", config])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(`metrics cannot listen on 127.0.0.1:${broker.port}`)
    expect(result.stderr).toContain("EADDRINUSE")
  })
})
