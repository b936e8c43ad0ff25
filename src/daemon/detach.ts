/**
 * `daemon start`: spawns `f2bc daemon run` detached and waits until it says
 * it is up, or relays why it is not (its stderr until then, whatever the config).
 */
import * as Effect from "effect/Effect"
import { spawn, type ChildProcess } from "node:child_process"
import * as fs from "node:fs"
import type { Readable } from "node:stream"
import { runningPid } from "./pidfile.js"
import { READY_FD_VARIABLE, READY_MARK } from "./readiness.js"

export interface StartOptions {
  readonly configPath: string
  readonly pidFile: string
  readonly logFile: string | undefined
  /** Milliseconds to wait for the child to say it is up. */
  readonly waitMs: number
}

export type StartOutcome =
  | { readonly _tag: "Started"; readonly pid: number }
  | { readonly _tag: "AlreadyRunning"; readonly pid: number }
  | { readonly _tag: "Failed"; readonly detail: string }

/** The last bytes of the child's start-up output that are shown: its error is at the end. */
const RELAY_LIMIT = 16 * 1024

/**
 * The detached daemon's stderr after start-up (a crash, anything printed
 * outside its logger): the log file, else nowhere. A log file this process
 * cannot open is left to the child, which then fails and says why.
 */
const openChildStderr = (logFile: string | undefined): number => {
  if (logFile !== undefined) {
    try {
      return fs.openSync(logFile, "a", 0o640)
    } catch {
      // the child reports it
    }
  }
  return fs.openSync("/dev/null", "a")
}

const indent = (text: string): string =>
  text
    .trimEnd()
    .split("\n")
    .map((line) => `  ${line}`)
    .join("\n")

/** What the child's end tells, with what it printed. */
const failure = (code: number | null, signal: NodeJS.Signals | null, text: string, logFile: string | undefined): StartOutcome => {
  const how = signal !== null ? `the daemon was killed by ${signal}` : `the daemon exited with status ${code}`
  const said = text.trim() === "" ? "" : `:\n${indent(text)}`
  return { _tag: "Failed", detail: how + said + (logFile !== undefined ? `\n(its log: ${logFile})` : "") }
}

/** Reads the child's relayed output until it is ready, it ends, or `waitMs` passed. */
const awaitReady = (child: ChildProcess, relay: Readable, options: StartOptions): Effect.Effect<StartOutcome> =>
  Effect.async<StartOutcome>((resume) => {
    let text = ""
    let settled = false
    const settle = (outcome: StartOutcome): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      relay.destroy()
      child.unref()
      resume(Effect.succeed(outcome))
    }
    relay.setEncoding("utf8")
    relay.on("data", (chunk: string) => {
      const mark = chunk.indexOf(READY_MARK)
      text = (text + (mark === -1 ? chunk : chunk.slice(0, mark))).slice(-RELAY_LIMIT)
      if (mark !== -1 && child.pid !== undefined) settle({ _tag: "Started", pid: child.pid })
    })
    relay.on("error", () => undefined)
    // "close" comes after the exit and the end of the relayed output.
    child.once("close", (code, signal) => settle(failure(code, signal, text, options.logFile)))
    child.once("error", (error) => settle({ _tag: "Failed", detail: `cannot run the daemon: ${error.message}` }))
    const timer = setTimeout(
      () =>
        settle({
          _tag: "Failed",
          detail:
            `the daemon did not say it was up within ${options.waitMs / 1000} s (it may still be starting)` +
            (text.trim() === "" ? "" : `; it printed:\n${indent(text)}`) +
            (options.logFile !== undefined ? `\n(its log: ${options.logFile})` : "")
        }),
      options.waitMs
    )
  })

/** Starts `f2bc daemon run` detached and waits until it is up. */
export const start = (options: StartOptions): Effect.Effect<StartOutcome> =>
  Effect.suspend(() => {
    const existing = runningPid(options.pidFile)
    if (existing !== undefined) return Effect.succeed({ _tag: "AlreadyRunning", pid: existing } as const)
    const script = process.argv[1] ?? ""
    const errFd = openChildStderr(options.logFile)
    const child = spawn(
      process.execPath,
      [...process.execArgv, script, "daemon", "run", "--config", options.configPath, "--pid-file", options.pidFile],
      { detached: true, stdio: ["ignore", "ignore", errFd, "pipe"], env: { ...process.env, [READY_FD_VARIABLE]: "3" } }
    )
    fs.closeSync(errFd)
    return awaitReady(child, child.stdio[3] as Readable, options)
  })
