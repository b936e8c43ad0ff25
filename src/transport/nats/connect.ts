/**
 * Opening a NATS connection for an endpoint: servers, credentials, TLS,
 * keep-alive and reconnect settings; client errors become typed TransportErrors.
 */
import {
  connect as natsConnect,
  credsAuthenticator,
  nkeyAuthenticator,
  type NatsConnection,
  type NodeConnectionOptions
} from "@nats-io/transport-node"
import * as Effect from "effect/Effect"
import { checkServerIdentity, type ConnectionOptions, type PeerCertificate } from "node:tls"
import type * as Scope from "effect/Scope"
import { serverName, TransportError, type NatsEndpoint } from "../transport.js"

/** What went wrong, for the reason: a refused credential, a certificate, or anything else about the connection. */
export const reasonOf = (error: unknown): TransportError["reason"] => {
  const text = describe(error)
  if (/authoriz|authenticat|permissions violation|user authentication|nkey|jwt/i.test(text)) return "Auth"
  if (/certificate|tls|ssl|self.signed|handshake/i.test(text)) return "Tls"
  if (/timeout/i.test(text)) return "Timeout"
  return "Connect"
}

/** An error's message with its causes (the client wraps socket and TLS errors). */
export const describe = (error: unknown): string => {
  const parts: Array<string> = []
  let current: unknown = error
  for (let depth = 0; depth < 4 && current !== undefined && current !== null; depth++) {
    const text = current instanceof Error ? current.message : String(current)
    if (text !== "" && !parts.some((part) => part.includes(text))) parts.push(text)
    current = current instanceof Error ? current.cause : undefined
  }
  return parts.join(": ") || "unknown error"
}

export const natsError = (endpoint: NatsEndpoint, error: unknown, what: string): TransportError => {
  const reason = reasonOf(error)
  const hint = reason === "Auth"
    ? " (check the server's credentials: token, user/password, creds_file or nkey_file)"
    : reason === "Tls"
    ? " (check tls.ca_file and the server's certificate)"
    : ""
  return new TransportError({ reason, server: serverName(endpoint), detail: `${what}: ${describe(error)}${hint}` })
}

export interface OpenOptions {
  /** Reconnect inside the client (a daemon's session), or fail at the first loss (a publish). */
  readonly reconnect: boolean
  /** Milliseconds before the n-th reconnect attempt (0-based); used when `reconnect`. */
  readonly reconnectDelay?: () => number
}

const connectionOptions = (endpoint: NatsEndpoint, options: OpenOptions): NodeConnectionOptions => {
  const { credentials, tls } = endpoint
  const base: NodeConnectionOptions = {
    servers: [...endpoint.urls],
    name: endpoint.clientName,
    timeout: Math.min(endpoint.pingTimeoutMs, 10_000),
    // Two unanswered pings, one every T/3: a silent server is declared dead within about T.
    pingInterval: Math.max(1000, Math.floor(endpoint.pingTimeoutMs / 3)),
    maxPingOut: 2,
    reconnect: options.reconnect,
    // Never give up inside a session (the daemon's own supervisor has the last word). Without reconnect the
    // client's default is kept: 0 would stop the first connection at the first URL that fails.
    ...(options.reconnect ? { maxReconnectAttempts: -1 } : {}),
    waitOnFirstConnect: false
  }
  const withDelay: NodeConnectionOptions = options.reconnectDelay === undefined ? base : { ...base, reconnectDelayHandler: options.reconnectDelay }
  const withAuth: NodeConnectionOptions = credentials.creds !== undefined
    ? { ...withDelay, authenticator: credsAuthenticator(credentials.creds) }
    : credentials.nkeySeed !== undefined
    ? { ...withDelay, authenticator: nkeyAuthenticator(credentials.nkeySeed) }
    : credentials.user !== undefined
    ? { ...withDelay, user: credentials.user, pass: credentials.password ?? "" }
    : credentials.token !== undefined
    ? { ...withDelay, token: credentials.token }
    : withDelay
  const wantsTls = tls !== undefined || endpoint.urls.some((url) => url.startsWith("tls://"))
  if (!wantsTls) return withAuth
  // Passed on to tls.connect as they are: checkServerIdentity is a Node option the client's type does not list.
  const tlsOptions: NonNullable<NodeConnectionOptions["tls"]> & Pick<ConnectionOptions, "checkServerIdentity"> = {
    ...(tls?.ca === undefined ? {} : { ca: tls.ca }),
    ...(tls?.cert === undefined ? {} : { cert: tls.cert }),
    ...(tls?.key === undefined ? {} : { key: tls.key }),
    checkServerIdentity: serverIdentity(endpoint)
  }
  return { ...withAuth, tls: tlsOptions }
}

const hostOf = (url: string): string => {
  const hostPort = url.replace(/^[a-z]+:\/\//i, "")
  const host = hostPort.startsWith("[") ? hostPort.slice(1, hostPort.indexOf("]")) : hostPort.replace(/:[0-9]+$/, "")
  return host
}

/**
 * The certificate must be valid for the name the client dialed or for one of
 * the hosts the entry names. (The client passes no server name for an IP
 * URL, so Node would check the certificate against "localhost".)
 */
const serverIdentity = (endpoint: NatsEndpoint) => {
  const hosts = endpoint.urls.map(hostOf)
  return (host: string, cert: PeerCertificate): Error | undefined => {
    const first = checkServerIdentity(host, cert)
    if (first === undefined) return undefined
    return hosts.some((name) => checkServerIdentity(name, cert) === undefined) ? undefined : first
  }
}

/** Connects (trying each URL of the endpoint) in the current scope; closing the scope closes the connection. */
export const open = (endpoint: NatsEndpoint, options: OpenOptions): Effect.Effect<NatsConnection, TransportError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: () => natsConnect(connectionOptions(endpoint, options)),
      catch: (error) => natsError(endpoint, error, "cannot connect")
    }),
    (nc) => Effect.promise(() => nc.close().catch(() => undefined))
  )

/** The subject of a channel. */
export const subjectOf = (endpoint: NatsEndpoint, channel: string): string => `${endpoint.subjectPrefix}.${channel}`

/** The channel of a subject under the endpoint's prefix, or undefined. */
export const channelOf = (endpoint: NatsEndpoint, subject: string): string | undefined =>
  subject.startsWith(`${endpoint.subjectPrefix}.`) ? subject.slice(endpoint.subjectPrefix.length + 1) : undefined
