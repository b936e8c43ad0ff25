/**
 * The hand-off between `f2bc daemon start` and the detached `daemon run` it
 * spawns: until the daemon is up, whatever it writes to stderr is also sent to
 * the parent through a pipe, so a failed start is explained on the terminal
 * whatever the config. One NUL byte then says "ready" and the pipe is closed.
 */
import * as fs from "node:fs"

/** Names the pipe's file descriptor in the child's environment (set by `daemon start` only). */
export const READY_FD_VARIABLE = "F2BC_READY_FD"
/** Ends the relayed text: the daemon is up. Log lines escape control characters, so it never occurs in them. */
export const READY_MARK = "\0"

/**
 * In a daemon started by `daemon start`, copies stderr to the parent's pipe and
 * returns the function that says "ready" and closes it; elsewhere a no-op.
 * The variable is removed, so the actions the daemon runs do not inherit it.
 */
export const relayStartup = (env: NodeJS.ProcessEnv): (() => void) => {
  const fdText = env[READY_FD_VARIABLE]
  if (fdText === undefined) return () => undefined
  delete env[READY_FD_VARIABLE]
  const fd = Number.parseInt(fdText, 10)
  if (!Number.isSafeInteger(fd) || fd < 3) return () => undefined
  const stderr = process.stderr
  const write = stderr.write
  let open = true
  const send = (chunk: string | Uint8Array): void => {
    if (!open) return
    try {
      if (typeof chunk === "string") fs.writeSync(fd, chunk)
      else fs.writeSync(fd, chunk)
    } catch {
      // The parent gave up waiting (EPIPE): stderr goes on as before.
      open = false
    }
  }
  stderr.write = ((chunk: string | Uint8Array, ...rest: Array<unknown>): boolean => {
    send(chunk)
    return (write as (...args: Array<unknown>) => boolean).call(stderr, chunk, ...rest)
  }) as typeof stderr.write
  return () => {
    if (stderr.write !== write) stderr.write = write
    send(READY_MARK)
    if (!open) return
    open = false
    try {
      fs.closeSync(fd)
    } catch {
      // already closed
    }
  }
}
