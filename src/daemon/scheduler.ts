/**
 * The daemon's fiber scheduler. Effect's default runs up to 2048 microtask
 * batches before it yields to Node's event loop, so under a flood the
 * pipeline fiber starved the socket reads: pongs went unread and the
 * connection was declared dead. This one yields to the event loop (setImmediate,
 * after I/O polling) every few batches, so reading and pinging keep pace with any backlog.
 */
import * as Scheduler from "effect/Scheduler"

/** Microtask batches before the event loop gets a turn: small, so a socket never waits long. */
const BATCHES_BEFORE_IO = 4

const runner = Scheduler.SchedulerRunner.cached((depth, drain) => {
  if (depth >= BATCHES_BEFORE_IO) setImmediate(() => drain(0))
  else queueMicrotask(() => drain(depth + 1))
})

export const ioFriendlyScheduler: Scheduler.Scheduler = Scheduler.make((task, priority, fiber) =>
  runner(fiber).scheduleTask(task, priority)
)
