/**
 * Real `nats-server` processes for the NATS tests: started on free loopback
 * ports (`-p -1`), waited for on their own log lines, killed by `stopAllNats`.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { tempDir, waitUntil } from "./harness.js"

/** Debian's nats-server (CI installs it); a PATH lookup covers other systems. */
export const NATS_SERVER = fs.existsSync("/usr/sbin/nats-server") ? "/usr/sbin/nats-server" : "nats-server"

export interface NatsServer {
  readonly child: ChildProcess
  /** `nats://127.0.0.1:<port>` */
  readonly url: string
  readonly port: number
  /** The route (cluster) port, when started with `cluster`. */
  readonly clusterPort: number | undefined
  readonly output: () => string
  /** Waits for a log line matching `pattern` after `from` characters of output. */
  readonly waitFor: (pattern: RegExp, timeoutMs?: number, from?: number) => Promise<RegExpMatchArray>
  /** SIGKILL, and wait for the exit. */
  readonly kill: () => Promise<void>
}

export interface NatsOptions {
  readonly jetstream?: boolean
  /** A config file's text (auth, TLS), passed with `-c`. */
  readonly config?: string
  /** Join (or seed) a cluster: its name, and the route URLs of the nodes already up. */
  readonly cluster?: { readonly name: string; readonly routes: ReadonlyArray<string>; readonly node: string }
  readonly dir?: string
  /** A fixed client port (a restart on the same port); default any free one. */
  readonly port?: number
}

const started = new Set<() => Promise<void>>()

export const startNats = async (options: NatsOptions = {}): Promise<NatsServer> => {
  const dir = options.dir ?? tempDir("f2bc-nats-")
  const args = ["-a", "127.0.0.1", "-p", String(options.port ?? -1)]
  if (options.jetstream === true) args.push("-js", "-sd", path.join(dir, "jetstream"))
  if (options.config !== undefined) {
    const file = path.join(dir, "nats-server.conf")
    fs.writeFileSync(file, options.config, { mode: 0o600 })
    args.push("-c", file)
  }
  if (options.cluster !== undefined) {
    args.push("--cluster", "nats://127.0.0.1:-1", "--cluster_name", options.cluster.name, "-n", options.cluster.node)
    if (options.cluster.routes.length > 0) args.push("--routes", options.cluster.routes.join(","))
  }
  const child = spawn(NATS_SERVER, args, { stdio: ["ignore", "pipe", "pipe"] })
  let out = ""
  child.stdout!.on("data", (chunk: Buffer) => (out += chunk.toString("utf8")))
  child.stderr!.on("data", (chunk: Buffer) => (out += chunk.toString("utf8")))
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
  const waitFor = (pattern: RegExp, timeoutMs = 10_000, from = 0) =>
    waitUntil(() => (child.exitCode !== null ? null : out.slice(from).match(pattern)) ?? undefined, timeoutMs, `${pattern} in nats-server output:\n${out}`)
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
    await exited
    started.delete(kill)
  }
  started.add(kill)
  const ready = await waitUntil(
    () => (child.exitCode !== null ? null : /Server is ready/.test(out) ? out : undefined),
    10_000,
    `nats-server to be ready:\n${out}`
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}\n${out}`)
  })
  if (ready === null) throw new Error(`nats-server exited:\n${out}`)
  const port = Number(/Listening for client connections on 127\.0\.0\.1:(\d+)/.exec(out)?.[1])
  const clusterPort = options.cluster === undefined
    ? undefined
    : Number((await waitFor(/Listening for route connections on 127\.0\.0\.1:(\d+)/))[1])
  return { child, url: `nats://127.0.0.1:${port}`, port, clusterPort, output: () => out, waitFor, kill }
}

export const stopAllNats = async (): Promise<void> => {
  await Promise.all([...started].map((kill) => kill()))
}

/**
 * A self-signed certificate (and its key) for 127.0.0.1, made by openssl in
 * `dir`: trusted when given as the CA, untrusted otherwise.
 */
export const selfSignedCertificate = (dir: string, name = "server") => {
  const cert = path.join(dir, `${name}.crt`)
  const key = path.join(dir, `${name}.key`)
  const made = spawnSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
    "-addext", "subjectAltName=IP:127.0.0.1", "-addext", "basicConstraints=critical,CA:TRUE"
  ], { encoding: "utf8" })
  if (made.status !== 0) throw new Error(`openssl failed: ${made.stderr}`)
  fs.chmodSync(key, 0o600)
  fs.chmodSync(cert, 0o644)
  return { cert, key }
}
