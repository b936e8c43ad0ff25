/**
 * Test harness for driving the built `f2bc` executable as a user would:
 * temporary directories, child processes whose output we can wait on, and
 * an action script that records every argv it was run with.
 */
import { spawn, type ChildProcess } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"

export const ROOT = path.resolve(import.meta.dirname, "../..")
export const BIN = path.join(ROOT, "dist/f2bc.js")

export const tempDir = (prefix = "f2bc-test-"): string => fs.mkdtempSync(path.join(os.tmpdir(), prefix))

/** Resolves when `check` returns a value other than undefined; rejects after `timeoutMs`. */
export const waitUntil = async <A>(check: () => A | undefined, timeoutMs: number, what: string): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

export interface Running {
  readonly child: ChildProcess
  readonly output: () => string
  /** Waits for a line of combined stdout/stderr matching `pattern`, after `from` characters. */
  readonly waitFor: (pattern: RegExp, timeoutMs?: number, from?: number) => Promise<RegExpMatchArray>
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  readonly stop: () => Promise<void>
}

const running = new Set<Running>()

/** Starts `f2bc ...args`; every process started here is killed by `stopAll`. */
export const startF2bc = (args: ReadonlyArray<string>, env: Record<string, string> = {}): Running => {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } })
  let out = ""
  child.stdout!.on("data", (chunk: Buffer) => (out += chunk.toString("utf8")))
  child.stderr!.on("data", (chunk: Buffer) => (out += chunk.toString("utf8")))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal }))
  )
  const handle: Running = {
    child,
    output: () => out,
    waitFor: (pattern, timeoutMs = 15_000, from = 0) =>
      waitUntil(() => out.slice(from).match(pattern) ?? undefined, timeoutMs, `${pattern} in output:\n${out}`),
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM")
      await exited
      running.delete(handle)
    }
  }
  running.add(handle)
  return handle
}

export const stopAll = async (): Promise<void> => {
  await Promise.all([...running].map((r) => r.stop()))
}

/** Runs `f2bc ...args` to completion. */
export const runF2bc = (
  args: ReadonlyArray<string>,
  env: Record<string, string> = {}
): Promise<{ code: number | null; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")))
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")))
    child.once("close", (code) => resolve({ code, stdout, stderr }))
  })

/** Starts `f2bc broker` on a free loopback port and returns it with its port. */
export const startBroker = async (port = 0, extra: ReadonlyArray<string> = []): Promise<Running & { port: number }> => {
  const broker = startF2bc(["broker", "--host", "127.0.0.1", "--port", String(port), ...extra])
  const match = await broker.waitFor(/listening on 127\.0\.0\.1:(\d+)/)
  return Object.assign(broker, { port: Number(match[1]) })
}

/**
 * Writes an executable action script that records each invocation's argv
 * (as JSON, one file per call) into `dir/calls/`, and returns its path and a reader.
 */
export const recorder = (dir: string, extraShell = "") => {
  const callsDir = path.join(dir, "calls")
  fs.mkdirSync(callsDir, { recursive: true })
  const script = path.join(dir, "record-argv")
  fs.writeFileSync(
    script,
    `#!/usr/bin/env node
const fs = require("node:fs")
const name = process.hrtime.bigint().toString().padStart(24, "0") + "-" + process.pid
// Write then rename, so a reader never sees a half-written file.
fs.writeFileSync(${JSON.stringify(callsDir)} + "/." + name, JSON.stringify(process.argv.slice(2)))
fs.renameSync(${JSON.stringify(callsDir)} + "/." + name, ${JSON.stringify(callsDir)} + "/" + name + ".json")
${extraShell}
`,
    { mode: 0o755 }
  )
  const calls = (): Array<Array<string>> =>
    fs
      .readdirSync(callsDir)
      .filter((f) => f.endsWith(".json"))
      .sort()
      .map((f) => JSON.parse(fs.readFileSync(path.join(callsDir, f), "utf8")) as Array<string>)
  const waitForCalls = (n: number, timeoutMs = 15_000) =>
    waitUntil(() => {
      const c = calls()
      return c.length >= n ? c : undefined
    }, timeoutMs, `${n} action call(s)`)
  return { script, calls, waitForCalls }
}

/** A raw fanout client over loopback TCP, for hostile or low-level traffic. */
export const rawClient = async (port: number) => {
  const socket = net.connect({ host: "127.0.0.1", port })
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve)
    socket.once("error", reject)
  })
  let received = ""
  socket.on("data", (chunk: Buffer) => (received += chunk.toString("utf8")))
  return {
    socket,
    send: (text: string) => socket.write(text),
    received: () => received,
    /** Sends `ping` and waits for its pong: everything sent before it was processed. */
    sync: async () => {
      const before = received.length
      socket.write("ping\n")
      await waitUntil(() => (/^\d+$/m.test(received.slice(before)) ? true : undefined), 5000, "pong")
    },
    close: () => socket.destroy()
  }
}

/** A TCP server that accepts connections and never answers (a frozen broker). */
export const silentServer = async () => {
  const sockets = new Set<net.Socket>()
  let connections = 0
  const server = net.createServer((socket) => {
    connections++
    sockets.add(socket)
    socket.on("error", () => undefined)
    socket.on("close", () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as net.AddressInfo).port
  return {
    port,
    connections: () => connections,
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

export const writeConfig = (dir: string, yaml: string, name = "f2bc.yml"): string => {
  const file = path.join(dir, name)
  fs.writeFileSync(file, yaml, { mode: 0o600 })
  return file
}

/** A port that was free a moment ago (for configs that must name a port before a server binds it). */
export const freePort = async (): Promise<number> => {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as net.AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
