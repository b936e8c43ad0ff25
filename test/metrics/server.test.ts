import * as http from "node:http"
import * as net from "node:net"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as HashMap from "effect/HashMap"
import * as Logger from "effect/Logger"
import * as Scope from "effect/Scope"
import { describe, expect, it } from "@effect/vitest"
import { countMessage, recordDuration, setConnected } from "../../src/metrics/metrics.js"
import { contentType, MetricsError, serveMetrics } from "../../src/metrics/server.js"
import { parseExposition } from "./exposition.js"

interface Reply {
  readonly status: number
  readonly headers: http.IncomingHttpHeaders
  readonly body: string
}

/** One real HTTP request over loopback, on a fresh connection. */
const request = (port: number, path: string, method = "GET"): Effect.Effect<Reply, Error> =>
  Effect.async<Reply, Error>((resume) => {
    const req = http.request({ host: "127.0.0.1", port, path, method, agent: false }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (chunk: Buffer) => chunks.push(chunk))
      res.on("end", () =>
        resume(Effect.succeed({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") })))
    })
    req.on("error", (error) => resume(Effect.fail(error)))
    req.end()
  })

/** An idle TCP connection, closed with the scope. */
const openSocket = (port: number): Effect.Effect<net.Socket, Error, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<net.Socket, Error>((resume) => {
      const socket = net.connect(port, "127.0.0.1", () => resume(Effect.succeed(socket)))
      socket.once("error", (error) => resume(Effect.fail(error)))
    }),
    (socket) => Effect.sync(() => socket.destroy())
  )

const quiet = Effect.provide(Logger.remove(Logger.defaultLogger))

const serve = serveMetrics({ host: "127.0.0.1", port: 0 }).pipe(quiet)

describe("metrics endpoint (issue 4, Metrics: Prometheus text at /metrics)", () => {
  it.scopedLive("serves the counters, gauges and histogram of metrics.ts as Prometheus text on GET /metrics", () =>
    Effect.gen(function*() {
      yield* countMessage("executed", "action")
      yield* countMessage("executed", "action")
      yield* countMessage("rejected", "signature")
      yield* recordDuration(1234)
      yield* setConnected("alpha", true)
      yield* setConnected("beta", false)
      const { port } = yield* serve
      const reply = yield* request(port, "/metrics")
      expect(reply.status).toBe(200)
      expect(reply.headers["content-type"]).toBe(contentType)
      expect(contentType).toBe("text/plain; version=0.0.4; charset=utf-8")
      const lines = reply.body.split("\n")
      expect(lines).toContain("# TYPE f2bc_messages_total counter")
      expect(lines).toContain("f2bc_messages_total{outcome=\"executed\",stage=\"action\"} 2")
      expect(lines).toContain("f2bc_messages_total{outcome=\"rejected\",stage=\"signature\"} 1")
      expect(lines).toContain("# TYPE f2bc_action_duration_seconds histogram")
      expect(lines).toContain("f2bc_action_duration_seconds_bucket{le=\"1\"} 0")
      expect(lines).toContain("f2bc_action_duration_seconds_bucket{le=\"2.5\"} 1")
      expect(lines).toContain("f2bc_action_duration_seconds_bucket{le=\"+Inf\"} 1")
      expect(lines).toContain("f2bc_action_duration_seconds_sum 1.234")
      expect(lines).toContain("f2bc_action_duration_seconds_count 1")
      expect(lines).toContain("# HELP f2bc_server_connected 1 while connected and subscribed, else 0")
      expect(lines).toContain("# TYPE f2bc_server_connected gauge")
      expect(lines).toContain("f2bc_server_connected{server=\"alpha\"} 1")
      expect(lines).toContain("f2bc_server_connected{server=\"beta\"} 0")
      expect(() => parseExposition(reply.body)).not.toThrow()
    }))

  it.scopedLive("reads the metrics afresh on every scrape", () =>
    Effect.gen(function*() {
      const { port } = yield* serve
      yield* setConnected("gamma", true)
      expect((yield* request(port, "/metrics")).body).toContain("f2bc_server_connected{server=\"gamma\"} 1\n")
      yield* setConnected("gamma", false)
      expect((yield* request(port, "/metrics")).body).toContain("f2bc_server_connected{server=\"gamma\"} 0\n")
    }))

  it.scopedLive("answers 404 for any other path and 405 (Allow: GET, HEAD) for any other method", () =>
    Effect.gen(function*() {
      const { port } = yield* serve
      expect((yield* request(port, "/")).status).toBe(404)
      expect((yield* request(port, "/metrics/x")).status).toBe(404)
      const post = yield* request(port, "/metrics", "POST")
      expect(post.status).toBe(405)
      expect(post.headers["allow"]).toBe("GET, HEAD")
      const head = yield* request(port, "/metrics", "HEAD")
      expect(head.status).toBe(200)
      expect(head.body).toBe("")
      expect((yield* request(port, "/metrics?name=x")).status).toBe(200)
    }))

  it.live("stops listening when its scope closes", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const { port } = yield* serve.pipe(Scope.extend(scope))
      expect((yield* request(port, "/metrics")).status).toBe(200)
      yield* Scope.close(scope, Exit.void)
      const after = yield* Effect.either(request(port, "/metrics"))
      expect(after._tag).toBe("Left")
      expect(after._tag === "Left" && (after.left as NodeJS.ErrnoException).code).toBe("ECONNREFUSED")
    }))

  it.scopedLive("fails with MetricsError reason Listen (not a defect) when the port is taken", () =>
    Effect.gen(function*() {
      const { port } = yield* serve
      const exit = yield* Effect.exit(serveMetrics({ host: "127.0.0.1", port }).pipe(quiet))
      if (Exit.isFailure(exit) && exit.cause._tag === "Fail") {
        const error = exit.cause.error
        expect(error.reason).toBe("Listen")
        expect(error.port).toBe(port)
        expect(error.detail).toContain("EADDRINUSE")
        expect(error.message).toBe(`metrics cannot listen on 127.0.0.1:${port}: ${error.detail}`)
      } else {
        expect.unreachable("expected a typed failure")
      }
    }))

  it.scopedLive("fails with MetricsError for a port Node refuses outright", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(serveMetrics({ host: "127.0.0.1", port: 70000 }).pipe(quiet))
      expect(error).toBeInstanceOf(MetricsError)
      expect(error.reason).toBe("Listen")
    }))

  it.scopedLive("logs `metrics on http://host:port/metrics` at info with component=metrics", () =>
    Effect.gen(function*() {
      const entries: Array<{ level: string; message: string; annotations: Record<string, unknown> }> = []
      const logger = Logger.make(({ annotations, logLevel, message }) => {
        entries.push({
          level: logLevel.label,
          message: Array.isArray(message) ? message.join(" ") : String(message),
          annotations: Object.fromEntries(HashMap.toEntries(annotations))
        })
      })
      const { port } = yield* serveMetrics({ host: "127.0.0.1", port: 0 }).pipe(
        Effect.provide(Logger.replace(Logger.defaultLogger, logger))
      )
      expect(entries).toEqual([
        { level: "INFO", message: `metrics on http://127.0.0.1:${port}/metrics`, annotations: { component: "metrics" } }
      ])
    }))

  it.scopedLive("holds at most 32 connections at a time: the next one is closed, a freed slot serves again", () =>
    Effect.gen(function*() {
      const { port } = yield* serve
      const idle = yield* Effect.all(Array.from({ length: 32 }, () => openSocket(port)))
      const refused = yield* Effect.either(request(port, "/metrics"))
      expect(refused._tag).toBe("Left")
      idle[0]?.destroy()
      yield* Effect.eventually(request(port, "/metrics"))
      for (const socket of idle) socket.destroy()
    }))

  it.scopedLive("keeps serving when a client sends garbage", () =>
    Effect.gen(function*() {
      const { port } = yield* serve
      yield* Effect.async<void>((resume) => {
        const socket = net.connect(port, "127.0.0.1", () => socket.end("NOT HTTP\r\n\r\n"))
        socket.on("error", () => {})
        socket.on("close", () => resume(Effect.void))
        socket.resume()
      })
      expect((yield* request(port, "/metrics")).status).toBe(200)
    }))
})
