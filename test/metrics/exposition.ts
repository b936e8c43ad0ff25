/**
 * A tiny, strict reader of the Prometheus text format 0.0.4 for the tests:
 * it throws on anything the format does not allow.
 */

export interface Sample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

export interface Exposition {
  readonly help: ReadonlyMap<string, string>
  readonly types: ReadonlyMap<string, string>
  readonly samples: ReadonlyArray<Sample>
}

const namePattern = /^[a-zA-Z_:][a-zA-Z0-9_:]*/
const labelNamePattern = /^[a-zA-Z_][a-zA-Z0-9_]*/
const suffixes: Record<string, ReadonlyArray<string>> = {
  counter: [""],
  gauge: [""],
  histogram: ["_bucket", "_sum", "_count"],
  summary: ["", "_sum", "_count"]
}

export const parseExposition = (text: string): Exposition => {
  if (text !== "" && !text.endsWith("\n")) throw new Error("text must end with a newline")
  const help = new Map<string, string>()
  const types = new Map<string, string>()
  const samples: Array<Sample> = []
  const closed = new Set<string>()
  let current: string | undefined
  const enter = (family: string): void => {
    if (family === current) return
    if (closed.has(family)) throw new Error(`${family}: samples are not grouped`)
    if (current !== undefined) closed.add(current)
    current = family
  }
  for (const line of text === "" ? [] : text.slice(0, -1).split("\n")) {
    const comment = /^# (HELP|TYPE) ([^ ]+) ?(.*)$/s.exec(line)
    if (comment !== null) {
      const [, keyword, name = "", rest = ""] = comment
      if (!namePattern.test(name)) throw new Error(`bad name in: ${line}`)
      enter(name)
      if (keyword === "HELP") {
        if (help.has(name)) throw new Error(`second HELP for ${name}`)
        help.set(name, unescape(rest, false))
      } else {
        if (types.has(name) || samples.some((s) => familyOf(s.name, types) === name)) {
          throw new Error(`TYPE for ${name} is repeated or after its samples`)
        }
        if (suffixes[rest] === undefined) throw new Error(`bad type in: ${line}`)
        types.set(name, rest)
      }
      continue
    }
    const sample = parseSample(line)
    enter(familyOf(sample.name, types))
    samples.push(sample)
  }
  return { help, types, samples }
}

/** The family a sample name belongs to, given the TYPEs declared so far. */
export const familyOf = (name: string, types: ReadonlyMap<string, string>): string => {
  for (const [family, type] of types) {
    if ((suffixes[type] ?? []).some((suffix) => name === family + suffix)) return family
  }
  return name
}

const parseSample = (line: string): Sample => {
  const name = namePattern.exec(line)?.[0]
  if (name === undefined) throw new Error(`bad sample: ${line}`)
  let rest = line.slice(name.length)
  const labels: Record<string, string> = {}
  if (rest.startsWith("{")) {
    rest = rest.slice(1)
    while (!rest.startsWith("}")) {
      const labelName = labelNamePattern.exec(rest)?.[0]
      if (labelName === undefined || !rest.startsWith(`${labelName}="`, 0)) throw new Error(`bad label in: ${line}`)
      if (labelName in labels) throw new Error(`duplicate label ${labelName} in: ${line}`)
      rest = rest.slice(labelName.length + 2)
      let raw = ""
      while (!rest.startsWith("\"")) {
        if (rest === "") throw new Error(`unterminated label value in: ${line}`)
        const take = rest.startsWith("\\") ? 2 : 1
        raw += rest.slice(0, take)
        rest = rest.slice(take)
      }
      labels[labelName] = unescape(raw, true)
      rest = rest.slice(1)
      if (rest.startsWith(",")) rest = rest.slice(1)
      else if (!rest.startsWith("}")) throw new Error(`bad label list in: ${line}`)
    }
    rest = rest.slice(1)
  }
  const value = /^ (\S+)$/.exec(rest)?.[1]
  if (value === undefined) throw new Error(`bad value in: ${line}`)
  return { name, labels, value: parseValue(value) }
}

const parseValue = (text: string): number => {
  if (text === "+Inf") return Number.POSITIVE_INFINITY
  if (text === "-Inf") return Number.NEGATIVE_INFINITY
  if (text === "NaN") return Number.NaN
  if (!/^-?\d+(\.\d+)?(e[+-]?\d+)?$/.test(text)) throw new Error(`bad number: ${text}`)
  return Number(text)
}

/** Label values allow `\\`, `\"`, `\n`; HELP allows `\\`, `\n`. */
const unescape = (raw: string, quote: boolean): string =>
  raw.replace(/\\(.?)/gs, (_, c: string) => {
    if (c === "\\") return "\\"
    if (c === "n") return "\n"
    if (c === "\"" && quote) return "\""
    throw new Error(`bad escape \\${c} in: ${raw}`)
  })
