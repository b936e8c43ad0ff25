/**
 * Figure 1 of `npm run bench`, bundled by esbuild and run in its own process: the pure
 * pipeline (line splitter → frame → decide) against a split-based loop like the original's.
 */
import * as Either from "effect/Either"
import { decodeConfig } from "../../src/config/index.js"
import { decide, planServer, recordExecuted } from "../../src/decide/pipeline.js"
import { parseFrame } from "../../src/protocol/frame.js"
import { initialSplitter, splitChunk } from "../../src/protocol/lineSplitter.js"
import { makeSeenTable, type SeenTable } from "../../src/trust/index.js"

const ACTION = "fail2ban-client set %jail% %action% %ip%"
const CONFIG = `node_name: bench-daemon
servers:
  - host: 127.0.0.1
    port: 1986
    channels:
      - name: Fail2ban
        action: "${ACTION}"
        filter:
          - key: jail
            values: [sshd]
    filter:
      - key: action
        values: [banip, unbanip]
`
const CHUNK_BYTES = 65_536
const MAX_LINE_BYTES = 65_536

const config = Either.getOrElse(decodeConfig(CONFIG, "<bench>"), (error) => {
  throw new Error(error.message)
})
const server = config.servers[0]!
const plan = planServer(server, config)

/**
 * Deliveries as a socket would hand them over: `Fail2ban!<message>\n` lines cut
 * into 64 KiB chunks, each message what `f2bc publish` sends (text, then an
 * unsigned envelope with an `_id` unique per run and `first`), and every one passes the filter.
 */
const makeChunks = (count: number, run: number, first = 0): ReadonlyArray<Buffer> => {
  const ts = Math.floor(Date.now() / 1000)
  const lines: Array<string> = []
  for (let i = first; i < first + count; i++) {
    const id = `${run.toString(16).padStart(8, "0")}${i.toString(16).padStart(24, "0")}`
    const ip = `198.${18 + ((i >> 16) & 1)}.${(i >> 8) & 255}.${i & 255}`
    const action = i % 2 === 0 ? "banip" : "unbanip"
    lines.push(`Fail2ban!jail=sshd, action=${action}, ip=${ip}, _id=${id}, _ts=${ts}, _origin=bench-publisher\n`)
  }
  const bytes = Buffer.from(lines.join(""))
  const chunks: Array<Buffer> = []
  for (let at = 0; at < bytes.length; at += CHUNK_BYTES) chunks.push(bytes.subarray(at, at + CHUNK_BYTES))
  return chunks
}

/** f2bc: every stage the daemon runs per delivery, minus the socket, the queue and logging. */
const runPipeline = (chunks: ReadonlyArray<Buffer>, seen: SeenTable): number => {
  let state = initialSplitter
  let executed = 0
  for (const chunk of chunks) {
    const result = splitChunk(state, chunk, MAX_LINE_BYTES)
    state = result.state
    const nowMs = Date.now()
    for (const event of result.events) {
      if (event._tag !== "Line") continue
      const frame = parseFrame(event.line)
      if (frame._tag !== "Delivery") continue
      const decision = decide(plan, { server: "127.0.0.1:1986", channel: frame.channel, message: frame.message }, { nowMs, seen })
      if (decision._tag !== "Execute") continue
      // As the daemon does once the action is queued.
      if (decision.record !== undefined) recordExecuted(seen, decision.record, nowMs)
      executed++
    }
  }
  return executed
}

/**
 * The baseline: what the original did per delivery, with no validation. Split
 * at `!` and `,`/`=`, check the filter, replace each `%key%` in the action.
 */
const runBaseline = (chunks: ReadonlyArray<Buffer>): number => {
  let carry = ""
  let executed = 0
  for (const chunk of chunks) {
    const lines = (carry + chunk.toString("utf8")).split("\n")
    carry = lines.pop() ?? ""
    for (const line of lines) {
      const bang = line.indexOf("!")
      if (line.slice(0, bang) !== "Fail2ban") continue
      const fields: Record<string, string> = {}
      for (const part of line.slice(bang + 1).split(",")) {
        const eq = part.indexOf("=")
        fields[part.slice(0, eq).trim()] = part.slice(eq + 1).trim()
      }
      if (!((fields["action"] === "banip" || fields["action"] === "unbanip") && fields["jail"] === "sshd")) continue
      let command = ACTION
      for (const key in fields) command = command.replaceAll(`%${key}%`, fields[key]!)
      if (command.length > 0) executed++
    }
  }
  return executed
}

const rate = (what: string, run: () => number, expected: number): number => {
  const started = performance.now()
  const executed = run()
  const seconds = (performance.now() - started) / 1000
  if (executed !== expected) throw new Error(`${what}: ${executed} of ${expected} messages passed, expected all`)
  return expected / seconds
}

const capacity = config.dedupe_max_entries
/** Each executed `_id` is remembered: a table that already holds `dedupe_max_entries` ids (a long flood) evicts one per message. */
const fullTable = (run: number): SeenTable => {
  const seen = makeSeenTable(capacity)
  runPipeline(makeChunks(capacity, run, 10_000_000), seen)
  if (seen.size() !== capacity) throw new Error(`the dedupe table holds ${seen.size()} ids, expected ${capacity}`)
  return seen
}

const [freshArg = "50000", fullArg = "20000", runsArg = "5", only] = process.argv.slice(2)
const freshCount = Number(freshArg)
const fullCount = Number(fullArg)
const runs = Number(runsArg)
if (freshCount > capacity) throw new Error(`${freshCount} messages would fill the dedupe table (${capacity}); use fewer`)
// `fresh` or `full`: only f2bc's side of that case, for a profile that shows nothing else.
const withBaseline = only === undefined

interface Sides {
  readonly subject: Array<number>
  readonly baseline: Array<number>
}
const fresh: Sides = { subject: [], baseline: [] }
const full: Sides = { subject: [], baseline: [] }

/** One measurement of both sides on the same chunks, in alternating order (neither always runs after the other's garbage). */
const measure = (sides: Sides, run: number, chunks: ReadonlyArray<Buffer>, count: number, seen: SeenTable): void => {
  const subject = () => sides.subject.push(rate("f2bc", () => runPipeline(chunks, seen), count))
  const baseline = () => sides.baseline.push(rate("baseline", () => runBaseline(chunks), count))
  if (!withBaseline) return void subject()
  if (run % 2 === 1) {
    subject()
    baseline()
  } else {
    baseline()
    subject()
  }
}

// Warm-up: both loops optimised by the JIT before anything is timed.
const warmCount = Math.min(freshCount, 20_000)
const warm = makeChunks(warmCount, 0)
rate("f2bc", () => runPipeline(warm, makeSeenTable(capacity)), warmCount)
rate("baseline", () => runBaseline(warm), warmCount)

for (let run = 1; run <= runs; run++) {
  // Fresh ids per run: what a flood of new bans gives the dedupe table.
  if (only === undefined || only === "fresh") measure(fresh, run, makeChunks(freshCount, run), freshCount, makeSeenTable(capacity))
  if (only === undefined || only === "full") measure(full, run, makeChunks(fullCount, run, 20_000_000), fullCount, fullTable(run))
}
process.stdout.write(`${JSON.stringify({ fresh, full, capacity })}\n`)
