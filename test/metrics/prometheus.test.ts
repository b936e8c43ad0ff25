import * as MetricBoundaries from "effect/MetricBoundaries"
import * as MetricHook from "effect/MetricHook"
import * as MetricKey from "effect/MetricKey"
import * as MetricLabel from "effect/MetricLabel"
import * as MetricPair from "effect/MetricPair"
import * as MetricState from "effect/MetricState"
import * as Option from "effect/Option"
import { describe, expect, it } from "@effect/vitest"
import { renderPrometheus } from "../../src/metrics/prometheus.js"
import { parseExposition } from "./exposition.js"

const tags = (labels: Record<string, string>) =>
  Object.entries(labels).map(([key, value]) => MetricLabel.make(key, value))

const counter = (name: string, labels: Record<string, string>, count: number | bigint, description?: string) =>
  MetricPair.unsafeMake(
    MetricKey.taggedWithLabels(MetricKey.counter(name, description === undefined ? {} : { description }), tags(labels)),
    typeof count === "bigint" ? MetricState.counter(count) : MetricState.counter(count)
  )

const gauge = (name: string, labels: Record<string, string>, value: number) =>
  MetricPair.unsafeMake(MetricKey.taggedWithLabels(MetricKey.gauge(name), tags(labels)), MetricState.gauge(value))

/** A real Effect histogram (its own hook, not the global registry) fed with `observations`. */
const histogram = (name: string, bounds: ReadonlyArray<number>, observations: ReadonlyArray<number>) => {
  const key = MetricKey.histogram(name, MetricBoundaries.fromIterable(bounds), "a histogram")
  const hook = MetricHook.histogram(key)
  for (const value of observations) hook.update(value)
  return MetricPair.unsafeMake(key, hook.get())
}

describe("Prometheus text format 0.0.4 (issue 4, Metrics)", () => {
  it("renders a counter as HELP, TYPE and one sample per label set", () => {
    expect(renderPrometheus([counter("f2bc_actions_total", { result: "failed" }, 3, "Actions by result")])).toBe(
      "# HELP f2bc_actions_total Actions by result\n" +
        "# TYPE f2bc_actions_total counter\n" +
        "f2bc_actions_total{result=\"failed\"} 3\n"
    )
  })

  it("groups every sample of one name under a single HELP/TYPE block, names and label sets sorted", () => {
    const text = renderPrometheus([
      counter("b_total", { result: "succeeded" }, 1, "B"),
      gauge("a", {}, 7),
      counter("b_total", { result: "failed" }, 2, "B"),
      counter("b_total", {}, 4, "B")
    ])
    expect(text).toBe(
      "# TYPE a gauge\n" +
        "a 7\n" +
        "# HELP b_total B\n" +
        "# TYPE b_total counter\n" +
        "b_total 4\n" +
        "b_total{result=\"failed\"} 2\n" +
        "b_total{result=\"succeeded\"} 1\n"
    )
  })

  it("is deterministic: the order of the snapshot does not change the text", () => {
    const pairs = [
      counter("x_total", { server: "b", kind: "1" }, 1),
      counter("x_total", { kind: "1", server: "a" }, 2),
      gauge("y", { server: "a" }, 3)
    ]
    expect(renderPrometheus([...pairs].reverse())).toBe(renderPrometheus(pairs))
    expect(renderPrometheus(pairs)).toContain("x_total{kind=\"1\",server=\"a\"} 2\nx_total{kind=\"1\",server=\"b\"} 1\n")
  })

  it("escapes backslash, double quote and newline in label values, backslash and newline in HELP", () => {
    const text = renderPrometheus([counter("c_total", { server: "a\\b\"c\nd" }, 1, "line one\nback\\slash \"quoted\"")])
    expect(text).toBe(
      "# HELP c_total line one\\nback\\\\slash \"quoted\"\n" +
        "# TYPE c_total counter\n" +
        "c_total{server=\"a\\\\b\\\"c\\nd\"} 1\n"
    )
    expect(parseExposition(text).samples[0]?.labels).toEqual({ server: "a\\b\"c\nd" })
  })

  it("renders a real Effect histogram with cumulative buckets, +Inf equal to the count, sum and count", () => {
    const text = renderPrometheus([histogram("d_seconds", [0.1, 1, 10], [0.05, 0.1, 0.5, 2, 20, 30])])
    expect(text).toBe(
      "# HELP d_seconds a histogram\n" +
        "# TYPE d_seconds histogram\n" +
        "d_seconds_bucket{le=\"0.1\"} 2\n" +
        "d_seconds_bucket{le=\"1\"} 3\n" +
        "d_seconds_bucket{le=\"10\"} 4\n" +
        "d_seconds_bucket{le=\"+Inf\"} 6\n" +
        "d_seconds_sum 52.65\n" +
        "d_seconds_count 6\n"
    )
  })

  it("renders an empty histogram with zero buckets", () => {
    expect(renderPrometheus([histogram("e", [1], [])])).toContain(
      "e_bucket{le=\"1\"} 0\ne_bucket{le=\"+Inf\"} 0\ne_sum 0\ne_count 0\n"
    )
  })

  it("writes NaN, +Inf, -Inf and bigint values as Prometheus reads them", () => {
    const text = renderPrometheus([
      gauge("g", { v: "nan" }, Number.NaN),
      gauge("g", { v: "pos" }, Number.POSITIVE_INFINITY),
      gauge("g", { v: "neg" }, Number.NEGATIVE_INFINITY),
      gauge("g", { v: "small" }, 1e-7),
      counter("h_total", {}, 12345678901234567890n)
    ])
    expect(text).toContain("g{v=\"nan\"} NaN\n")
    expect(text).toContain("g{v=\"pos\"} +Inf\n")
    expect(text).toContain("g{v=\"neg\"} -Inf\n")
    expect(text).toContain("g{v=\"small\"} 1e-7\n")
    expect(text).toContain("h_total 12345678901234567890\n")
    expect(() => parseExposition(text)).not.toThrow()
  })

  it("renders a frequency as a counter with one sample per observed string in label `key`", () => {
    const pair = MetricPair.unsafeMake(
      MetricKey.taggedWithLabels(MetricKey.frequency("f"), tags({ server: "s" })),
      MetricState.frequency(new Map([["b", 2], ["a", 1]]))
    )
    expect(renderPrometheus([pair])).toBe("# TYPE f counter\nf{server=\"s\",key=\"a\"} 1\nf{server=\"s\",key=\"b\"} 2\n")
  })

  it("renders a summary's quantiles (NaN while its window is empty), sum and count", () => {
    const key = MetricKey.summary({ name: "s", maxAge: "1 minute", maxSize: 10, error: 0.01, quantiles: [0.5, 0.9] })
    const state = MetricState.summary({
      error: 0.01,
      quantiles: [[0.5, Option.some(3)], [0.9, Option.none()]],
      count: 1,
      min: 3,
      max: 3,
      sum: 3
    })
    expect(renderPrometheus([MetricPair.unsafeMake(key, state)])).toBe(
      "# TYPE s summary\ns{quantile=\"0.5\"} 3\ns{quantile=\"0.9\"} NaN\ns_sum 3\ns_count 1\n"
    )
  })

  it("sanitises metric and label names to Prometheus' character set", () => {
    expect(renderPrometheus([counter("9 bad-name.total", { "my-label": "v", "0x": "w" }, 1)])).toBe(
      "# TYPE _9_bad_name_total counter\n_9_bad_name_total{_0x=\"w\",my_label=\"v\"} 1\n"
    )
  })

  it("keeps the last value of a label tagged twice, and drops a user label named le from a histogram", () => {
    const text = renderPrometheus([
      counter("t_total", {}, 1),
      MetricPair.unsafeMake(
        MetricKey.taggedWithLabels(MetricKey.counter("u_total"), [MetricLabel.make("a", "1"), MetricLabel.make("a", "2")]),
        MetricState.counter(5)
      ),
      MetricPair.unsafeMake(
        MetricKey.taggedWithLabels(MetricKey.histogram("v", MetricBoundaries.fromIterable([1])), tags({ le: "mine" })),
        MetricState.histogram({ buckets: [[1, 0], [Number.POSITIVE_INFINITY, 0]], count: 0, min: 0, max: 0, sum: 0 })
      )
    ])
    expect(text).toContain("u_total{a=\"2\"} 5\n")
    expect(text).toContain("v_bucket{le=\"1\"} 0\n")
    expect(text).not.toContain("mine\"")
    expect(() => parseExposition(text)).not.toThrow()
  })

  it("keeps one TYPE per name: a second kind under the same name is left out", () => {
    const text = renderPrometheus([counter("same", {}, 1), gauge("same", { x: "y" }, 2)])
    expect(text).toBe("# TYPE same counter\nsame 1\n")
  })

  it("renders nothing for an empty snapshot", () => {
    expect(renderPrometheus([])).toBe("")
  })
})
