// `npm run bench`: measures f2bc against a baseline in the same run and prints
// one Markdown table (see docs/performance.md). Expects a built dist/.
//
//   node bench/run.mjs [--quick] [--runs N] [--only 1,2,...] [--profile]
//
// --quick (or F2BC_BENCH_QUICK=1): fewer runs and smaller workloads.
// --profile: also profiles figures 1, 2 and 6 (node --cpu-prof on an unminified
// bundle) and prints the top self-time functions and modules.
import { build } from "esbuild"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { parseArgs } from "node:util"
import { summariseProfile } from "./lib/cpuprofile.mjs"
import { BIN, ROOT, stopAll, tempDir } from "./lib/process.mjs"
import { formatNumber, formatSummary } from "./lib/stats.mjs"
import { figureColdStart } from "./figures/coldstart.mjs"
import { figureExecution } from "./figures/execution.mjs"
import { figureFanout, profileFanout } from "./figures/fanout.mjs"
import { figureFleet } from "./figures/fleet.mjs"
import { figureIngest, profileIngest } from "./figures/ingest.mjs"
import { figureLatency } from "./figures/latency.mjs"
import { figureMemory } from "./figures/memory.mjs"
import { figurePipeline, profilePipeline } from "./figures/pipeline.mjs"

const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: process.env.F2BC_BENCH_QUICK === "1" },
    runs: { type: "string" },
    only: { type: "string" },
    profile: { type: "boolean", default: false }
  }
})
const quick = args.quick
const runs = args.runs === undefined ? (quick ? 3 : 5) : Number(args.runs)
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${args.runs}`)
const only = args.only === undefined ? undefined : new Set(args.only.split(","))
if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run \`npm run build\` first (npm run bench does)`)

const figures = [
  ["1", "pure pipeline", figurePipeline],
  ["2", "daemon ingest", figureIngest],
  ["3", "execution", figureExecution],
  ["4", "latency", figureLatency],
  ["5", "publish cold start", figureColdStart],
  ["6", "broker fan-out", figureFanout],
  ["7", "memory", figureMemory],
  ["8", "fleet: two real fail2ban-servers", figureFleet]
]

const progress = (text) => process.stderr.write(`[bench] ${text}\n`)
const started = performance.now()
// Other work on the machine skews absolute figures (ratios less: both sides run interleaved): shown in the header.
const loadBefore = os.loadavg()[0]
const rows = []
for (const [id, name, figure] of figures) {
  if (only !== undefined && !only.has(id)) continue
  const t = performance.now()
  progress(`figure ${id}: ${name}…`)
  try {
    rows.push(...(await figure({ runs, quick })))
  } catch (error) {
    rows.push({ id, figure: name, error: error instanceof Error ? error.message : String(error) })
  } finally {
    await stopAll()
  }
  progress(`figure ${id}: done in ${((performance.now() - t) / 1000).toFixed(1)} s`)
}

const cell = (row, s) => (s === undefined ? "—" : formatSummary(s, row.unit, row.decimals))
const escape = (text) => String(text).replaceAll("|", "\\|").replaceAll("\n", " ")
const cpu = os.cpus()[0]?.model?.trim() ?? "unknown CPU"
const lines = [
  `## f2bc benchmark — ${new Date().toISOString().slice(0, 10)}`,
  "",
  `${os.availableParallelism()} cores · ${cpu} · Node ${process.version} · ${os.platform()} ${os.release()} ${os.arch()} · ` +
    `${quick ? "--quick, " : ""}${runs} runs per figure (median, min–max in brackets) · total ${((performance.now() - started) / 1000).toFixed(0)} s · ` +
    `load average ${loadBefore.toFixed(2)} before the run`,
  "",
  "| # | figure | f2bc | baseline (same run) | ratio | target | result |",
  "|---|---|---|---|---|---|---|"
]
const notes = []
for (const row of rows) {
  if (row.error !== undefined) {
    lines.push(`| ${row.id} | ${escape(row.figure)} | — | — | — | — | ERROR |`)
    notes.push(`${row.id}: ${escape(row.error.split("\n")[0])}`)
    continue
  }
  const ratio = row.ratio === undefined ? "—" : `${formatNumber(row.ratio, 2)}×`
  const result = row.pass === undefined ? "—" : row.pass ? "PASS" : "**FAIL**"
  lines.push(`| ${row.id} | ${escape(row.figure)} | ${cell(row, row.subject)} | ${cell(row, row.baseline)} | ${ratio} | ${escape(row.target)} | ${result} |`)
  if (row.note !== undefined) notes.push(`${row.id}: ${escape(row.note)}`)
}
lines.push("", ...notes.map((note) => `- ${note}`))
process.stdout.write(`${lines.join("\n")}\n`)

if (args.profile) {
  progress("profiling figures 1, 2 and 6…")
  const dir = tempDir()
  // Unminified, so the profile names src functions (as ES modules: the shipped CommonJS bundle runs the same code).
  const outdir = path.join(dir, "dist")
  await build({
    entryPoints: { f2bc: path.join(ROOT, "src/bin.ts") },
    outdir,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    chunkNames: "chunks/[name]-[hash]",
    banner: { js: 'import { createRequire as __f2bcCreateRequire } from "node:module"; const require = __f2bcCreateRequire(import.meta.url);' },
    logLevel: "warning"
  })
  const profileOf = async (name, run) => {
    const profileDir = path.join(dir, `profile-${name}`)
    const result = await run(["--cpu-prof", "--cpu-prof-dir", profileDir])
    const file = fs.readdirSync(profileDir).find((f) => f.endsWith(".cpuprofile"))
    if (file === undefined) throw new Error(`no profile was written for ${name}`)
    const kept = path.join(ROOT, "bench", `.${name}.cpuprofile`)
    fs.copyFileSync(path.join(profileDir, file), kept)
    return { result, summary: summariseProfile(path.join(profileDir, file)), kept }
  }
  const pipeline = await profileOf("pipeline", (nodeArgs) => profilePipeline({ quick, nodeArgs, table: "fresh" }))
  const pipelineFull = await profileOf("pipeline-full-table", (nodeArgs) => profilePipeline({ quick, nodeArgs, table: "full" }))
  const ingest = await profileOf("daemon-ingest", (nodeArgs) => profileIngest({ quick, nodeArgs, bin: path.join(outdir, "f2bc.js") }))
  const fanout = await profileOf("broker-fanout", (nodeArgs) => profileFanout({ quick, nodeArgs, bin: path.join(outdir, "f2bc.js") }))
  process.stdout.write(
    [
      "",
      "### Profile: figure 1 (f2bc's pure pipeline alone, in process, dedupe table with room)",
      "",
      pipeline.summary,
      "",
      `Saved as ${path.relative(ROOT, pipeline.kept)} (open in Chrome DevTools → Performance).`,
      "",
      "### Profile: figure 1, second row (the dedupe table full; includes filling it)",
      "",
      pipelineFull.summary,
      "",
      `Saved as ${path.relative(ROOT, pipelineFull.kept)}.`,
      "",
      `### Profile: figure 2 (the daemon during one flood: ${formatNumber(ingest.result.rate, 0)} msgs/s decided, ${ingest.result.dropped} dropped, under --cpu-prof)`,
      "",
      ingest.summary,
      "",
      `Saved as ${path.relative(ROOT, ingest.kept)}.`,
      "",
      `### Profile: figure 6 (the broker during three fan-out runs, 1 → 100: ${formatNumber(fanout.result.rate, 0)} deliveries/s under --cpu-prof)`,
      "",
      fanout.summary,
      "",
      `Saved as ${path.relative(ROOT, fanout.kept)}.`,
      ""
    ].join("\n")
  )
  await stopAll()
}
