/**
 * The optional `/metrics` endpoint: a small `node:http` server that renders
 * Effect's metric snapshot as Prometheus text, open for as long as its scope.
 */
import * as http from "node:http"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import * as Predicate from "effect/Predicate"
import * as Runtime from "effect/Runtime"
import type * as Scope from "effect/Scope"
import { formatHostPort } from "../net/address.js"
import { closeServer, listenServer } from "../net/listen.js"
import { renderPrometheus } from "./prometheus.js"

export const contentType = "text/plain; version=0.0.4; charset=utf-8"

const component = { component: "metrics" }

// A scraper needs one connection and answers fast: the bounds keep a flood
// from taking file descriptors and memory from the daemon.
const limits = { maxConnections: 32, requestTimeoutMs: 10_000 }

export class MetricsError extends Data.TaggedError("MetricsError")<{
  readonly reason: "Listen"
  readonly host: string
  readonly port: number
  readonly detail: string
}> {
  override get message(): string {
    return `metrics cannot listen on ${formatHostPort(this.host, this.port)}: ${this.detail}`
  }
}

/**
 * Serves `GET /metrics` on `host:port` (port 0 picks a free port, returned)
 * until the scope closes; a listen failure (EADDRINUSE, EACCES…) is a `MetricsError`.
 */
export const serveMetrics = (
  options: { readonly host: string; readonly port: number }
): Effect.Effect<{ readonly port: number }, MetricsError, Scope.Scope> =>
  Effect.gen(function*() {
    const runtime = yield* Effect.runtime<never>()
    // Only f2bc's own series: Effect's runtime metrics (effect_fiber_*) are not part of the interface.
    const render = (): string =>
      renderPrometheus(Runtime.runSync(runtime)(Metric.snapshot).filter((pair) => pair.metricKey.name.startsWith("f2bc_")))
    // Server callbacks are not Effects: errors after listening are logged through the captured runtime.
    const logError = (error: Error): void => {
      Runtime.runFork(runtime)(
        Effect.logWarning(`metrics server error: ${errorDetail(error)}`).pipe(Effect.annotateLogs(component))
      )
    }
    const server = yield* Effect.acquireRelease(
      listen(options, (request, response) => respond(request, response, render), logError),
      close
    )
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : options.port
    yield* Effect.logInfo(`metrics on http://${formatHostPort(options.host, port)}/metrics`)
    return { port }
  }).pipe(Effect.annotateLogs(component))

const respond = (request: http.IncomingMessage, response: http.ServerResponse, render: () => string): void => {
  const path = (request.url ?? "").split("?")[0]
  if (path !== "/metrics") {
    response.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" }).end("not found\n")
  } else if (request.method !== "GET" && request.method !== "HEAD") {
    response.writeHead(405, { "Content-Type": "text/plain; charset=utf-8", Allow: "GET, HEAD" })
      .end("method not allowed\n")
  } else {
    let body: string
    try {
      body = render()
    } catch {
      // A throw inside a request listener would take the daemon down with it.
      response.writeHead(500, { "Content-Type": "text/plain; charset=utf-8" }).end("cannot render metrics\n")
      return
    }
    // Node leaves the body out of a HEAD response by itself.
    response.writeHead(200, { "Content-Type": contentType, "Content-Length": Buffer.byteLength(body) }).end(body)
  }
}

const listen = (
  options: { readonly host: string; readonly port: number },
  handler: http.RequestListener,
  onError: (error: Error) => void
): Effect.Effect<http.Server, MetricsError> =>
  Effect.suspend(() => {
    const server = http.createServer({ requestTimeout: limits.requestTimeoutMs, headersTimeout: limits.requestTimeoutMs }, handler)
    server.maxConnections = limits.maxConnections
    return listenServer(server, { host: options.host, port: options.port }, { onError })
  }).pipe(Effect.mapError((error) => new MetricsError({ reason: "Listen", ...options, detail: errorDetail(error.cause) })))

/** Stops accepting, drops idle and active connections, and waits for the close. */
const close = (server: http.Server): Effect.Effect<void> => closeServer(server, () => server.closeAllConnections())

const errorDetail = (error: unknown): string => {
  if (!(error instanceof Error)) return String(error)
  const code = Predicate.hasProperty(error, "code") && typeof error.code === "string" ? error.code : undefined
  return code !== undefined && !error.message.includes(code) ? `${code}: ${error.message}` : error.message
}

