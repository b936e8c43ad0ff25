/**
 * Effect's metric snapshot (`Metric.snapshot`) rendered as the Prometheus text
 * exposition format 0.0.4: pure, deterministic, one HELP/TYPE block per name.
 */
import type * as MetricPair from "effect/MetricPair"
import * as MetricState from "effect/MetricState"
import * as Option from "effect/Option"

/*
 * Mapping, per Effect state:
 * - counter   -> counter `name{labels} value`
 * - gauge     -> gauge `name{labels} value`
 * - histogram -> histogram `name_bucket{le}` (Effect's buckets are already
 *   cumulative), `+Inf` = count, `name_sum`, `name_count` (min/max dropped)
 * - frequency -> counter, one sample per observed string in label `key`
 *   (as @effect/opentelemetry does)
 * - summary   -> summary `name{quantile}` (NaN while the window is empty),
 *   `name_sum`, `name_count`
 * The label a kind adds (le, quantile, key) comes last and replaces a user
 * label of that name. Names and label names are sanitised to Prometheus'
 * character set. One name has one TYPE: when metrics of different kinds share
 * a name, the kind met first wins and the others are left out. HELP is the
 * first description met.
 */

type Kind = "counter" | "gauge" | "histogram" | "summary"
type Labels = ReadonlyArray<readonly [string, string]>
/** A sample's sort key (its rendered labels) and its lines. */
type Sample = readonly [string, ReadonlyArray<string>]

interface Family {
  readonly kind: Kind
  help: string | undefined
  readonly samples: Array<Sample>
}

export const renderPrometheus = (pairs: ReadonlyArray<MetricPair.MetricPair.Untyped>): string => {
  const families = new Map<string, Family>()
  for (const pair of pairs) {
    const rendered = renderPair(pair)
    if (rendered === undefined) continue
    const name = metricName(pair.metricKey.name)
    const family: Family = families.get(name) ?? { kind: rendered.kind, help: undefined, samples: [] }
    if (family.kind !== rendered.kind) continue
    family.help ??= Option.getOrUndefined(pair.metricKey.description)
    families.set(name, family)
    for (const sample of rendered.samples(name)) family.samples.push(sample)
  }
  const out: Array<string> = []
  for (const name of [...families.keys()].sort(compare)) {
    const family = families.get(name)!
    if (family.help !== undefined) out.push(`# HELP ${name} ${escapeHelp(family.help)}`)
    out.push(`# TYPE ${name} ${family.kind}`)
    for (const [, lines] of family.samples.sort((a, b) => compare(a[0], b[0]))) out.push(...lines)
  }
  return out.length === 0 ? "" : out.join("\n") + "\n"
}

interface RenderedPair {
  readonly kind: Kind
  readonly samples: (name: string) => Array<Sample>
}

const renderPair = (pair: MetricPair.MetricPair.Untyped): RenderedPair | undefined => {
  const labels = normaliseLabels(pair.metricKey.tags.map((tag) => [tag.key, tag.value] as const))
  const state: unknown = pair.metricState
  const one = (name: string, sampleLabels: Labels, value: number | bigint): Sample => {
    const rendered = renderLabels(sampleLabels)
    return [rendered, [`${name}${rendered} ${formatValue(value)}`]]
  }
  if (MetricState.isCounterState(state)) {
    return { kind: "counter", samples: (name) => [one(name, labels, state.count)] }
  }
  if (MetricState.isGaugeState(state)) {
    return { kind: "gauge", samples: (name) => [one(name, labels, state.value)] }
  }
  if (MetricState.isFrequencyState(state)) {
    return {
      kind: "counter",
      samples: (name) =>
        [...state.occurrences].map(([key, count]) => one(name, [...without(labels, "key"), ["key", key]], count))
    }
  }
  if (MetricState.isHistogramState(state)) {
    const own = without(labels, "le")
    return {
      kind: "histogram",
      samples: (name) => {
        const bucket = (le: string, count: number) =>
          `${name}_bucket${renderLabels([...own, ["le", le]])} ${formatValue(count)}`
        const lines = state.buckets
          .filter(([boundary]) => Number.isFinite(boundary))
          .map(([boundary, cumulative]) => bucket(formatValue(boundary), cumulative))
        const plain = renderLabels(own)
        lines.push(
          bucket("+Inf", state.count),
          `${name}_sum${plain} ${formatValue(state.sum)}`,
          `${name}_count${plain} ${formatValue(state.count)}`
        )
        return [[plain, lines]]
      }
    }
  }
  if (MetricState.isSummaryState(state)) {
    const own = without(labels, "quantile")
    return {
      kind: "summary",
      samples: (name) => {
        const lines = state.quantiles.map(([quantile, value]) =>
          `${name}${renderLabels([...own, ["quantile", formatValue(quantile)]])} ${
            formatValue(Option.getOrElse(value, () => Number.NaN))
          }`
        )
        const plain = renderLabels(own)
        lines.push(`${name}_sum${plain} ${formatValue(state.sum)}`, `${name}_count${plain} ${formatValue(state.count)}`)
        return [[plain, lines]]
      }
    }
  }
  return undefined
}

/** Sanitised, de-duplicated (last wins, as `Metric.tagged` layers), sorted by name. */
const normaliseLabels = (labels: Labels): Labels => {
  const byName = new Map<string, string>()
  for (const [name, value] of labels) byName.set(labelName(name), value)
  return [...byName].sort((a, b) => compare(a[0], b[0]))
}

/** A user label named like the one a kind adds itself (le, quantile, key) gives way to it. */
const without = (labels: Labels, reserved: string): Labels => labels.filter(([name]) => name !== reserved)

const renderLabels = (labels: Labels): string =>
  labels.length === 0 ? "" : `{${labels.map(([name, value]) => `${name}="${escapeLabelValue(value)}"`).join(",")}}`

const metricName = (name: string): string => {
  const cleaned = name.replace(/[^a-zA-Z0-9_:]/g, "_")
  return /^[a-zA-Z_:]/.test(cleaned) ? cleaned : `_${cleaned}`
}

const labelName = (name: string): string => {
  const cleaned = name.replace(/[^a-zA-Z0-9_]/g, "_")
  return /^[a-zA-Z_]/.test(cleaned) ? cleaned : `_${cleaned}`
}

/** Label values escape `\`, `"` and newline. */
const escapeLabelValue = (value: string): string =>
  value.replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`))

/** HELP text escapes `\` and newline (quotes stay as they are). */
const escapeHelp = (text: string): string => text.replace(/[\\\n]/g, (c) => (c === "\n" ? "\\n" : "\\\\"))

/** Prometheus floats: `+Inf`, `-Inf`, `NaN`; JavaScript's `1e+21` form parses as a Go float. */
const formatValue = (value: number | bigint): string => {
  if (typeof value === "bigint") return value.toString()
  if (Number.isNaN(value)) return "NaN"
  if (value === Number.POSITIVE_INFINITY) return "+Inf"
  if (value === Number.NEGATIVE_INFINITY) return "-Inf"
  return String(value)
}

// Code-unit order: the same on every machine, whatever the locale.
const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)
