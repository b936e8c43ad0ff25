/**
 * `f2bc publish` to `--host`/`--port` with plain arguments, no config and no secret file, run without the
 * Effect runtime (fail2ban starts a process per ban): publishPlan.ts's steps, then one exchange.ts exchange.
 */
import { randomBytes } from "node:crypto"
import { closeSync, openSync, readSync } from "node:fs"
import { formatHostPort } from "../net/address.js"
import { encodeRequest } from "../protocol/request.js"
import { exchange, type ExchangeEndpoint } from "../transport/fanout/exchange.js"
import { newEnvelope } from "../trust/index.js"
import { errorText } from "./console.js"
import { type PlainPublishArgs, readPlainPublishArgv } from "./publishArgv.js"
import {
  checkCommandLine,
  checkPort,
  DEFAULT_HOST,
  DEFAULT_PORT,
  hostOnly,
  isRefusal,
  linesFor,
  messageWithBanUntil,
  notConfirmed,
  type Refusal
} from "./publishPlan.js"

/**
 * `bytes` random bytes from the kernel's generator (/dev/urandom), else from node:crypto: in the
 * publish bundle node:crypto is loaded at first use (scripts/build.mjs), and loading it costs ~2–3 ms.
 */
const kernelRandom = (bytes: number): Uint8Array => {
  const buffer = Buffer.alloc(bytes)
  try {
    const fd = openSync("/dev/urandom", "r")
    try {
      if (readSync(fd, buffer) === bytes) return buffer
    } finally {
      closeSync(fd)
    }
  } catch {
    // no /dev/urandom (a chroot): node:crypto's generator
  }
  return randomBytes(bytes)
}

/** Stops the exchanges in flight (a signal: they end as publishRun.ts's do when runMain interrupts them). */
type Cancel = () => void

/** Announces `line` and waits for the pong; the failure as `server (detail)` (publishRun.ts's words). */
const confirm = (endpoint: ExchangeEndpoint, channel: string, line: string, cancels: Array<Cancel>): Promise<string | undefined> => {
  const server = formatHostPort(endpoint.host, endpoint.port)
  const request = encodeRequest({ _tag: "Announce", channel, message: line })
  if (request._tag === "Left") return Promise.resolve(`${server} (${request.left.message})`)
  return new Promise((resolve) => {
    cancels.push(exchange(endpoint, `${request.right}ping\n`, (failure) => resolve(failure && `${server} (${failure.detail})`)))
  })
}

/** The steps of publishRun.ts's `publish` for this form, in its order: its refusal, or undefined once every server confirmed. */
const run = async (args: PlainPublishArgs, cancels: Array<Cancel>): Promise<Refusal | undefined> => {
  const text = messageWithBanUntil(args.message, args.banUntil)
  if (isRefusal(text)) return text
  const parsed = checkCommandLine(args.channel, text, args.timeout, args.nodeName)
  if (isRefusal(parsed)) return parsed
  const port = args.port ?? DEFAULT_PORT
  const badPort = checkPort(port)
  if (badPort !== undefined) return badPort
  const { targets, origin, lineLimit } = hostOnly(args.host ?? DEFAULT_HOST, port, args.timeout * 1000, args.nodeName, undefined)
  const lines = linesFor(args.channel, text, parsed, targets, newEnvelope(origin, Date.now(), kernelRandom), lineLimit)
  if (isRefusal(lines)) return lines
  const results = await Promise.all(targets.map((target, i) => confirm(target.endpoint, args.channel, lines[i]!, cancels)))
  const failures = results.flatMap((failure) => failure ?? [])
  return failures.length > 0 ? notConfirmed(failures, targets.length) : undefined
}

/** outcome.ts's words for a defect. */
const unexpected = (defect: unknown, env: NodeJS.ProcessEnv): string =>
  env["F2BC_DEBUG"] === undefined
    ? `f2bc: unexpected error: ${defect instanceof Error ? defect.message : String(defect)} (F2BC_DEBUG=1 shows where)`
    : `f2bc: unexpected error:\n${defect instanceof Error ? defect.stack : String(defect)}`

/**
 * Runs `f2bc publish` when `args` (argv without node and the script) is this path's form, and ends
 * the process with the code bin.ts's runMain would: quiet with 0, else one `f2bc:` line and the exit
 * code; a SIGINT or SIGTERM stops the exchanges and exits 0. Undefined, doing nothing, for any other form.
 */
export const publishPlain = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv): Promise<void> | undefined => {
  const read = readPlainPublishArgv(args)
  if (read === undefined || (read.host === undefined && read.port === undefined) || read.config !== undefined || read.secretFile !== undefined)
    return undefined
  const cancels: Array<Cancel> = []
  const onSignal = () => {
    for (const cancel of cancels) cancel()
    process.exit(0)
  }
  process.once("SIGINT", onSignal)
  process.once("SIGTERM", onSignal)
  return run(read, cancels).then(
    (refusal) => {
      // process.exit rather than the end of the event loop: the natural end costs ~1–2 ms more.
      if (refusal === undefined) process.exit(0)
      process.stderr.write(`${errorText(`f2bc: ${refusal.text}`, env)}\n`)
      process.exit(refusal.code)
    },
    (defect: unknown) => {
      process.stderr.write(`${errorText(unexpected(defect, env), env)}\n`)
      process.exit(1)
    }
  )
}
