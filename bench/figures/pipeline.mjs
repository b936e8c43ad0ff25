// Figure 1: the pure pipeline in process, msgs/s, against the original's
// split-based parse/filter/replace loop (bench/pipeline/entry.ts, bundled).
import { build } from "esbuild"
import * as path from "node:path"
import { ROOT, startNode, tempDir } from "../lib/process.mjs"
import { formatNumber, summary } from "../lib/stats.mjs"

/** Bundles bench/pipeline/entry.ts (unminified, so a profile names its functions). */
const bundle = async () => {
  const outfile = path.join(tempDir(), "pipeline-bench.mjs")
  await build({
    entryPoints: [path.join(ROOT, "bench/pipeline/entry.ts")],
    outfile,
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    banner: { js: 'import { createRequire as __benchRequire } from "node:module"; const require = __benchRequire(import.meta.url);' },
    logLevel: "warning"
  })
  return outfile
}

const runBundle = async (args, nodeArgs = []) => {
  const child = startNode(await bundle(), args.map(String), { nodeArgs })
  const { code } = await child.exited
  if (code !== 0) throw new Error(`pipeline bench failed:\n${child.output()}`)
  return JSON.parse(child.output().trim().split("\n").pop())
}

/** The full-table case keeps one size: its cost per message grows with the ids evicted so far (see docs/performance.md). */
const sizes = (quick) => ({ fresh: quick ? 50_000 : 80_000, full: 30_000 })

/** `--profile`: f2bc's side alone, for the dedupe table empty (`fresh`) or full, under `nodeArgs` (e.g. --cpu-prof). */
export const profilePipeline = ({ quick, nodeArgs, table }) => {
  const { fresh, full } = sizes(quick)
  return runBundle([fresh, full, 2, table], nodeArgs)
}

export const figurePipeline = async ({ runs, quick }) => {
  const { fresh, full } = sizes(quick)
  const result = await runBundle([fresh, full, runs])
  const row = (sides, figure, note) => {
    const s = summary(sides.subject)
    const b = summary(sides.baseline)
    const ratio = s.median / b.median
    return { id: "1", figure, subject: s, baseline: b, unit: "msgs/s", ratio, target: "≥ 500 000 msgs/s and ≥ 0.5×", pass: s.median >= 500_000 && ratio >= 0.5, note }
  }
  const capacity = formatNumber(result.capacity, 0)
  return [
    row(
      result.fresh,
      "pure pipeline in process (split → frame → grammar → envelope → dedupe → origin → types → ignoreip → filter → render), msgs/s",
      `${formatNumber(fresh, 0)} messages per run as \`f2bc publish\` sends them (unsigned envelope, unique _id), every one executed, 64 KiB chunks, a dedupe table with room; ` +
        "baseline: split at ! , = and replace %key%, no validation (the original's loop)"
    ),
    row(
      result.full,
      `the same once the dedupe table is full (dedupe_max_entries ${capacity} ids executed within dedupe_window): each new id evicts one`,
      `${formatNumber(full, 0)} messages per run after ${capacity} others; same baseline (the original has no table)`
    )
  ]
}
