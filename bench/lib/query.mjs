// Request/response over a helper process's stdin/stdout: write a command
// line, wait for the next output line that starts with its answer prefix.

export const query = async (handle, command, prefix = command) => {
  const from = handle.output().length
  handle.child.stdin.write(`${command}\n`)
  const match = await handle.waitFor(new RegExp(`^${prefix} (.*)$`, "m"), 30_000, from)
  return match[1]
}
