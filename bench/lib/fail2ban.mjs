// A real fail2ban-server for the fleet figure: its own config dir, socket and
// in-memory database, jails whose actions stamp each ban into a file, and the
// shipped f2bc-daemon.py action on the watching jail.
import { execFile, spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { ROOT, sleep } from "./process.mjs"

const FAIL2BAN_SERVER = "/usr/bin/fail2ban-server"
const FAIL2BAN_CLIENT = "/usr/bin/fail2ban-client"

export const hasFail2ban = () => fs.existsSync(FAIL2BAN_SERVER) && fs.existsSync(FAIL2BAN_CLIENT)

/**
 * `fail2ban-client -s SOCKET ...args` without blocking this process: `banip`
 * returns only once the jail's actions ran, and the proxy of the fleet figure
 * lives in this process (a blocked event loop would hold A's traffic).
 */
export const fail2banClientAsync = (socket, ...args) =>
  new Promise((resolve, reject) =>
    execFile(FAIL2BAN_CLIENT, ["-s", socket, ...args], { encoding: "utf8", timeout: 120_000 }, (error, stdout, stderr) =>
      error === null ? resolve(stdout) : reject(new Error(`fail2ban-client ${args.join(" ").slice(0, 200)} failed: ${error.message} ${stdout}${stderr}`))
    )
  )

/** `fail2ban-client -s SOCKET ...args`, to completion; throws unless it exits 0. */
export const fail2banClient = (socket, ...args) => {
  const result = spawnSync(FAIL2BAN_CLIENT, ["-s", socket, ...args], { encoding: "utf8", timeout: 60_000 })
  if (result.status !== 0) throw new Error(`fail2ban-client ${args.join(" ").slice(0, 200)} exited ${result.status}: ${result.stdout}${result.stderr}`)
  return result.stdout
}

/**
 * Writes one host's fail2ban config under `dir`:
 * - `sshd`: the watching jail, `stamp` + (when `socket` is given) `f2bc-daemon.py` announcing to the daemon;
 * - `plain`: the same without the cluster action (the baseline of what the action adds);
 * - `cluster-sshd`: the receive jail, `stamp` only (bantime 1 day).
 * `stamp` appends `<epoch ns> <ip>` to `dir/stamp-<jail>` for every ban.
 */
export const writeFail2banConfig = (dir, { daemonSocket, channel = "Fail2ban" } = {}) => {
  const conf = path.join(dir, "fail2ban")
  for (const sub of ["action.d", "filter.d", "jail.d", "fail2ban.d"]) fs.mkdirSync(path.join(conf, sub), { recursive: true })
  const socket = path.join(dir, "fail2ban.sock")
  fs.writeFileSync(path.join(dir, "auth.log"), "")
  fs.writeFileSync(
    path.join(conf, "fail2ban.conf"),
    `[Definition]\nloglevel = INFO\nlogtarget = ${path.join(dir, "fail2ban.log")}\nsyslogsocket = auto\nsocket = ${socket}\n` +
      `pidfile = ${path.join(dir, "fail2ban.pid")}\ndbfile = :memory:\ndbpurgeage = 1d\nallowipv6 = auto\n`
  )
  fs.writeFileSync(path.join(conf, "filter.d/test-auth.conf"), "[Definition]\nfailregex = ^Failed login from <HOST>$\ndatepattern = {NONE}\n")
  fs.writeFileSync(
    path.join(conf, "action.d/stamp.conf"),
    `[Definition]\nactionban = echo "$(date +%%s%%N) <ip>" >> ${dir}/stamp-<name>\nactionunban =\n`
  )
  fs.copyFileSync(path.join(ROOT, "contrib/fail2ban/action.d/f2bc-daemon.py"), path.join(conf, "action.d/f2bc-daemon.py"))
  const cluster = daemonSocket === undefined ? "" : `\n         f2bc-daemon.py[socket="${daemonSocket}", channel="${channel}"]`
  fs.writeFileSync(
    path.join(conf, "jail.conf"),
    `[DEFAULT]\nbackend = polling\nmaxretry = 2\nfindtime = 10m\nbantime = 1h\n\n` +
      `[sshd]\nenabled = true\nfilter = test-auth\nlogpath = ${dir}/auth.log\naction = stamp${cluster}\n\n` +
      `[plain]\nenabled = true\nfilter = test-auth\nlogpath = ${dir}/auth.log\naction = stamp\n\n` +
      `[cluster-sshd]\nenabled = true\nfilter =\nbantime = 1d\naction = stamp\n`
  )
  const readers = new Map()
  const stamps = (jail) => {
    const file = path.join(dir, `stamp-${jail}`)
    if (!readers.has(file)) readers.set(file, stampReader(file))
    return readers.get(file)()
  }
  return { conf, socket, stamps }
}

/**
 * A reader of a stamp file's lines as `{ ns, ip }`, in file order. Each call reads only what was appended since the
 * last (the bench polls every few ms while the host's jails run: re-reading the whole file took CPU from them).
 */
const stampReader = (file) => {
  const lines = []
  let offset = 0
  let partial = ""
  return () => {
    let fd
    try {
      fd = fs.openSync(file, "r")
    } catch {
      return lines
    }
    try {
      const size = fs.fstatSync(fd).size
      if (size > offset) {
        const buffer = Buffer.alloc(size - offset)
        const read = fs.readSync(fd, buffer, 0, buffer.length, offset)
        offset += read
        const text = partial + buffer.subarray(0, read).toString("utf8")
        const parts = text.split("\n")
        partial = parts.pop()
        for (const line of parts) {
          if (line === "") continue
          const [ns, ip] = line.split(" ")
          lines.push({ ns: BigInt(ns), ip })
        }
      }
    } finally {
      fs.closeSync(fd)
    }
    return lines
  }
}

/** Starts `fail2ban-server -f -x -c conf` and waits until it answers ping with its three jails up. */
export const startFail2ban = async ({ conf, socket }) => {
  const server = spawn(FAIL2BAN_SERVER, ["-f", "-x", "-c", conf], { stdio: ["ignore", "pipe", "pipe"] })
  let out = ""
  server.stdout.on("data", (chunk) => (out += chunk.toString()))
  server.stderr.on("data", (chunk) => (out += chunk.toString()))
  const deadline = Date.now() + 30_000
  for (;;) {
    const ping = spawnSync(FAIL2BAN_CLIENT, ["-s", socket, "status"], { encoding: "utf8", timeout: 10_000 })
    if (ping.status === 0 && /Jail list:.*cluster-sshd/.test(ping.stdout)) break
    if (server.exitCode !== null || Date.now() > deadline) throw new Error(`fail2ban-server did not start:\n${out}`)
    await sleep(100)
  }
  return {
    pid: server.pid,
    stop: async () => {
      if (server.exitCode !== null) return
      spawnSync(FAIL2BAN_CLIENT, ["-s", socket, "stop"], { timeout: 20_000 })
      await Promise.race([new Promise((resolve) => server.once("exit", resolve)), sleep(10_000)])
      if (server.exitCode === null) server.kill("SIGKILL")
    }
  }
}

/** `n` documentation-range addresses not used before in this run (198.18.0.0/15, then onwards). */
let nextAddress = 0
export const freshAddresses = (n) =>
  Array.from({ length: n }, () => {
    const i = nextAddress++
    const block = Math.floor(i / 254)
    return `198.${18 + (block >> 8)}.${block & 255}.${(i % 254) + 1}`
  })
