/**
 * Durations written in the config as seconds (`300`) or with a unit
 * (`50ms`, `300s`, `30m`, `12h`, `7d`): the JetStream keys, `outbox_max_age`, `batch.linger`
 * and `quorum.window` use them, through one Schema.
 */
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"

const UNIT_SECONDS: Readonly<Record<string, number>> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400 }

/** Seconds, or undefined when the text is not a duration. */
export const parseDuration = (value: number | string): number | undefined => {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined
  const match = /^\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|[smhd]?)\s*$/.exec(value)
  if (match === null) return undefined
  return Number(match[1]) * (UNIT_SECONDS[match[2] === "" ? "s" : match[2]!] ?? 1)
}

/**
 * The Schema of a duration key: seconds from a number or a text with a unit, accepted when
 * `within(seconds)`; `expected` is what the error says a value must be (schema.ts's Expected annotation).
 */
export const durationSchema = (within: (seconds: number) => boolean, expected: string) =>
  Schema.transformOrFail(Schema.Union(Schema.Number, Schema.String), Schema.Number, {
    strict: true,
    decode: (value, _, ast) => {
      const seconds = parseDuration(value)
      return seconds !== undefined && within(seconds) ? ParseResult.succeed(seconds) : ParseResult.fail(new ParseResult.Type(ast, value))
    },
    encode: (seconds) => ParseResult.succeed(seconds)
  }).annotations({ [Symbol.for("f2bc/config/Expected")]: expected })
