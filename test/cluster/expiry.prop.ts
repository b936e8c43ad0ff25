/**
 * Scheduled expiries: runs exactly once per ban at the latest `ban_until`
 * announced for it, never for a ban without end, never after its unban.
 */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { cancelExpiry, emptyExpiryTable, NO_END, nextDue, scheduleExpiry, takeDue, type ExpiryTable } from "../../src/cluster/expiry.js"

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

/** Runs `ops` through the table: the (ip, at ms) of every expiry run, at the ticks. */
const simulate = (history: ReadonlyArray<Op>) => {
  let table: ExpiryTable = emptyExpiryTable
  let now = 1_000_000
  const runs: Array<{ ip: string; atMs: number; dueMs: number }> = []
  for (const op of history) {
    if (op._tag === "ban") table = scheduleExpiry(table, argvOf(op.ip), op.until).table
    else if (op._tag === "unban") table = cancelExpiry(table, argvOf(op.ip)).table
    else {
      now += op.step
      const taken = takeDue(table, now)
      table = taken.table
      runs.push(...taken.due.map((e) => ({ ip: e.argv[4]!, atMs: now, dueMs: e.dueMs })))
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
    const argv = argvOf("192.0.2.9")
    const first = scheduleExpiry(emptyExpiryTable, argv, 2000)
    expect(first.change).toBe("Scheduled")
    expect(scheduleExpiry(first.table, argv, 1500).change).toBe("Kept")
    const later = scheduleExpiry(first.table, argv, 3000)
    expect(later.change).toBe("Extended")
    expect(nextDue(later.table)).toBe(3_000_000)
    expect(scheduleExpiry(later.table, argv, NO_END).table.size).toBe(0)
    expect(cancelExpiry(later.table, argv)).toMatchObject({ cancelled: true })
  })
})
