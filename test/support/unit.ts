/**
 * Reading a systemd unit file in tests: the directives of one section, each
 * with its values in order (a repeated key accumulates, as in systemd).
 */

/** Throws on a line in a section that is neither a comment nor `Key=value`. */
export const unitSection = (text: string, section: string): Map<string, Array<string>> => {
  const directives = new Map<string, Array<string>>()
  let current = ""
  for (const raw of text.split("\n")) {
    const line = raw.trim()
    if (line === "" || line.startsWith("#")) continue
    const header = /^\[(.+)\]$/.exec(line)
    if (header) {
      current = header[1]!
      continue
    }
    if (!/^[A-Za-z]+=/.test(line)) throw new Error(`not a directive line: ${line}`)
    if (current !== section) continue
    const eq = line.indexOf("=")
    const key = line.slice(0, eq)
    directives.set(key, [...(directives.get(key) ?? []), line.slice(eq + 1)])
  }
  return directives
}
