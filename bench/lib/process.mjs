// Starting and stopping what the benchmark measures: the built f2bc
// executable (broker, daemon), helper scripts, temp dirs, configs, RSS.
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"

export const ROOT = path.resolve(import.meta.dirname, "../..")
export const BIN = path.join(ROOT, "dist/f2bc.js")
export const TOOLS = path.join(ROOT, "bench/tools")

const started = new Set()
const dirs = new Set()

export const tempDir = (prefix = "f2bc-bench-") => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  dirs.add(dir)
  return dir
}

/** f2bc refuses a config writable by group or others: 0600. */
export const writeConfig = (dir, yaml, name = "f2bc.yml") => {
  const file = path.join(dir, name)
  fs.writeFileSync(file, yaml, { mode: 0o600 })
  return file
}

/** A loopback port that was free a moment ago (for keys that must name one). */
export const freePort = async () => {
  const server = net.createServer()
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address()
  await new Promise((resolve) => server.close(resolve))
  return port
}

/**
 * Starts `node [nodeArgs] script ...args`, keeping its combined output; every
 * process started here is stopped by `stopAll` (also on exit and Ctrl-C).
 */
export const startNode = (script, args = [], { nodeArgs = [], env = {}, cwd } = {}) => {
  const child = spawn(process.execPath, [...nodeArgs, script, ...args], {
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, ...env },
    ...(cwd === undefined ? {} : { cwd })
  })
  let out = ""
  const waiters = new Set()
  const onData = (chunk) => {
    out += chunk.toString("utf8")
    // Keep only the tail of long outputs: a chatty process must not grow the bench.
    if (out.length > 1_000_000) out = out.slice(-500_000)
    for (const wake of [...waiters]) wake()
  }
  child.stdout.on("data", onData)
  child.stderr.on("data", onData)
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })))
  const handle = {
    child,
    pid: child.pid,
    output: () => out,
    /** Resolves with the first match of `pattern` in the output after `from` characters. */
    waitFor: (pattern, timeoutMs = 15_000, from = 0) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = out.slice(from).match(pattern)
          if (match === null) return false
          waiters.delete(check)
          clearTimeout(timer)
          resolve(match)
          return true
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${pattern} from ${path.basename(script)} ${args.join(" ")}; output:\n${out.slice(-2000)}`))
        }, timeoutMs)
        if (!check()) waiters.add(check)
        exited.then(() => {
          if (!waiters.has(check)) return
          waiters.delete(check)
          clearTimeout(timer)
          reject(new Error(`${path.basename(script)} ${args.join(" ")} exited while waiting for ${pattern}; output:\n${out.slice(-2000)}`))
        })
      }),
    exited,
    alive: () => child.exitCode === null && child.signalCode === null,
    stop: async (signal = "SIGTERM") => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      const result = await exited
      started.delete(handle)
      return result
    }
  }
  started.add(handle)
  return handle
}

export const startF2bc = (args, options = {}) => startNode(BIN, args, options)

export const startTool = (name, args = [], options = {}) => startNode(path.join(TOOLS, name), args, options)

/** `f2bc broker` on a free loopback port. */
export const startBroker = async (extra = []) => {
  const broker = startF2bc(["broker", "--host", "127.0.0.1", "--port", "0", ...extra])
  const match = await broker.waitFor(/listening on 127\.0\.0\.1:(\d+)/)
  return Object.assign(broker, { port: Number(match[1]) })
}

/** Resident set size of a live process, in MiB (VmRSS). */
export const rssMiB = (pid) => {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8")
  return Number(status.match(/^VmRSS:\s+(\d+) kB/m)?.[1] ?? Number.NaN) / 1024
}

/** Samples a process's RSS every `intervalMs`; `peak()` in MiB. */
export const rssSampler = (pid, intervalMs = 20) => {
  let peak = 0
  const sample = () => {
    try {
      peak = Math.max(peak, rssMiB(pid))
    } catch {
      // gone: the figure checks the process itself
    }
  }
  sample()
  const timer = setInterval(sample, intervalMs)
  return { peak: () => peak, stop: () => clearInterval(timer) }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** Stops every process this run started and removes its temp dirs. */
export const stopAll = async () => {
  await Promise.all([...started].map((handle) => handle.stop("SIGKILL")))
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true })
  dirs.clear()
}

const killSync = () => {
  for (const handle of started) if (handle.alive()) handle.child.kill("SIGKILL")
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true })
}
process.once("exit", killSync)
for (const signal of ["SIGINT", "SIGTERM"])
  process.once(signal, () => {
    killSync()
    process.exit(130)
  })
