/**
 * The adversarial suite (security.md, issue 3): hundreds of hostile messages through a
 * real broker into a real daemon whose actions would create a sentinel file if any injection worked.
 */
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  NODE_NAME,
  OTHER_NODE,
  publishCases,
  rawCases,
  type CaseContext,
  type Channel,
  type Expected,
  type PublishCase,
  type RawCase
} from "./adversarial-cases.js"
import {
  ROOT,
  rawClient,
  runF2bc,
  shRecorder,
  startBroker,
  startF2bc,
  stopAll,
  tempDir,
  waitUntil,
  watchLines,
  writeConfig
} from "../support/harness.js"

/** The daemon's line bound: below the broker's 64 KiB, so both bounds can be crossed separately. */
const MAX_LINE_BYTES = 8192
const BROKER_MAX_LINE_BYTES = 65_536
const CASE_TIMEOUT_MS = 5000

const dir = tempDir("f2bc-adversarial-")
const sentinel = path.join(dir, "SENTINEL")
const secretText = randomBytes(24).toString("hex")
const wrongText = randomBytes(24).toString("hex")
// Trailing newline: the daemon and publish strip it (`echo KEY > file`); the key is the hex text.
const secretFile = path.join(dir, "secret")
const wrongFile = path.join(dir, "wrong-secret")
fs.writeFileSync(secretFile, `${secretText}\n`, { mode: 0o600 })
fs.writeFileSync(wrongFile, `${wrongText}\n`, { mode: 0o600 })

let idCounter = 0
const ctx: CaseContext = {
  sentinel,
  secret: Buffer.from(secretText),
  wrongSecret: Buffer.from(wrongText),
  nowS: Math.floor(Date.now() / 1000),
  newId: () => randomBytes(14).toString("hex") + (idCounter++ % 65536).toString(16).padStart(4, "0"),
  maxLineBytes: MAX_LINE_BYTES,
  brokerMaxLineBytes: BROKER_MAX_LINE_BYTES
}
const RAW = rawCases(ctx)
const PUBLISH = publishCases(ctx)

const rec = shRecorder(dir)
const actions: Record<Channel, { readonly shell: boolean; readonly action: string; readonly filter?: string }> = {
  Plain: { shell: false, action: `${rec.script} %jail% %ip% %note%` },
  // Every quoting context of configuration.md: outside quotes, inside "…", inside '…', and within words.
  Shell: { shell: true, action: `${rec.script} %note% "%note%" '%note%' x%note%y "a %note% b" 'a %note% b' %jail% "%ip%" %_msg%` },
  Text: { shell: true, action: `${rec.script} %_msg% "%_msg%" '%_msg%' "%_channel%"` },
  Signed: { shell: false, action: `${rec.script} %jail% %ip% %note%` },
  Filtered: { shell: false, action: `${rec.script} %action% %ip%`, filter: "{ key: action, values: [banip, unbanip] }" }
}

// ---------------------------------------------------------------------------
// Reading decisions from the daemon's log.

/** Every delivery on a configured channel gets exactly one line like this (src/daemon/daemon.ts). */
const DECISION = /^\S+ +(?:DEBUG|INFO|WARN|ERROR) +\[daemon\] server=\S+ channel=(\S+) (?:(accepted)(?: |$)|(skipped|rejected) at (\w+): )/

interface Decision {
  readonly channel: string
  readonly outcome: "accepted" | "skipped" | "rejected"
  readonly stage: string | undefined
  /** The `key=` annotation, outside every quoted string. */
  readonly key: string | undefined
  /** The reason: the text after "<outcome> at <stage>: " up to the annotations. */
  readonly reason: string
  readonly line: string
}

const QUOTED = /"(?:[^"\\]|\\.)*"/g

const parseDecision = (line: string): Decision | undefined => {
  const match = DECISION.exec(line)
  if (match === null) return undefined
  const rest = line.slice(match[0].length)
  const annotations = rest.replace(QUOTED, '""')
  const keys = [...annotations.matchAll(/ key=([^\s"]+)/g)]
  const at = rest.lastIndexOf(" message=")
  return {
    channel: match[1]!,
    outcome: match[2] === "accepted" ? "accepted" : (match[3] as "skipped" | "rejected"),
    stage: match[4],
    key: keys.at(-1)?.[1],
    reason: at === -1 ? rest : rest.slice(0, at),
    line
  }
}

const describeExpected = (expected: Expected): string => {
  switch (expected.outcome) {
    case "executed":
      return `executed ${JSON.stringify(expected.argv).slice(0, 200)}`
    case "rejected":
      return `rejected at ${expected.stage}${expected.key === undefined ? "" : ` key=${expected.key}`}${expected.reason === undefined ? "" : ` ${expected.reason}`}`
    case "skipped":
      return `skipped at ${expected.stage}`
    case "dropped-by-broker":
      return "dropped by the broker"
    case "overlong-at-broker":
    case "overlong-at-daemon":
      return `${expected.outcome} (${expected.bytes} bytes)`
    case "refused":
      return "refused by publish (exit 2)"
  }
}

/** Why `decision` does not meet `expected`, or undefined when it does. */
const decisionProblem = (decision: Decision, expected: Expected, channel: Channel, marker: string | undefined): string | undefined => {
  if (decision.channel !== channel) return `decision on channel ${decision.channel}`
  if (marker !== undefined && !decision.line.includes(`=${marker},`)) return `decision belongs to another message`
  switch (expected.outcome) {
    case "executed":
      return decision.outcome === "accepted" ? undefined : `${decision.outcome} at ${decision.stage}: ${decision.reason}`
    case "skipped":
      return decision.outcome === "skipped" && decision.stage === expected.stage ? undefined : `${decision.outcome} at ${decision.stage}: ${decision.reason}`
    case "rejected": {
      if (decision.outcome !== "rejected" || decision.stage !== expected.stage) return `${decision.outcome} at ${decision.stage}: ${decision.reason}`
      if (expected.key !== undefined && decision.key !== expected.key) return `key=${decision.key} in ${decision.line.slice(0, 300)}`
      if (expected.reason !== undefined && !expected.reason.test(decision.reason)) return `reason "${decision.reason}"`
      return undefined
    }
    default:
      return `a decision (${decision.outcome} at ${decision.stage}) where none was expected`
  }
}

/** Words compared as bytes. */
const argvProblem = (actual: ReadonlyArray<Buffer> | undefined, expected: ReadonlyArray<string>): string | undefined => {
  if (actual === undefined) return "no action call"
  const want = expected.map((word) => Buffer.from(word, "utf8"))
  if (actual.length === want.length && actual.every((word, i) => word.equals(want[i]!))) return undefined
  return `argv ${JSON.stringify(actual.map((w) => w.toString("utf8"))).slice(0, 300)}`
}

const hexArgv = (words: ReadonlyArray<Buffer | string>): string =>
  words.map((w) => (typeof w === "string" ? Buffer.from(w, "utf8") : w).toString("hex")).join(" ")

/** The reason with case-specific parts (values, keys, numbers, addresses) abstracted, for the summary. */
const reasonShape = (stage: string | undefined, reason: string): string =>
  `${stage}: ${reason
    .replace(/^[\w.-]+=(?:"(?:[^"\\]|\\.)*"|\S+)/, "<key>=<value>")
    .replace(/(key|part \d+) "(?:[^"\\]|\\.)*"/g, '$1 "…"')
    .replace(/U\+[0-9A-F]{4}/g, "U+XXXX")
    .replace(/_id=[0-9a-f]{32}/g, "_id=<id>")
    .replace(/\((?:[0-9a-f:.]+\/\d+|::1)\)/g, "(<range>)")
    .replace(/%\w+%/g, "%<key>%")
    .replace(/\b\d+(\.\d+)?\b/g, "N")}`

// ---------------------------------------------------------------------------

describe("adversarial messages against a real broker and daemon (security.md)", () => {
  let port = 0
  let daemon: ReturnType<typeof startF2bc>
  let daemonLines: ReturnType<typeof watchLines>
  let brokerLines: ReturnType<typeof watchLines>
  let client: Awaited<ReturnType<typeof rawClient>>
  const failures: Array<string> = []
  const outcomes = new Map<string, number>()
  const reasons = new Set<string>()
  /** Deliveries that must each have produced one decision, and actions that must each have run once. */
  let decisionsExpected = 0
  let executionsExpected = 0
  const count = (outcome: string) => outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1)

  beforeAll(async () => {
    const broker = await startBroker()
    brokerLines = watchLines(broker.child)
    port = broker.port
    const channels = (Object.keys(actions) as Array<Channel>).map((name) =>
      [
        `      - name: ${name}`,
        `        action: ${JSON.stringify(actions[name].action)}`,
        ...(actions[name].shell ? ["        shell: true"] : []),
        ...(name === "Signed" ? [`        secret_file: ${JSON.stringify(secretFile)}`] : []),
        ...(actions[name].filter === undefined ? [] : [`        filter: [${actions[name].filter}]`])
      ].join("\n")
    )
    const config = writeConfig(
      dir,
      `state_dir: ${path.join(dir, "state")}
servers:
  - host: 127.0.0.1
    port: ${port}
    ping_timeout: 10
    channels:
${channels.join("\n")}
types:
  jail: name
  port: int
node_name: ${NODE_NAME}
max_line_bytes: ${MAX_LINE_BYTES}
log_level: 3
`
    )
    daemon = startF2bc(["daemon", "run", "--config", config])
    daemonLines = watchLines(daemon.child)
    await daemon.waitFor(/connected, subscribed to Plain, Shell, Text, Signed, Filtered/)
    client = await rawClient(port)
  })

  afterAll(async () => {
    client?.close()
    await stopAll()
  })

  /** The broker's `info` counters, asked on the raw connection (answered after every earlier line). */
  const brokerInfo = async (): Promise<Map<string, number>> => {
    const from = client.received().length
    client.send("info\n")
    const text = await waitUntil(() => {
      const got = client.received().slice(from)
      return /slow client disconnects: \d+\n/.test(got) ? got : undefined
    }, CASE_TIMEOUT_MS, "the broker's info")
    return new Map([...text.matchAll(/^([a-z -]+): (\d+)$/gm)].map((m) => [m[1]!, Number(m[2])] as const))
  }

  const record = (c: { readonly id: string; readonly title: string; readonly expected: Expected }, via: string, problem: string | undefined) => {
    if (problem !== undefined) failures.push(`${via} ${c.id} ${c.title}: expected ${describeExpected(c.expected)}, got ${problem}`)
  }

  const noteDecision = (decision: Decision) => {
    count(decision.outcome === "accepted" ? "executed" : `${decision.outcome} at ${decision.stage}`)
    if (decision.outcome !== "accepted") reasons.add(`${decision.outcome} at ${reasonShape(decision.stage, decision.reason)}`)
  }

  /** Sends one raw case and checks its outcome; returns a problem or undefined. */
  const runRaw = async (c: RawCase): Promise<string | undefined> => {
    const from = daemonLines.count()
    const brokerFrom = brokerLines.count()
    const calls = rec.count()
    const dropped = c.expected.outcome === "dropped-by-broker" ? (await brokerInfo()).get("dropped announcements") ?? 0 : 0
    const text = typeof c.text === "string" ? Buffer.from(c.text, "utf8") : c.text
    client.socket.write(Buffer.concat([Buffer.from(`announce ${c.channel} `), text, Buffer.from("\n")]))
    const expected = c.expected
    switch (expected.outcome) {
      case "dropped-by-broker": {
        const after = (await brokerInfo()).get("dropped announcements") ?? 0
        count("dropped by the broker (CR/NUL)")
        return after === dropped + 1 ? undefined : `dropped announcements went from ${dropped} to ${after}`
      }
      case "overlong-at-broker":
        await brokerLines.waitForLine((l) => l.includes(`dropped a ${expected.bytes}-byte request line`), brokerFrom, CASE_TIMEOUT_MS, "the broker's drop")
        count("dropped by the broker's line bound")
        return undefined
      case "overlong-at-daemon":
        await daemonLines.waitForLine((l) => l.includes(`dropped an over-long line of ${expected.bytes} bytes`), from, CASE_TIMEOUT_MS, "the daemon's drop")
        count("dropped by the daemon's line bound")
        return undefined
      case "refused":
        return "refused is for publish cases"
      default: {
        decisionsExpected++
        const { line } = await daemonLines.waitForLine((l) => DECISION.test(l), from, CASE_TIMEOUT_MS, `the decision for ${c.id}`)
        const decision = parseDecision(line)!
        noteDecision(decision)
        const problem = decisionProblem(decision, expected, c.channel, c.marker)
        if (problem !== undefined || expected.outcome !== "executed") return problem
        executionsExpected++
        await rec.waitForCount(calls + 1, CASE_TIMEOUT_MS)
        return argvProblem(rec.rawCall(calls), expected.argv)
      }
    }
  }

  it(`decides every one of the ${RAW.length} hostile raw messages as its case says: rejected with its reason, skipped, dropped, or run with the payload as one verbatim argv word`, async () => {
    for (const c of RAW) {
      let problem: string | undefined
      try {
        problem = await runRaw(c)
      } catch (error) {
        problem = error instanceof Error ? error.message.split("\n")[0] : String(error)
      }
      record(c, "raw", problem)
    }
    expect(failures).toEqual([])
    expect(RAW.length).toBeGreaterThanOrEqual(200)
  }, 120_000)

  const publishArgs = (c: PublishCase): Array<string> => [
    "publish",
    "--host",
    "127.0.0.1",
    "-p",
    String(port),
    "--node-name",
    c.nodeName,
    ...(c.secret === "right" ? ["--secret-file", secretFile] : c.secret === "wrong" ? ["--secret-file", wrongFile] : []),
    "-c",
    c.channel,
    "-m",
    c.message
  ]

  it(`gives the same outcomes through f2bc publish (${PUBLISH.length} cases), which refuses grammar-invalid messages with exit 2 before sending`, async () => {
    const before = failures.length
    const from = daemonLines.count()
    const calls = rec.count()
    const marked = PUBLISH.filter((c) => c.marker !== undefined)
    const unmarked = PUBLISH.filter((c) => c.marker === undefined)
    const executedArgv: Array<string> = []

    // Marked cases run four at a time: their decisions are told apart by the marker.
    const results = new Map<string, { code: number | null; stderr: string }>()
    const queue = [...marked]
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let c = queue.shift(); c !== undefined; c = queue.shift()) results.set(c.id, await runF2bc(publishArgs(c)))
      })
    )
    for (const c of marked) {
      const result = results.get(c.id)!
      const expected = c.expected
      try {
        if (expected.outcome === "refused") {
          count("refused by publish")
          record(c, "publish", result.code === 2 && result.stderr.trim() !== "" ? undefined : `exit ${result.code}: ${result.stderr.trim()}`)
          continue
        }
        if (result.code !== 0) {
          record(c, "publish", `exit ${result.code}: ${result.stderr.trim()}`)
          continue
        }
        if (expected.outcome === "overlong-at-daemon") {
          await daemonLines.waitForLine((l) => l.includes(`dropped an over-long line of ${expected.bytes} bytes`), from, CASE_TIMEOUT_MS, "the daemon's drop")
          count("dropped by the daemon's line bound")
          continue
        }
        decisionsExpected++
        const { line } = await daemonLines.waitForLine(
          (l) => DECISION.test(l) && l.includes(`=${c.marker},`),
          from,
          CASE_TIMEOUT_MS,
          `the decision for ${c.id}`
        )
        const decision = parseDecision(line)!
        noteDecision(decision)
        const problem = decisionProblem(decision, expected, c.channel, c.marker)
        record(c, "publish", problem)
        if (problem === undefined && expected.outcome === "executed") executedArgv.push(hexArgv(expected.argv))
      } catch (error) {
        record(c, "publish", error instanceof Error ? error.message.split("\n")[0] : String(error))
      }
    }
    // Concurrent actions finish in any order: compare the calls as a multiset.
    executionsExpected += executedArgv.length
    await rec.waitForCount(calls + executedArgv.length, CASE_TIMEOUT_MS)
    const got = rec.rawCalls().slice(calls).map(hexArgv).sort()
    if (JSON.stringify(got) !== JSON.stringify([...executedArgv].sort())) {
      failures.push(`publish: the action calls differ from the expected argv of the ${executedArgv.length} executed cases`)
    }

    // Plain-text messages carry no marker: one at a time, each followed by its decision.
    for (const c of unmarked) {
      const at = daemonLines.count()
      const callsAt = rec.count()
      const result = await runF2bc(publishArgs(c))
      const expected = c.expected
      try {
        if (expected.outcome === "refused") {
          count("refused by publish")
          record(c, "publish", result.code === 2 && result.stderr.trim() !== "" ? undefined : `exit ${result.code}: ${result.stderr.trim()}`)
          continue
        }
        if (result.code !== 0) {
          record(c, "publish", `exit ${result.code}: ${result.stderr.trim()}`)
          continue
        }
        decisionsExpected++
        const { line } = await daemonLines.waitForLine((l) => DECISION.test(l), at, CASE_TIMEOUT_MS, `the decision for ${c.id}`)
        const decision = parseDecision(line)!
        noteDecision(decision)
        let problem = decisionProblem(decision, expected, c.channel, undefined)
        if (problem === undefined && expected.outcome === "executed") {
          executionsExpected++
          await rec.waitForCount(callsAt + 1, CASE_TIMEOUT_MS)
          problem = argvProblem(rec.rawCall(callsAt), expected.argv)
        }
        record(c, "publish", problem)
      } catch (error) {
        record(c, "publish", error instanceof Error ? error.message.split("\n")[0] : String(error))
      }
    }
    // A refused message was never sent: no decision carries its marker.
    for (const c of marked.filter((c) => c.expected.outcome === "refused")) {
      if (daemonLines.lines().slice(from).some((l) => DECISION.test(l) && l.includes(`=${c.marker},`))) {
        failures.push(`publish ${c.id} ${c.title}: refused, yet the daemon received it`)
      }
    }
    expect(failures.slice(before)).toEqual([])
    expect(PUBLISH.length).toBeGreaterThanOrEqual(30)
  }, 120_000)

  it("publish refuses a message whose request line exceeds the broker's line bound instead of reporting it delivered (operations.md: exit 0 only when confirmed)", async () => {
    const brokerFrom = brokerLines.count()
    const message = `c=p999, jail=sshd, ip=192.0.2.7, note=${"X".repeat(BROKER_MAX_LINE_BYTES)}`
    const result = await runF2bc(["publish", "--host", "127.0.0.1", "-p", String(port), "--node-name", OTHER_NODE, "-c", "Plain", "-m", message])
    // The broker would drop it (its log says so) while publish, having had its ping answered, exits 0.
    expect({ code: result.code, brokerDropped: brokerLines.lines().slice(brokerFrom).some((l) => l.includes("-byte request line")) }).toEqual({
      code: 2,
      brokerDropped: false
    })
  })

  it("leaves no sentinel, logs one decision per delivery on single timestamped lines, and still runs a clean message afterwards", async () => {
    // A clean message, raw and published signed: exact argv.
    const from = daemonLines.count()
    const calls = rec.count()
    client.send("announce Plain jail=sshd, ip=192.0.2.200, note=clean\n")
    expect(await rec.waitForCalls(calls + 1)).toContainEqual(["sshd", "192.0.2.200", "clean"])
    expect(rec.calls()[calls]).toEqual(["sshd", "192.0.2.200", "clean"])
    const published = await runF2bc([
      "publish", "--host", "127.0.0.1", "-p", String(port), "--node-name", OTHER_NODE, "--secret-file", secretFile,
      "-c", "Signed", "-m", "jail=sshd, ip=192.0.2.201, note=clean-signed"
    ])
    expect(published.code).toBe(0)
    await rec.waitForCalls(calls + 2)
    expect(rec.calls()[calls + 1]).toEqual(["sshd", "192.0.2.201", "clean-signed"])
    decisionsExpected += 2
    executionsExpected += 2
    await daemonLines.waitForLine((l) => DECISION.test(l) && l.includes("note=clean-signed"), from)

    // No injection anywhere the payloads pointed at.
    const sentinels = (where: string) => fs.readdirSync(where).filter((f) => f.startsWith("SENTINEL"))
    expect({ dir: sentinels(dir), root: sentinels(ROOT), cwd: sentinels(process.cwd()) }).toEqual({ dir: [], root: [], cwd: [] })

    // Exactly one decision per delivery, and exactly the expected actions ran.
    const decisions = daemonLines.lines().filter((l) => DECISION.test(l))
    expect(decisions.length).toBe(decisionsExpected)
    expect(rec.count()).toBe(executionsExpected)
    // Network input never forges a log line, and the secret is never logged.
    const daemonOutput = daemonLines.lines()
    expect(daemonOutput.filter((l) => !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO|WARN|ERROR) /.test(l))).toEqual([])
    // eslint-disable-next-line no-control-regex
    expect(daemonOutput.filter((l) => /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/.test(l))).toEqual([])
    expect(daemonOutput.some((l) => l.includes(secretText) || l.includes(wrongText))).toBe(false)
    expect(daemon.child.exitCode).toBe(null)

    const classes = new Map<string, number>()
    for (const c of [...RAW, ...PUBLISH]) classes.set(c.cls, (classes.get(c.cls) ?? 0) + 1)
    const byClass = [...classes].map(([k, v]) => `${k} ${v}`).join(", ")
    const summary = [...outcomes].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}: ${v}`).join(", ")
    console.log(
      `adversarial summary: ${RAW.length} raw + ${PUBLISH.length} publish cases (${byClass}); outcomes: ${summary}\n` +
        `distinct rejection reasons (${reasons.size}):\n  ${[...reasons].sort().join("\n  ")}`
    )
  })
})
