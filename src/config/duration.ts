/**
 * Durations written in the config as seconds (`300`) or with a unit
 * (`50ms`, `300s`, `30m`, `12h`, `7d`): the JetStream keys and `batch.linger` use them.
 */

const UNIT_SECONDS: Readonly<Record<string, number>> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400 }

/** Seconds, or undefined when the text is not a duration. */
export const parseDuration = (value: number | string): number | undefined => {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined
  const match = /^\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|[smhd]?)\s*$/.exec(value)
  if (match === null) return undefined
  return Number(match[1]) * (UNIT_SECONDS[match[2] === "" ? "s" : match[2]!] ?? 1)
}
