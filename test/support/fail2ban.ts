/**
 * A real fail2ban-server in a temp dir for tests of contrib/fail2ban, and a
 * stand-in for the f2bc daemon's control socket that records what it is sent.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { waitUntil } from "./harness.js"

export const FAIL2BAN_SERVER = "/usr/bin/fail2ban-server"
export const FAIL2BAN_CLIENT = "/usr/bin/fail2ban-client"
/** The Python fail2ban runs on (its `fail2ban` package is importable there). */
export const FAIL2BAN_PYTHON = "/usr/bin/python3"

/**
 * `fail2ban-client -s SOCKET ...args`, to completion. Asynchronous on purpose:
 * `banip`/`unbanip` return only once the jail's actions ran, and an action may
 * be waiting for a socket this test process serves.
 */
export const fail2banClient = (socket: string, ...args: ReadonlyArray<string>): Promise<{ code: number; out: string }> =>
  new Promise((resolve) => {
    execFile(FAIL2BAN_CLIENT, ["-s", socket, ...args], { encoding: "utf8", timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1
      resolve({ code, out: `${stdout}${stderr}` })
    })
  })

/** The addresses `fail2ban-client status JAIL` lists as banned. */
export const bannedIn = async (socket: string, jail: string): Promise<ReadonlyArray<string>> => {
  const { code, out } = await fail2banClient(socket, "status", jail)
  if (code !== 0) throw new Error(`fail2ban-client status ${jail} failed (${code}): ${out}`)
  const line = out.split("\n").find((l) => l.includes("Banned IP list:"))
  if (line === undefined) throw new Error(`no "Banned IP list" in: ${out}`)
  return line.split("Banned IP list:")[1]!.trim().split(/\s+/).filter((ip) => ip !== "")
}

export interface Fail2ban {
  readonly dir: string
  /** The config dir (`-c`): fail2ban.conf, jail.conf, action.d/. */
  readonly conf: string
  readonly socket: string
  /** fail2ban's own log so far. */
  readonly log: () => string
  /** Resolves once the log holds `text`. */
  readonly waitForLog: (text: string | RegExp, what?: string) => Promise<void>
  readonly start: () => Promise<void>
  /** SIGTERM and wait for the exit: fail2ban flushes its jails before it exits. */
  readonly stop: () => Promise<void>
}

/**
 * A fail2ban-server of its own in `dir`, with `jails` as its jail.conf and
 * `files` (path in the config dir -> content, e.g. `action.d/x.conf`);
 * started in the foreground with the polling backend. `dbfile` defaults to an
 * in-memory database (no restored bans).
 */
export const makeFail2ban = (
  dir: string,
  jails: string,
  files: Record<string, string | Buffer>,
  options: { readonly dbfile?: string } = {}
): Fail2ban => {
  const conf = path.join(dir, "fail2ban")
  for (const sub of ["action.d", "filter.d"]) fs.mkdirSync(path.join(conf, sub), { recursive: true })
  const socket = path.join(dir, "fail2ban.sock")
  const logFile = path.join(dir, "fail2ban.log")
  fs.writeFileSync(
    path.join(conf, "fail2ban.conf"),
    `[Definition]
loglevel = INFO
logtarget = ${logFile}
syslogsocket = auto
socket = ${socket}
pidfile = ${path.join(dir, "fail2ban.pid")}
dbfile = ${options.dbfile ?? ":memory:"}
dbpurgeage = 1d
allowipv6 = auto
`
  )
  fs.writeFileSync(path.join(conf, "jail.conf"), `[DEFAULT]\nbackend = polling\n\n${jails}`)
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(conf, name), content)
  const log = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8") : "")
  let server: ChildProcess | undefined
  return {
    dir,
    conf,
    socket,
    log,
    waitForLog: (text, what) =>
      waitUntil(() => (typeof text === "string" ? log().includes(text) : text.test(log())) ? true : undefined, 20_000, what ?? `fail2ban's log to show ${text}`).then(() => undefined),
    start: async () => {
      const child = spawn(FAIL2BAN_SERVER, ["-f", "-x", "-c", conf], { stdio: ["ignore", "pipe", "pipe"] })
      let out = ""
      child.stdout!.on("data", (chunk: Buffer) => (out += chunk.toString()))
      child.stderr!.on("data", (chunk: Buffer) => (out += chunk.toString()))
      server = child
      await waitUntilAsync(async () => (await fail2banClient(socket, "ping")).out.includes("pong"), 20_000, `fail2ban-server to answer ping:\n${out}`)
    },
    stop: async () => {
      const child = server
      if (child === undefined || child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise((resolve) => child.once("exit", resolve))
      child.kill("SIGTERM")
      await exited
    }
  }
}

/** A file-writing stand-in for a jail's firewall action (`record.conf`): `ban|unban <ip>` per line of `dir/record`. */
export const recordAction = (dir: string) => {
  const file = path.join(dir, "record")
  return {
    conf: `[Definition]\nactionban = echo ban <ip> >> ${file}\nactionunban = echo unban <ip> >> ${file}\n`,
    lines: (): ReadonlyArray<string> => (fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter((l) => l !== "") : [])
  }
}

/** Resolves when `check` resolves true; rejects after `timeoutMs`. */
const waitUntilAsync = async (check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** What the stand-in daemon answers a request line with; `undefined` keeps the connection open without an answer. */
export type Answer = (line: string) => string | undefined

/**
 * A Unix socket at `socketPath` that serves like the daemon's control socket
 * (one request line, one answer line, then the connection ends) and records
 * each request line.
 */
export const fakeDaemon = async (socketPath: string, answer: Answer) => {
  const lines: Array<string> = []
  const open = new Set<net.Socket>()
  let respond = answer
  const server = net.createServer((socket) => {
    open.add(socket)
    socket.on("close", () => open.delete(socket))
    socket.on("error", () => undefined)
    let buffer = ""
    socket.on("data", (chunk: Buffer) => {
      buffer += chunk.toString("utf8")
      const newline = buffer.indexOf("\n")
      if (newline === -1) return
      const line = buffer.slice(0, newline)
      lines.push(line)
      const reply = respond(line)
      if (reply !== undefined) socket.end(reply)
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(socketPath, resolve)
  })
  return {
    lines: (): ReadonlyArray<string> => [...lines],
    /** Resolves with every line so far once there are `count`. */
    waitForLines: (count: number) =>
      waitUntil(() => (lines.length >= count ? [...lines] : undefined), 20_000, `${count} request line(s) on ${socketPath} (have ${lines.length})`),
    answerWith: (next: Answer) => {
      respond = next
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy()
        server.close(() => resolve())
      })
  }
}

/** The daemon's answer to an accepted `publish`. */
export const accepted = (id = "0123456789abcdef0123456789abcdef"): Answer => () => `{"ok":true,"id":"${id}"}\n`
