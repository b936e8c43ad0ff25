/**
 * Interop test support: the Python reference fanout server (a stand-in for
 * fanout.c) as a child process, and the Python clients that talk to servers.
 */
import { spawn, type ChildProcess } from "node:child_process"
import * as path from "node:path"
import { ROOT, waitUntil } from "../support/harness.js"

const PYTHON = "python3"
const REFERENCE_SERVER = path.join(ROOT, "test/support/reference-fanout.py")
/** The original fail2ban-cluster-client.py's wire behaviour: announce, close, no ping. */
export const ORIGINAL_CLIENT = path.join(ROOT, "test/interop/original-client.py")
/** A scripted two-client session that prints what each client received. */
export const FANOUT_SESSION = path.join(ROOT, "test/interop/fanout-session.py")

export interface ReferenceServer {
  readonly port: number
  readonly child: ChildProcess
  readonly exited: Promise<void>
  /** Kills the server (SIGTERM unless told) and waits until it exited. */
  readonly stop: (signal?: NodeJS.Signals) => Promise<void>
}

const running = new Set<ReferenceServer>()

/** Starts the reference server on 127.0.0.1 (`port` 0: a free one) and waits until it listens. */
export const startReference = async (port = 0): Promise<ReferenceServer> => {
  const child = spawn(PYTHON, [REFERENCE_SERVER, String(port)], { stdio: ["ignore", "pipe", "pipe"] })
  let out = ""
  let exitedEarly = false
  child.stdout!.on("data", (chunk: Buffer) => (out += chunk.toString("utf8")))
  child.stderr!.on("data", (chunk: Buffer) => (out += chunk.toString("utf8")))
  const exited = new Promise<void>((resolve) =>
    child.once("exit", () => {
      exitedEarly = true
      resolve()
    })
  )
  const listening = await waitUntil(
    () => {
      if (exitedEarly) throw new Error(`reference server exited before listening:\n${out}`)
      return out.match(/^listening (\d+)$/m) ?? undefined
    },
    10_000,
    `the reference server to listen; output:\n${out}`
  )
  const server: ReferenceServer = {
    port: Number(listening[1]),
    child,
    exited,
    stop: async (signal = "SIGTERM") => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      await exited
      running.delete(server)
    }
  }
  running.add(server)
  return server
}

/** Stops every reference server started by `startReference`. */
export const stopReferences = async (): Promise<void> => {
  await Promise.all([...running].map((server) => server.stop()))
}

/** Runs a Python script to completion. */
export const runPython = (script: string, args: ReadonlyArray<string>): Promise<{ code: number | null; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    const child = spawn(PYTHON, [script, ...args], { stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")))
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")))
    child.once("close", (code) => resolve({ code, stdout, stderr }))
  })
