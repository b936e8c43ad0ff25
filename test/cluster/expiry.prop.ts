/**
 * Scheduled expiries: runs exactly once per ban at the latest `ban_until`
 * announced for it, never for a ban without end, never after its unban.
 */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { makeExpiryTable, NO_END, type ExpiryTarget } from "../../src/cluster/expiry.js"

type Op =
  | { readonly _tag: "ban"; readonly ip: string; readonly until: number }
  | { readonly _tag: "unban"; readonly ip: string }
  | { readonly _tag: "tick"; readonly step: number }

const ips = fc.constantFrom("192.0.2.1", "192.0.2.2", "2001:db8::1")
const ops = fc.array(
  fc.oneof(
    fc.record({ _tag: fc.constant("ban" as const), ip: ips, until: fc.oneof(fc.constant(NO_END), fc.integer({ min: 1000, max: 1100 })) }),
    fc.record({ _tag: fc.constant("unban" as const), ip: ips }),
    fc.record({ _tag: fc.constant("tick" as const), step: fc.integer({ min: 0, max: 30_000 }) })
  ),
  { maxLength: 80 }
)

const argvOf = (ip: string) => ["fail2ban-client", "set", "cluster-sshd", "unbanip", ip]
const targetOf = (ip: string): ExpiryTarget => ({ argv: argvOf(ip), channel: "Fail2ban", orderKey: ip })

/** Runs `ops` through the table: the (ip, at ms) of every expiry run, at the ticks. */
const simulate = (history: ReadonlyArray<Op>) => {
  const table = makeExpiryTable()
  let now = 1_000_000
  const runs: Array<{ ip: string; atMs: number; dueMs: number }> = []
  for (const op of history) {
    if (op._tag === "ban") table.schedule(targetOf(op.ip), op.until)
    else if (op._tag === "unban") table.cancel(argvOf(op.ip))
    else {
      now += op.step
      // nextDue is exact whenever it is asked for: nothing due when it says later.
      const next = table.nextDue()
      const due = table.takeDue(now)
      expect(due.length > 0).toBe(next !== undefined && next <= now)
      runs.push(...due.map((e) => ({ ip: e.argv[4]!, atMs: now, dueMs: e.dueMs })))
    }
  }
  return { runs, table }
}

/** The model: per address, the latest end announced since its last unban, run or endless ban. */
const model = (history: ReadonlyArray<Op>) => {
  const pending = new Map<string, number>()
  let now = 1_000_000
  const runs: Array<{ ip: string; atMs: number; dueMs: number }> = []
  for (const op of history) {
    if (op._tag === "ban") {
      if (op.until === NO_END) pending.delete(op.ip)
      else pending.set(op.ip, Math.max(pending.get(op.ip) ?? 0, op.until * 1000))
    } else if (op._tag === "unban") pending.delete(op.ip)
    else {
      now += op.step
      const due = [...pending].filter(([, dueMs]) => dueMs <= now).sort((a, b) => a[1] - b[1])
      for (const [ip, dueMs] of due) {
        runs.push({ ip, atMs: now, dueMs })
        pending.delete(ip)
      }
    }
  }
  return runs
}

describe("scheduled expiries", () => {
  it("run exactly when the model says: once, at the latest end, never after an unban or an endless ban", () => {
    fc.assert(fc.property(ops, (history) => {
      expect(simulate(history).runs).toEqual(model(history))
    }))
  })

  it("never run before they are due", () => {
    fc.assert(fc.property(ops, (history) => {
      expect(simulate(history).runs.every((r) => r.dueMs <= r.atMs)).toBe(true)
    }))
  })

  it("a later ban extends, an earlier one keeps, -1 unschedules; nextDue is the earliest", () => {
    const target = targetOf("192.0.2.9")
    const table = makeExpiryTable()
    expect(table.schedule(target, 2000)).toBe("Scheduled")
    expect(table.schedule(target, 1500)).toBe("Kept")
    expect(table.schedule(target, 3000)).toBe("Extended")
    expect(table.nextDue()).toBe(3_000_000)
    expect(table.schedule(targetOf("192.0.2.8"), 2500)).toBe("Scheduled")
    expect(table.nextDue()).toBe(2_500_000)
    expect(table.cancel(argvOf("192.0.2.8"))).toBe(true)
    expect(table.nextDue()).toBe(3_000_000)
    expect(table.schedule(target, NO_END)).toBe("Unscheduled")
    expect(table.size()).toBe(0)
    expect(table.nextDue()).toBe(undefined)
    expect(table.cancel(target.argv)).toBe(false)
  })
})
