/**
 * Properties of the batcher (batched application): batches expand back to the actions
 * submitted, and the actions of one address run in arrival order, never overlapping, whatever the batching.
 */
import { FastCheck as fc } from "effect"
import { describe, expect, it } from "vitest"
import { Batcher, batchArgv, batchSpecOf, clipArgv, type Unit } from "../../src/exec/batcher.js"

/** `fail2ban-client set cluster-sshd <action> <ip>`: the ip (word 4) is the batched word. */
const WORD = 4
const ADDRESSES = ["192.0.2.1", "192.0.2.2", "192.0.2.3", "2001:db8::1"]

interface TestJob {
  readonly seq: number
  readonly argv: ReadonlyArray<string>
  readonly ip: string
  /** Unset: a channel without `batch`, run one per process. */
  readonly batched: boolean
}

type Command =
  | { readonly _tag: "Arrive"; readonly action: "banip" | "unbanip"; readonly ip: string; readonly batched: boolean }
  | { readonly _tag: "Seal"; readonly pick: number }
  | { readonly _tag: "Start"; readonly pick: number }
  | { readonly _tag: "Finish"; readonly pick: number }

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ _tag: fc.constant("Arrive" as const), action: fc.constantFrom("banip" as const, "unbanip" as const), ip: fc.constantFrom(...ADDRESSES), batched: fc.integer({ min: 0, max: 4 }).map((n) => n > 0) }) },
  { weight: 1, arbitrary: fc.record({ _tag: fc.constant("Seal" as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ _tag: fc.constant("Start" as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ _tag: fc.constant("Finish" as const), pick: fc.nat() }) }
)

/** Drives a batcher through the commands, then seals, starts and finishes whatever is left (in `tailPicks` order). */
const simulate = (commands: ReadonlyArray<Command>, max: number, tailPicks: ReadonlyArray<number>) => {
  const batcher = new Batcher<TestJob>()
  const submitted: Array<TestJob> = []
  const open: Array<Unit<TestJob>> = []
  const ready: Array<Unit<TestJob>> = []
  const running: Array<Unit<TestJob>> = []
  /** Units in the order they started, with the argv each ran. */
  const started: Array<{ readonly unit: Unit<TestJob>; readonly argv: ReadonlyArray<string> }> = []
  const overlaps: Array<string> = []
  const take = <A>(list: Array<A>, pick: number): A | undefined => (list.length === 0 ? undefined : list.splice(pick % list.length, 1)[0])
  const start = (unit: Unit<TestJob>) => {
    for (const other of running) for (const key of unit.keys) if (other.keys.has(key)) overlaps.push(key)
    running.push(unit)
    const first = unit.jobs[0]!
    started.push({ unit, argv: unit.values.length > 0 ? batchArgv(first.argv, WORD, unit.values) : first.argv })
  }
  const step = (c: Command) => {
    switch (c._tag) {
      case "Arrive": {
        const job: TestJob = { seq: submitted.length, argv: ["fail2ban-client", "set", "cluster-sshd", c.action, c.ip], ip: c.ip, batched: c.batched }
        submitted.push(job)
        const spec = c.batched ? batchSpecOf("server\u0000Fail2ban", job.argv, WORD, max) : undefined
        const added = batcher.add(job, [c.ip], spec)
        if (added.opened) open.push(added.unit)
        ready.push(...added.ready)
        return
      }
      case "Seal": {
        const unit = take(open, c.pick)
        if (unit !== undefined) ready.push(...batcher.seal(unit))
        return
      }
      case "Start": {
        const unit = take(ready, c.pick)
        if (unit !== undefined) start(unit)
        return
      }
      case "Finish": {
        const unit = take(running, c.pick)
        if (unit !== undefined) ready.push(...batcher.finish(unit))
      }
    }
  }
  commands.forEach(step)
  ready.push(...batcher.sealAll())
  let i = 0
  while (ready.length > 0 || running.length > 0) {
    const pick = tailPicks[i++ % Math.max(tailPicks.length, 1)] ?? 0
    if (ready.length > 0 && (running.length === 0 || pick % 2 === 0)) start(take(ready, pick)!)
    else ready.push(...batcher.finish(take(running, pick)!))
  }
  return { submitted, started, overlaps, left: batcher.size }
}

/** A batched argv expanded back into one argv per value. */
const expand = (argv: ReadonlyArray<string>, count: number): Array<ReadonlyArray<string>> =>
  Array.from({ length: count }, (_, k) => [...argv.slice(0, WORD), argv[WORD + k]!, ...argv.slice(WORD + count)])

const sortedTexts = (argvs: ReadonlyArray<ReadonlyArray<string>>) => argvs.map((argv) => JSON.stringify(argv)).sort()

const scenario = fc.record({
  commands: fc.array(command, { maxLength: 120 }),
  max: fc.integer({ min: 1, max: 6 }),
  tail: fc.array(fc.nat(), { minLength: 1, maxLength: 20 })
})

describe("Batcher", () => {
  it("a batch expanded back gives the actions submitted: the same argvs as a multiset, each address's in arrival order", () => {
    fc.assert(
      fc.property(scenario, ({ commands, max, tail }) => {
        const { submitted, started, left } = simulate(commands, max, tail)
        expect(left).toBe(0)
        const expanded = started.flatMap(({ unit, argv }) => (unit.values.length > 0 ? expand(argv, unit.values.length) : [argv]))
        expect(sortedTexts(expanded)).toEqual(sortedTexts(submitted.map((job) => job.argv)))
        for (const { unit, argv } of started) {
          expect(unit.jobs.length).toBeLessThanOrEqual(max)
          // One process per unit: every job's own argv is one of its expansions, in the unit's order.
          if (unit.values.length > 0) expect(expand(argv, unit.values.length)).toEqual(unit.jobs.map((job) => job.argv))
          else expect(unit.jobs).toHaveLength(1)
        }
        for (const ip of ADDRESSES) {
          const ran = started.flatMap(({ unit }) => unit.jobs.filter((job) => job.ip === ip).map((job) => job.seq))
          expect(ran).toEqual(submitted.filter((job) => job.ip === ip).map((job) => job.seq))
        }
      }),
      { numRuns: 500 }
    )
  })

  it("ORDERING: a ban and an unban of one address never reorder and never overlap, whatever the interleaving and batching", () => {
    fc.assert(
      fc.property(scenario, ({ commands, max, tail }) => {
        const { submitted, started, overlaps } = simulate(commands, max, tail)
        // No two units holding one address ever run at once...
        expect(overlaps).toEqual([])
        // ...and each address's banip/unbanip sequence runs exactly as it arrived.
        for (const ip of ADDRESSES) {
          const ran = started.flatMap(({ unit }) => unit.jobs.filter((job) => job.ip === ip).map((job) => job.argv[3]))
          expect(ran).toEqual(submitted.filter((job) => job.ip === ip).map((job) => job.argv[3]))
        }
      }),
      { numRuns: 500 }
    )
  })

  it("a storm of distinct addresses ready together runs as ceil(N / max) processes", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 400 }), fc.integer({ min: 1, max: 150 }), (n, max) => {
        const commands: Array<Command> = Array.from({ length: n }, (_, i) => ({ _tag: "Arrive", action: "banip", ip: `10.0.${i >> 8}.${i & 255}`, batched: true }))
        const batcher = new Batcher<number>()
        const units = new Set<Unit<number>>()
        commands.forEach((c, i) => {
          if (c._tag !== "Arrive") return
          units.add(batcher.add(i, [c.ip], batchSpecOf("s", ["f2b", "set", "j", "banip", c.ip], WORD, max)).unit)
        })
        expect(units.size).toBe(Math.ceil(n / max))
      })
    )
  })

  it("an address's second ban does not join a batch that would run before its unban", () => {
    const batcher = new Batcher<string>()
    const spec = (action: string, ip: string) => batchSpecOf("s", ["f2b", "set", "j", action, ip], WORD, 100)
    const ban1 = batcher.add("ban a", ["a"], spec("banip", "a"))
    batcher.add("ban b", ["b"], spec("banip", "b"))
    const unban = batcher.add("unban a", ["a"], spec("unbanip", "a"))
    const ban2 = batcher.add("ban a again", ["a"], spec("banip", "a"))
    expect(ban1.unit.jobs).toEqual(["ban a", "ban b"])
    expect(ban2.unit).not.toBe(ban1.unit)
    // The first ban batch was sealed by the second ban; it heads a's chain and runs first.
    expect(ban2.ready).toEqual([ban1.unit])
    expect(batcher.seal(unban.unit)).toEqual([])
    expect(batcher.finish(ban1.unit)).toEqual([unban.unit])
  })

  it("a batch whose linger ends while its group has a process running keeps collecting until that one finishes", () => {
    const batcher = new Batcher<string>()
    const spec = (ip: string) => batchSpecOf("s", ["f2b", "set", "j", "banip", ip], WORD, 100)
    const first = batcher.add("ban a", ["a"], spec("a"))
    expect(batcher.seal(first.unit)).toEqual([first.unit]) // nothing of its group runs: sealed at its linger
    const second = batcher.add("ban b", ["b"], spec("b"))
    expect(second.unit).not.toBe(first.unit)
    expect(batcher.seal(second.unit)).toEqual([]) // the first runs: the second lingers on
    batcher.add("ban c", ["c"], spec("c"))
    expect(second.unit.jobs).toEqual(["ban b", "ban c"])
    expect(batcher.finish(first.unit)).toEqual([second.unit])
    // A full batch does not wait: max seals it whatever runs.
    const third = batcher.add("ban d", ["d"], batchSpecOf("s", ["f2b", "set", "j", "banip", "d"], WORD, 2))
    expect(batcher.seal(third.unit)).toEqual([])
    expect(batcher.add("ban e", ["e"], batchSpecOf("s", ["f2b", "set", "j", "banip", "e"], WORD, 2)).ready).toEqual([third.unit])
  })

  it("the log shows a long batch clipped, with how many values it left out", () => {
    const argv = batchArgv(["f2b", "set", "j", "banip", "x"], WORD, Array.from({ length: 12 }, (_, i) => `10.0.0.${i}`))
    expect(clipArgv(argv, WORD, 12, 3)).toEqual(["f2b", "set", "j", "banip", "10.0.0.0", "10.0.0.1", "10.0.0.2", "…(9 more)"])
    expect(clipArgv(["f2b", "x", "--", "tail"], 1, 1)).toEqual(["f2b", "x", "--", "tail"])
  })
})
