/**
 * Runs one rendered argv directly (execve, no shell) with a closed stdin,
 * bounded captured output, and a timeout that escalates SIGTERM to SIGKILL.
 */
import * as Effect from "effect/Effect"
import { spawn } from "node:child_process"
import { ExecError } from "./errors.js"

export interface RunOptions {
  /** Milliseconds before SIGTERM. */
  readonly timeoutMs: number
  /** Milliseconds between SIGTERM and SIGKILL. */
  readonly killGraceMs: number
  /** Bytes of stdout and of stderr kept for the log; the rest is drained and counted. */
  readonly maxOutputBytes: number
}

export interface ExecResult {
  readonly argv: ReadonlyArray<string>
  readonly exitCode: number
  readonly durationMs: number
  readonly stdout: string
  readonly stderr: string
}

export const defaultRunOptions: RunOptions = { timeoutMs: 30_000, killGraceMs: 5_000, maxOutputBytes: 4096 }

/** Keeps the first `limit` bytes of a stream and counts the rest. */
class BoundedCapture {
  private readonly parts: Array<Buffer> = []
  private kept = 0
  private dropped = 0
  constructor(private readonly limit: number) {}
  push(chunk: Buffer): void {
    const room = this.limit - this.kept
    if (room > 0) {
      const part = chunk.length <= room ? chunk : chunk.subarray(0, room)
      this.parts.push(part)
      this.kept += part.length
    }
    if (chunk.length > room) this.dropped += chunk.length - Math.max(room, 0)
  }
  text(): string {
    const text = Buffer.concat(this.parts).toString("utf8").trimEnd()
    return this.dropped > 0 ? `${text}… (${this.dropped} more bytes)` : text
  }
}

/**
 * Runs `argv` and succeeds with exit status 0; every other outcome is an
 * ExecError. Interruption kills the child's process group (SIGTERM, then
 * SIGKILL after the grace period) and waits for it to exit.
 */
export const runProcess = (argv: ReadonlyArray<string>, options: RunOptions): Effect.Effect<ExecResult, ExecError> =>
  Effect.async<ExecResult, ExecError>((resume) => {
    const [file, ...args] = argv
    const started = performance.now()
    const stdout = new BoundedCapture(options.maxOutputBytes)
    const stderr = new BoundedCapture(options.maxOutputBytes)
    const elapsed = () => Math.round(performance.now() - started)
    let timedOut = false
    let done = false
    let killTimer: NodeJS.Timeout | undefined
    let onExit: (() => void) | undefined

    const fail = (fields: Omit<ConstructorParameters<typeof ExecError>[0], "argv" | "durationMs" | "stdout" | "stderr">) =>
      new ExecError({ ...fields, argv, durationMs: elapsed(), stdout: stdout.text(), stderr: stderr.text() })

    if (file === undefined) {
      resume(Effect.fail(fail({ reason: "Spawn", detail: "empty argv" })))
      return
    }
    // detached: the child leads its own process group, so a timeout also
    // reaches the grandchildren a script may have started.
    const child = spawn(file, args, { stdio: ["ignore", "pipe", "pipe"], detached: true, shell: false })
    const signalGroup = (signal: NodeJS.Signals) => {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
      try {
        process.kill(-child.pid, signal)
      } catch {
        child.kill(signal)
      }
    }
    const terminate = () => {
      signalGroup("SIGTERM")
      killTimer = setTimeout(() => signalGroup("SIGKILL"), options.killGraceMs)
    }
    const timer = setTimeout(() => {
      timedOut = true
      terminate()
    }, options.timeoutMs)

    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk))
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk))
    child.once("error", (error: NodeJS.ErrnoException) => {
      if (done) return
      done = true
      clearTimeout(timer)
      resume(
        Effect.fail(
          error.code === "ENOENT"
            ? fail({ reason: "NotFound", detail: error.message })
            : fail({ reason: "Spawn", detail: error.message })
        )
      )
    })
    // "close" fires after the exit and after stdout/stderr ended, so the capture is complete.
    child.once("close", (code, signal) => {
      clearTimeout(timer)
      if (killTimer) clearTimeout(killTimer)
      if (onExit) return onExit()
      if (done) return
      done = true
      if (timedOut) {
        resume(Effect.fail(fail({ reason: "Timeout", detail: `${options.timeoutMs} ms`, signal: signal ?? undefined })))
      } else if (signal !== null) {
        resume(Effect.fail(fail({ reason: "Signal", detail: signal, signal })))
      } else if (code !== 0) {
        resume(Effect.fail(fail({ reason: "ExitCode", detail: `status ${code}`, exitCode: code ?? undefined })))
      } else {
        resume(Effect.succeed({ argv, exitCode: 0, durationMs: elapsed(), stdout: stdout.text(), stderr: stderr.text() }))
      }
    })
    // On interruption (shutdown): terminate and wait until the child is gone.
    return Effect.async<void>((resumeInterrupt) => {
      clearTimeout(timer)
      done = true
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return resumeInterrupt(Effect.void)
      onExit = () => resumeInterrupt(Effect.void)
      terminate()
    })
  })
