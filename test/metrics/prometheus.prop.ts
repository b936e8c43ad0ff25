/**
 * Property tests of the Prometheus renderer: whatever the label values, HELP
 * texts and values, the text parses back to the same samples; histograms count right.
 */
import { FastCheck as fc } from "effect"
import * as MetricBoundaries from "effect/MetricBoundaries"
import * as MetricHook from "effect/MetricHook"
import * as MetricKey from "effect/MetricKey"
import * as MetricLabel from "effect/MetricLabel"
import * as MetricPair from "effect/MetricPair"
import * as MetricState from "effect/MetricState"
import { describe, expect, it } from "vitest"
import { renderPrometheus } from "../../src/metrics/prometheus.js"
import { parseExposition } from "./exposition.js"

const NUM_RUNS = 500

// Names ending in _total are counters, the others gauges.
const names = ["f2bc_a_total", "f2bc_b_total", "f2bc_c", "f2bc_d"] as const
type Name = typeof names[number]
const isCounter = (name: string): boolean => name.endsWith("_total")

/** Any text, and text made mostly of the characters the format must escape. */
const text = fc.oneof(
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.string({ unit: fc.constantFrom("\\", "\"", "\n", "n", "a", "{", "}", ",", "=", " ", "#", "\r", "é"), maxLength: 12 })
)

const value = (name: Name): fc.Arbitrary<number | bigint> =>
  isCounter(name)
    ? fc.oneof(fc.nat(), fc.bigInt({ min: 0n, max: 2n ** 70n }))
    : fc.double()

const sample = fc.constantFrom(...names).chain((name) =>
  fc.record({
    name: fc.constant(name),
    labels: fc.dictionary(fc.constantFrom("server", "outcome", "stage", "ip"), text, { maxKeys: 3 }),
    value: value(name)
  })
)

const canonicalLabels = (labels: Record<string, string>): string =>
  JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))

// A snapshot never holds two keys with the same name and labels.
const samples = fc.uniqueArray(sample, { selector: (s) => `${s.name} ${canonicalLabels(s.labels)}`, maxLength: 12 })

const descriptions = fc.record(
  Object.fromEntries(names.map((name) => [name, fc.option(text, { nil: undefined })])) as Record<
    Name,
    fc.Arbitrary<string | undefined>
  >
)

const toPair = (
  s: { readonly name: Name; readonly labels: Record<string, string>; readonly value: number | bigint },
  description: string | undefined
) => {
  const options = description === undefined ? {} : { description }
  const labels = Object.entries(s.labels).map(([k, v]) => MetricLabel.make(k, v))
  if (isCounter(s.name)) {
    const key = MetricKey.taggedWithLabels(MetricKey.counter(s.name, { ...options, bigint: true }), labels)
    return MetricPair.unsafeMake(key, MetricState.counter(BigInt(s.value)))
  }
  const key = MetricKey.taggedWithLabels(MetricKey.gauge(s.name, options), labels)
  return MetricPair.unsafeMake(key, MetricState.gauge(Number(s.value)))
}

/** One line per sample; NaN as "NaN", -0 as 0, a bigint as the nearest double (what a scraper reads). */
const canonical = (name: string, labels: Record<string, string>, v: number): string =>
  `${name} ${canonicalLabels(labels)} ${Object.is(v, -0) ? "0" : String(v)}`

describe("Prometheus text format 0.0.4 (issue 4, Metrics; properties)", () => {
  it("for any label values, HELP texts and values, the text parses back to the same samples, HELP and TYPE", () => {
    fc.assert(
      fc.property(samples, descriptions, (generated, help) => {
        const text = renderPrometheus(generated.map((s) => toPair(s, help[s.name])))
        const parsed = parseExposition(text)
        expect(parsed.samples.map((s) => canonical(s.name, s.labels, s.value)).sort()).toEqual(
          generated.map((s) => canonical(s.name, s.labels, Number(s.value))).sort()
        )
        const present = [...new Set(generated.map((s) => s.name))].sort()
        expect([...parsed.types]).toEqual(present.map((name) => [name, isCounter(name) ? "counter" : "gauge"]))
        expect([...parsed.help]).toEqual(
          present.flatMap((name) => (help[name] === undefined ? [] : [[name, help[name]]]))
        )
        expect(renderPrometheus(generated.map((s) => toPair(s, help[s.name])).reverse())).toBe(text)
      }),
      { numRuns: NUM_RUNS }
    )
  })

  it("a real Effect histogram renders, per bound, the number of observations <= le; +Inf, _count and _sum match", () => {
    const bound = fc.double({ min: -1e6, max: 1e6, noNaN: true })
    fc.assert(
      fc.property(
        fc.uniqueArray(bound, { minLength: 1, maxLength: 8 }),
        fc.array(fc.oneof(bound, fc.constantFrom(...[0, 1, -1])), { maxLength: 40 }),
        (bounds, observations) => {
          const key = MetricKey.histogram("h", MetricBoundaries.fromIterable(bounds))
          const hook = MetricHook.histogram(key)
          for (const o of observations) hook.update(o)
          const parsed = parseExposition(renderPrometheus([MetricPair.unsafeMake(key, hook.get())]))
          const value = (name: string, le?: string) =>
            parsed.samples.find((s) => s.name === name && s.labels["le"] === le)?.value
          for (const b of bounds) {
            expect(value("h_bucket", String(b))).toBe(observations.filter((o) => o <= b).length)
          }
          const buckets = parsed.samples.filter((s) => s.name === "h_bucket").map((s) => s.value)
          expect(buckets).toEqual([...buckets].sort((a, b) => a - b))
          expect(parsed.samples.filter((s) => s.name === "h_bucket").at(-1)?.labels["le"]).toBe("+Inf")
          expect(value("h_bucket", "+Inf")).toBe(observations.length)
          expect(value("h_count")).toBe(observations.length)
          expect(value("h_sum")).toBeCloseTo(observations.reduce((a, b) => a + b, 0), 3)
        }
      ),
      { numRuns: NUM_RUNS }
    )
  })
})
