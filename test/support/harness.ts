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

const firstExisting = (...candidates: ReadonlyArray<string>): string => candidates.find((file) => fs.existsSync(file)) ?? candidates[0]!

const shQuote = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`

/**
 * Like `recorder`, but a /bin/sh script (a node recorder costs ~80 ms a
 * call): each call's argv is written NUL-separated to its own file in
 * `dir/sh-calls/`, under a temporary name then renamed, so a reader never
 * sees half a file. `rawCalls` gives each word's bytes, `calls` decodes them as UTF-8.
 */
export const shRecorder = (dir: string) => {
  const callsDir = path.join(dir, "sh-calls")
  fs.mkdirSync(callsDir, { recursive: true })
  const script = path.join(dir, "record-argv.sh")
  const date = firstExisting("/bin/date", "/usr/bin/date")
  const mv = firstExisting("/bin/mv", "/usr/bin/mv")
  const target = shQuote(callsDir)
  fs.writeFileSync(
    script,
    `#!/bin/sh
n="$(${date} +%s%N)-$$"
# printf repeats its format at least once: zero arguments get an empty file.
if [ $# -gt 0 ]; then printf '%s\\0' "$@"; fi > ${target}/."$n" && exec ${mv} ${target}/."$n" ${target}/"$n".argv
`,
    { mode: 0o755 }
  )
  const files = (): Array<string> => fs.readdirSync(callsDir).filter((f) => f.endsWith(".argv")).sort()
  const read = (file: string): Array<Buffer> => {
    const bytes = fs.readFileSync(path.join(callsDir, file))
    const words: Array<Buffer> = []
    let start = 0
    for (let nul = bytes.indexOf(0, start); nul !== -1; nul = bytes.indexOf(0, start)) {
      words.push(bytes.subarray(start, nul))
      start = nul + 1
    }
    return words
  }
  const rawCalls = (): Array<Array<Buffer>> => files().map(read)
  /** The `index`-th call (in order of time), without reading the others. */
  const rawCall = (index: number): Array<Buffer> | undefined => {
    const file = files()[index]
    return file === undefined ? undefined : read(file)
  }
  const calls = (): Array<Array<string>> => rawCalls().map((words) => words.map((word) => word.toString("utf8")))
  const count = (): number => files().length
  const waitForCount = (n: number, timeoutMs = 15_000): Promise<number> =>
    waitUntil(() => (count() >= n ? count() : undefined), timeoutMs, `${n} action call(s)`)
  const waitForCalls = async (n: number, timeoutMs = 15_000) => {
    await waitForCount(n, timeoutMs)
    return calls()
  }
  return { script, calls, rawCalls, rawCall, count, waitForCount, waitForCalls }
}

/**
 * The complete lines a child writes to stdout and stderr (each stream split
 * on its own), with event-driven waiting for the first line after `from`
 * that satisfies a predicate.
 */
export const watchLines = (child: ChildProcess) => {
  const lines: Array<string> = []
  const waiters = new Set<() => void>()
  const follow = (stream: NodeJS.ReadableStream | null) => {
    let partial = ""
    stream?.on("data", (chunk: Buffer) => {
      partial += chunk.toString("utf8")
      const parts = partial.split("\n")
      partial = parts.pop()!
      if (parts.length === 0) return
      lines.push(...parts)
      for (const wake of [...waiters]) wake()
    })
  }
  follow(child.stdout)
  follow(child.stderr)
  /** Resolves with the index and text of the first line at or after `from` that `test` accepts. */
  const waitForLine = (test: (line: string) => boolean, from: number, timeoutMs = 10_000, what = "a line") =>
    new Promise<{ readonly index: number; readonly line: string }>((resolve, reject) => {
      let next = from
      const check = (): boolean => {
        for (; next < lines.length; next++) {
          if (test(lines[next]!)) {
            resolve({ index: next, line: lines[next]! })
            return true
          }
        }
        return false
      }
      if (check()) return
      const wake = () => {
        if (!check()) return
        waiters.delete(wake)
        clearTimeout(timer)
      }
      const timer = setTimeout(() => {
        waiters.delete(wake)
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last lines:\n${lines.slice(-5).join("\n")}`))
      }, timeoutMs)
      waiters.add(wake)
    })
  return { lines: (): ReadonlyArray<string> => lines, count: (): number => lines.length, waitForLine }
}

/** A log line's own time: every line the daemon writes starts with an ISO timestamp. */
export const logTimeMs = (line: string): number => {
  const stamp = line.match(/^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z)/)
  if (stamp === null) throw new Error(`no timestamp at the start of log line: ${line}`)
  return Date.parse(stamp[1]!)
}

export interface TimedCall {
  /** Wall-clock milliseconds (epoch) when the action started and ended. */
  readonly start: number
  readonly end: number
  readonly argv: ReadonlyArray<string>
}

/**
 * A /bin/sh action that records each call's argv with its start and end
 * times, running `body` (shell text, may use "$1"…) in between: a slow or
 * misbehaving action whose timing the test can check. Each call is one file
 * in `dir/timed-calls/`, written under a temporary name then renamed.
 */
export const timedRecorder = (dir: string, body = ":", name = "timed-action.sh") => {
  const callsDir = path.join(dir, "timed-calls")
  fs.mkdirSync(callsDir, { recursive: true })
  const script = path.join(dir, name)
  const date = firstExisting("/bin/date", "/usr/bin/date")
  const mv = firstExisting("/bin/mv", "/usr/bin/mv")
  const target = shQuote(callsDir)
  fs.writeFileSync(
    script,
    `#!/bin/sh
start="$(${date} +%s%N)"
${body}
end="$(${date} +%s%N)"
printf '%s\\0' "$start" "$end" "$@" > ${target}/."$start-$$" && exec ${mv} ${target}/."$start-$$" ${target}/"$start-$$".call
`,
    { mode: 0o755 }
  )
  const nsToMs = (text: string): number => Number(BigInt(text) / 1000n) / 1000
  const files = (): Array<string> => fs.readdirSync(callsDir).filter((f) => f.endsWith(".call"))
  /** Every finished call, in order of start time. */
  const calls = (): Array<TimedCall> =>
    files()
      .map((file) => {
        const words = fs.readFileSync(path.join(callsDir, file), "utf8").split("\0").slice(0, -1)
        return { start: nsToMs(words[0]!), end: nsToMs(words[1]!), argv: words.slice(2) }
      })
      .sort((a, b) => a.start - b.start)
  const count = (): number => files().length
  const waitForCount = (n: number, timeoutMs = 15_000): Promise<number> =>
    waitUntil(() => (count() >= n ? count() : undefined), timeoutMs, `${n} finished action call(s)`)
  return { script, calls, count, waitForCount }
}

/**
 * A fanout-speaking server under the test's control: it greets, answers
 * every `ping` in order, and after the first one (the confirmation of the
 * subscriptions) runs `afterSubscribe` with a writer; pongs to later pings
 * are queued behind what that writer sends, so they never split its lines.
 */
export const scriptedFanoutServer = async (afterSubscribe: (write: (bytes: Uint8Array | string) => Promise<void>) => Promise<void>) => {
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.setNoDelay(true)
    socket.on("error", () => undefined)
    socket.on("close", () => sockets.delete(socket))
    const write = (bytes: Uint8Array | string) =>
      new Promise<void>((resolve) => {
        if (socket.destroyed) return resolve()
        socket.write(bytes, () => resolve())
      })
    // Everything this server sends goes through one chain, in order.
    let chain = write("debug!connected...\n")
    let scripted = false
    let buffer = ""
    socket.on("data", (chunk: Buffer) => {
      buffer += chunk.toString("utf8")
      for (let newline = buffer.indexOf("\n"); newline !== -1; newline = buffer.indexOf("\n")) {
        const line = buffer.slice(0, newline)
        buffer = buffer.slice(newline + 1)
        if (line !== "ping") continue
        chain = chain.then(() => write(`${Math.floor(Date.now() / 1000)}\n`))
        if (!scripted) {
          scripted = true
          chain = chain.then(() => afterSubscribe(write))
        }
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      })
  }
}

/** Samples a process's resident set size (VmRSS) every `intervalMs` until stopped; peak in MiB. */
export const rssSampler = (pid: number, intervalMs = 25) => {
  let firstKb = 0
  let peakKb = 0
  let samples = 0
  const sample = () => {
    try {
      const status = fs.readFileSync(`/proc/${pid}/status`, "utf8")
      const kb = Number(status.match(/^VmRSS:\s+(\d+) kB/m)?.[1] ?? 0)
      if (samples++ === 0) firstKb = kb
      if (kb > peakKb) peakKb = kb
    } catch {
      // The process is gone: the test that cares checks its exit.
    }
  }
  sample()
  const timer = setInterval(sample, intervalMs)
  return {
    /** The RSS when sampling began. */
    firstMiB: (): number => firstKb / 1024,
    peakMiB: (): number => peakKb / 1024,
    samples: (): number => samples,
    stop: () => clearInterval(timer)
  }
}

/** One request line on a daemon's control socket, and its JSON answer (the connection ends after it). */
export const askSocket = (socket: string, line: string): Promise<Record<string, unknown>> =>
  new Promise((resolve, reject) => {
    const client = net.connect(socket)
    let answer = ""
    client.once("error", reject)
    client.once("connect", () => client.write(`${line}\n`))
    client.on("data", (chunk: Buffer) => (answer += chunk.toString("utf8")))
    client.once("end", () => {
      try {
        resolve(JSON.parse(answer) as Record<string, unknown>)
      } catch (error) {
        reject(error)
      }
    })
  })
