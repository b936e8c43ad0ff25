/**
 * Which actions run as one process, and when each may start: a state machine
 * without I/O or clock (the executor supplies the linger timer and the processes).
 */

/** How a batched action joins others: its group (argv without the batched word), the word's value, the size bound. */
export interface BatchSpec {
  readonly group: string
  readonly value: string
  readonly max: number
}

/**
 * One process to run: a single action, or a batch of actions of one group.
 * Units are numbered in creation order; every order key's chain lists units in
 * increasing number, so a unit only ever waits for lower-numbered ones (no cycle).
 */
export interface Unit<J> {
  readonly id: number
  readonly jobs: Array<J>
  /** The batched word's value of each job, in arrival order (empty for a single action). */
  readonly values: Array<string>
  readonly group: string | undefined
  readonly max: number
  readonly keys: Set<string>
  /** Takes no more jobs: it may start once it heads the chain of each of its keys. */
  sealed: boolean
  /** Already reported ready (it is reported once). */
  released: boolean
}

export interface Added<J> {
  readonly unit: Unit<J>
  /** A batch was opened for this job: the caller seals it after the linger. */
  readonly opened: boolean
  /** Units that may start now. */
  readonly ready: ReadonlyArray<Unit<J>>
}

/** The group of a batched argv: the scope (server, channel), the word's index and every other word. */
export const batchSpecOf = (scope: string, argv: ReadonlyArray<string>, word: number, max: number): BatchSpec => ({
  group: JSON.stringify([scope, word, argv.slice(0, word), argv.slice(word + 1)]),
  value: argv[word] ?? "",
  max
})

/** The argv of a batch: the first action's argv with its batched word replaced by every value, in order. */
export const batchArgv = (argv: ReadonlyArray<string>, word: number, values: ReadonlyArray<string>): ReadonlyArray<string> =>
  [...argv.slice(0, word), ...values, ...argv.slice(word + 1)]

/** The argv as logged: at most `shown` of the batch's values, then how many more. */
export const clipArgv = (argv: ReadonlyArray<string>, word: number, count: number, shown = 8): ReadonlyArray<string> =>
  count <= shown
    ? argv
    : [...argv.slice(0, word + shown), `…(${count - shown} more)`, ...argv.slice(word + count)]

export class Batcher<J> {
  private nextId = 0
  /** Order key → the units holding it, oldest first; the head is the one that may run. */
  private readonly chains = new Map<string, Array<Unit<J>>>()
  /** Group → its batch still taking jobs (at most one per group). */
  private readonly open = new Map<string, Unit<J>>()
  /** Group → its units running now (released, not finished). */
  private readonly running = new Map<string, number>()
  /** Open batches whose linger is over while their group had a unit running: sealed when it finishes. */
  private readonly lingered = new Set<Unit<J>>()

  /**
   * A job arrives. A batched job joins its group's open batch when that batch
   * is not older than the last unit of any of the job's keys (so a ban never
   * joins a batch that would run before that address's earlier unban); otherwise that batch is
   * sealed and a new one opened.
   */
  add(job: J, keys: ReadonlyArray<string>, batch?: BatchSpec): Added<J> {
    const ready: Array<Unit<J>> = []
    if (batch !== undefined) {
      const current = this.open.get(batch.group)
      if (current !== undefined && keys.every((key) => (this.lastOf(key)?.id ?? -1) <= current.id)) {
        this.join(current, job, keys, batch.value)
        if (current.jobs.length >= current.max) this.sealInto(current, ready)
        return { unit: current, opened: false, ready }
      }
      if (current !== undefined) this.sealInto(current, ready)
    }
    const unit: Unit<J> = {
      id: this.nextId++,
      jobs: [],
      values: [],
      group: batch?.group,
      max: batch?.max ?? 1,
      keys: new Set(),
      sealed: false,
      released: false
    }
    this.join(unit, job, keys, batch?.value)
    const opened = batch !== undefined && unit.max > 1
    if (opened) this.open.set(batch.group, unit)
    else this.sealInto(unit, ready)
    return { unit, opened, ready }
  }

  /**
   * The linger is over: the unit takes no more jobs, unless a unit of its
   * group is running. Then it keeps collecting until that one finishes (or
   * it is full): during a storm each process takes what arrived while the
   * previous one ran, instead of a process per linger (fail2ban-server runs
   * its commands one at a time, so an earlier start would only wait there).
   */
  seal(unit: Unit<J>): ReadonlyArray<Unit<J>> {
    const ready: Array<Unit<J>> = []
    if (unit.group !== undefined && !unit.sealed && (this.running.get(unit.group) ?? 0) > 0) this.lingered.add(unit)
    else this.sealInto(unit, ready)
    return ready
  }

  /** Seals every open batch (a drain runs them at once). */
  sealAll(): ReadonlyArray<Unit<J>> {
    const ready: Array<Unit<J>> = []
    for (const unit of [...this.open.values()]) this.sealInto(unit, ready)
    return ready
  }

  /** A released unit's process is over: the units behind it may start. */
  finish(unit: Unit<J>): ReadonlyArray<Unit<J>> {
    const ready: Array<Unit<J>> = []
    for (const key of unit.keys) {
      const chain = this.chains.get(key)
      if (chain === undefined || chain[0] !== unit) throw new Error(`unit ${unit.id} finished without heading the chain of ${key}`)
      chain.shift()
      const head = chain[0]
      if (head === undefined) this.chains.delete(key)
      else this.releaseIfReady(head, ready)
    }
    if (unit.group !== undefined) this.groupFinished(unit.group, ready)
    return ready
  }

  /** Units not yet finished (waiting, open or running), for tests. */
  get size(): number {
    const units = new Set<Unit<J>>()
    for (const chain of this.chains.values()) for (const unit of chain) units.add(unit)
    return units.size
  }

  private lastOf(key: string): Unit<J> | undefined {
    const chain = this.chains.get(key)
    return chain === undefined ? undefined : chain[chain.length - 1]
  }

  private join(unit: Unit<J>, job: J, keys: ReadonlyArray<string>, value: string | undefined): void {
    unit.jobs.push(job)
    if (value !== undefined) unit.values.push(value)
    for (const key of keys) {
      if (unit.keys.has(key)) continue
      unit.keys.add(key)
      const chain = this.chains.get(key)
      if (chain === undefined) this.chains.set(key, [unit])
      else chain.push(unit)
    }
  }

  /** One of the group's units is over: when none runs any more, a batch whose linger is over seals. */
  private groupFinished(group: string, ready: Array<Unit<J>>): void {
    const left = (this.running.get(group) ?? 1) - 1
    if (left > 0) return void this.running.set(group, left)
    this.running.delete(group)
    const open = this.open.get(group)
    if (open !== undefined && this.lingered.has(open)) this.sealInto(open, ready)
  }

  private sealInto(unit: Unit<J>, ready: Array<Unit<J>>): void {
    if (unit.sealed) return
    unit.sealed = true
    this.lingered.delete(unit)
    if (unit.group !== undefined && this.open.get(unit.group) === unit) this.open.delete(unit.group)
    this.releaseIfReady(unit, ready)
  }

  private releaseIfReady(unit: Unit<J>, ready: Array<Unit<J>>): void {
    if (!unit.sealed || unit.released) return
    for (const key of unit.keys) if (this.chains.get(key)?.[0] !== unit) return
    unit.released = true
    if (unit.group !== undefined) this.running.set(unit.group, (this.running.get(unit.group) ?? 0) + 1)
    ready.push(unit)
  }
}
