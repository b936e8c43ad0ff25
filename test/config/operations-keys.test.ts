/**
 * Issue 4 config keys (queue_limit, concurrency, order_key, shutdown_timeout,
 * control_socket, metrics): their defaults, how they resolve, and each refusal by path.
 */
import { describe, expect, it } from "@effect/vitest"
import { decoded, issues } from "./expect.js"

const config = (top = ""): string => `
servers:
  - host: hub1
    port: 1986
    channels:
      - name: C
        action: "true"
${top}
`



describe("issue 4 config keys", () => {
  it("default to queue_limit 10000, concurrency 4, order_key ip, shutdown_timeout 10, no control_socket override, no metrics", () => {
    const c = decoded(config())
    expect([c.queue_limit, c.concurrency, c.order_key, c.shutdown_timeout, c.control_socket, c.metrics]).toEqual([
      10_000, 4, "ip", 10, undefined, undefined
    ])
  })

  it("take the values given; control_socket is resolved against the config's directory", () => {
    const c = decoded(
      config("queue_limit: 50\nconcurrency: 2\norder_key: host\nshutdown_timeout: 2.5\ncontrol_socket: run/f2bc.sock\n"),
      "/etc/f2bc/f2bc.yml"
    )
    expect([c.queue_limit, c.concurrency, c.order_key, c.shutdown_timeout, c.control_socket]).toEqual([
      50, 2, "host", 2.5, "/etc/f2bc/run/f2bc.sock"
    ])
  })

  it("metrics.listen is host:port or [v6]:port, default 127.0.0.1:9810", () => {
    expect(decoded(config("metrics: {}\n")).metrics).toEqual({ host: "127.0.0.1", port: 9810 })
    expect(decoded(config("metrics: { listen: \"[::1]:0\" }\n")).metrics).toEqual({ host: "::1", port: 0 })
    expect(decoded(config("metrics: { listen: localhost:9100 }\n")).metrics).toEqual({ host: "localhost", port: 9100 })
  })

  it("refuses out-of-range or malformed values at their path", () => {
    expect(issues(config("concurrency: 0\n"))).toEqual(["concurrency: must be an integer from 1 to 256, got 0"])
    expect(issues(config("queue_limit: -1\n"))).toEqual(["queue_limit: must be a positive integer, got -1"])
    expect(issues(config("shutdown_timeout: 0\n"))).toEqual([
      "shutdown_timeout: must be a number of seconds greater than 0 and at most 86400, got 0"
    ])
    expect(issues(config("order_key: \"a b\"\n"))[0]).toMatch(/^order_key: must be a key of letters, digits/)
    expect(issues(config("metrics: { listen: 9810 }\n"))[0]).toMatch(/^metrics\.listen: must be an address like 127\.0\.0\.1:9810/)
    expect(issues(config("metrics: { listen: \"127.0.0.1:99999\" }\n"))).toEqual(["metrics.listen: port 99999 is not from 0 to 65535"])
  })
})
