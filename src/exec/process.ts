/**
 * Runs one rendered argv directly (execve, no shell) with a closed stdin, bounded captured
 * output, and a timeout that escalates SIGTERM to SIGKILL and bounds the run whatever descendants do.
 */
import * as Effect from "effect/Effect"
import { spawn, type ChildProcessByStdio } from "node:child_process"
import type { Readable } from "node:stream"
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
 * How long the pipes may stay open after the action exited: a descendant that keeps them open
 * (`cmd &`, `setsid cmd &`) must not keep the executor slot, so its output is no longer read after this.
 */
export const OUTPUT_GRACE_MS = 200

/** After SIGKILL, the run ends within this long even if the child was never seen to exit. */
const KILLED_GRACE_MS = 200

type Outcome = Effect.Effect<ExecResult, ExecError>

/**
 * One action's process: the state runProcess's callbacks share. It settles once, at the latest
 * at timeout + kill grace (+ KILLED_GRACE_MS), whatever the child's descendants do with its pipes.
 */
class ActionRun {
  private readonly started = performance.now()
  private readonly stdout: BoundedCapture
  private readonly stderr: BoundedCapture
  private exitedAt: number | undefined
  private status: { readonly code: number | null; readonly signal: NodeJS.Signals | null } | undefined
  private timedOut = false
  private settled = false
  private readonly timers = new Set<NodeJS.Timeout>()
  private onSettled: (() => void) | undefined

  constructor(
    private readonly argv: ReadonlyArray<string>,
    private readonly child: ChildProcessByStdio<null, Readable, Readable>,
    private readonly options: RunOptions,
    private readonly resume: (outcome: Outcome) => void
  ) {
    this.stdout = new BoundedCapture(options.maxOutputBytes)
    this.stderr = new BoundedCapture(options.maxOutputBytes)
    child.stdout.on("data", (chunk: Buffer) => this.stdout.push(chunk))
    child.stderr.on("data", (chunk: Buffer) => this.stderr.push(chunk))
    child.once("error", (error: NodeJS.ErrnoException) =>
      this.settle(Effect.fail(this.failure({ reason: error.code === "ENOENT" ? "NotFound" : "Spawn", detail: error.message }))))
    child.once("exit", (code, signal) => {
      this.exitedAt = performance.now()
      this.status = { code, signal }
      this.after(OUTPUT_GRACE_MS, () => this.releasePipes())
    })
    // "close" follows the exit once stdout and stderr ended (or were released): the capture is complete.
    child.once("close", () => this.settle(this.outcome()))
    this.after(options.timeoutMs, () => {
      this.timedOut = true
      this.terminate()
    })
  }

  /** Until the exit, the time so far; after it, the action's own duration (not its descendants'). */
  private elapsed(): number {
    return Math.round((this.exitedAt ?? performance.now()) - this.started)
  }

  private failure(fields: Omit<ConstructorParameters<typeof ExecError>[0], "argv" | "durationMs" | "stdout" | "stderr">): ExecError {
    return new ExecError({ ...fields, argv: this.argv, durationMs: this.elapsed(), stdout: this.stdout.text(), stderr: this.stderr.text() })
  }

  private outcome(): Outcome {
    const { code, signal } = this.status ?? { code: null, signal: "SIGKILL" }
    if (this.timedOut) return Effect.fail(this.failure({ reason: "Timeout", detail: `${this.options.timeoutMs} ms`, signal: signal ?? undefined }))
    if (signal !== null) return Effect.fail(this.failure({ reason: "Signal", detail: signal, signal }))
    if (code !== 0) return Effect.fail(this.failure({ reason: "ExitCode", detail: `status ${code}`, exitCode: code ?? undefined }))
    return Effect.succeed({ argv: this.argv, exitCode: 0, durationMs: this.elapsed(), stdout: this.stdout.text(), stderr: this.stderr.text() })
  }

  private after(ms: number, f: () => void): void {
    if (this.settled) return
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      f()
    }, ms)
    this.timers.add(timer)
  }

  /** Stops reading: a descendant that still holds a pipe gets EPIPE/SIGPIPE if it writes; "close" follows. */
  private releasePipes(): void {
    this.child.stdout.destroy()
    this.child.stderr.destroy()
  }

  /** The whole process group (the child leads it), even after the child itself exited. */
  private signalGroup(signal: NodeJS.Signals): void {
    const pid = this.child.pid
    if (pid === undefined) return
    try {
      process.kill(-pid, signal)
    } catch {
      // The group is empty (ESRCH): only a child not yet reaped could be left.
      if (this.status === undefined) this.child.kill(signal)
    }
  }

  /** SIGTERM, SIGKILL after the grace, then the run ends whether or not the pipes were closed. */
  terminate(): void {
    this.signalGroup("SIGTERM")
    this.after(this.options.killGraceMs, () => {
      this.signalGroup("SIGKILL")
      this.after(KILLED_GRACE_MS, () => {
        this.releasePipes()
        this.settle(this.outcome())
      })
    })
  }

  private settle(outcome: Outcome): void {
    if (this.settled) return
    this.settled = true
    for (const timer of this.timers) clearTimeout(timer)
    this.timers.clear()
    if (this.onSettled !== undefined) return this.onSettled()
    this.resume(outcome)
  }

  /** On interruption (shutdown): terminate, and resolve once the run is over (bounded like a timeout). */
  interrupt(): Effect.Effect<void> {
    return Effect.async<void>((resumeInterrupt) => {
      if (this.settled) return resumeInterrupt(Effect.void)
      this.onSettled = () => resumeInterrupt(Effect.void)
      for (const timer of this.timers) clearTimeout(timer)
      this.timers.clear()
      this.terminate()
    })
  }
}

/**
 * Runs `argv` and succeeds with exit status 0; every other outcome is an
 * ExecError. The run is over when the child exited and its pipes closed (or
 * OUTPUT_GRACE_MS later); a timeout or an interruption kills the child's
 * process group (SIGTERM, then SIGKILL after the grace period) and ends the run by then.
 */
export const runProcess = (argv: ReadonlyArray<string>, options: RunOptions): Effect.Effect<ExecResult, ExecError> =>
  Effect.async<ExecResult, ExecError>((resume) => {
    const [file, ...args] = argv
    if (file === undefined) {
      resume(Effect.fail(new ExecError({ reason: "Spawn", detail: "empty argv", argv, durationMs: 0, stdout: "", stderr: "" })))
      return
    }
    // detached: the child leads its own process group, so a timeout also
    // reaches the grandchildren a script may have started.
    const child = spawn(file, args, { stdio: ["ignore", "pipe", "pipe"], detached: true, shell: false })
    const run = new ActionRun(argv, child, options, resume)
    return run.interrupt()
  })
