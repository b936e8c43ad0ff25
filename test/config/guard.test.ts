/**
 * security.md "secrets come from files; a secret file readable by others, or a
 * config file writable by others, is refused": owner and mode checks, secret lengths, and secret_file loading.
 */
import { afterEach, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { execFileSync } from "node:child_process"
import { chmodSync, chownSync, constants, mkdirSync, mkdtempSync, openSync, closeSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileProblem, MAX_BYTES, readGuarded, readSecret, SECRET_MAX_BYTES, SECRET_MIN_BYTES } from "../../src/config/guard.js"
import { loadConfig } from "../../src/config/index.js"

const FILE = 0o100000
const KEY = "0123456789abcdef0123456789abcdef"

describe("fileProblem (pure): who could change or read the file", () => {
  it("a file of root or of this user, writable only by its owner, is fine", () => {
    for (const mode of [0o600, 0o640, 0o644, 0o400, 0o700, 0o755]) expect(fileProblem({ mode: FILE | mode, uid: 0 }, "config", 0)).toBeUndefined()
    expect(fileProblem({ mode: FILE | 0o600, uid: 1000 }, "config", 1000)).toBeUndefined()
    expect(fileProblem({ mode: FILE | 0o600, uid: 0 }, "secret", 1000)).toBeUndefined()
  })

  it("writable by group, by others, or by both is refused, with the mode and the fix", () => {
    expect(fileProblem({ mode: FILE | 0o664, uid: 0 }, "config", 0)).toBe("is writable by group (mode 0664): run chmod go-w on it")
    expect(fileProblem({ mode: FILE | 0o646, uid: 0 }, "config", 0)).toBe("is writable by others (mode 0646): run chmod go-w on it")
    expect(fileProblem({ mode: FILE | 0o666, uid: 0 }, "config", 0)).toBe("is writable by group and others (mode 0666): run chmod go-w on it")
    expect(fileProblem({ mode: FILE | 0o620, uid: 0 }, "secret", 0)).toBe("is writable by group (mode 0620): run chmod go-w on it")
  })

  it("a secret readable by others is refused; readable by group is fine", () => {
    expect(fileProblem({ mode: FILE | 0o644, uid: 0 }, "secret", 0)).toBe(
      "is readable by others (mode 0644): run chmod o-rwx on it (chmod 600 or 640)"
    )
    expect(fileProblem({ mode: FILE | 0o604, uid: 0 }, "secret", 0)).toMatch(/^is readable by others \(mode 0604\)/)
    expect(fileProblem({ mode: FILE | 0o640, uid: 0 }, "secret", 0)).toBeUndefined()
    expect(fileProblem({ mode: FILE | 0o644, uid: 0 }, "config", 0)).toBeUndefined()
  })

  it("a file owned by another user (not root) is refused whatever its mode: its owner could change it", () => {
    expect(fileProblem({ mode: FILE | 0o600, uid: 65534 }, "config", 0)).toBe(
      "is owned by uid 65534, not by root or this user (uid 0): its owner could change it"
    )
    expect(fileProblem({ mode: FILE | 0o600, uid: 1001 }, "secret", 1000)).toMatch(/^is owned by uid 1001/)
  })

  it("shows only the permission bits of the mode", () => {
    expect(fileProblem({ mode: FILE | 0o4664, uid: 0 }, "config", 0)).toBe("is writable by group (mode 0664): run chmod go-w on it")
  })
})

describe("guarded reads of real files", () => {
  let dir = ""
  const fresh = (): string => {
    dir = mkdtempSync(join(tmpdir(), "f2bc-guard-"))
    return dir
  }
  afterEach(() => {
    if (dir !== "") rmSync(dir, { recursive: true, force: true })
    dir = ""
  })

  /** A file with exactly `mode` (chmod after writing: the umask does not interfere). */
  const file = (name: string, content: string | Buffer, mode: number): string => {
    const path = join(dir === "" ? fresh() : dir, name)
    writeFileSync(path, content)
    chmodSync(path, mode)
    return path
  }

  const CONFIG = (secretFile: string): string => `
servers:
  - host: hub1
    port: 1986
    channels:
      - name: Signed
        action: "fail2ban-client set %jail% %action% %ip%"
        secret_file: ${secretFile}
      - name: Open
        action: "fail2ban-client set %jail% %action% %ip%"
`

  it.effect("a config file writable by group (0664) is refused as Unsafe, naming the file and the mode", () =>
    Effect.gen(function*() {
      const path = file("f2bc.yml", "servers: []\nbroker: {}\n", 0o664)
      const error = yield* Effect.flip(loadConfig(path))
      expect(error.reason).toBe("Unsafe")
      expect(error.message).toBe(
        `refusing config ${path}: unsafe file permissions (others could change what runs as root, or read a secret)\n` +
          `  ${path} is writable by group (mode 0664): run chmod go-w on it`
      )
    }))

  it.effect("a config file writable by others (0646) is refused as Unsafe", () =>
    Effect.gen(function*() {
      const path = file("f2bc.yml", "servers: []\nbroker: {}\n", 0o646)
      const error = yield* Effect.flip(loadConfig(path))
      expect(error.reason).toBe("Unsafe")
      expect(error.message).toContain(`${path} is writable by others (mode 0646)`)
    }))

  it.effect("a config file of mode 0644 or 0600 loads", () =>
    Effect.gen(function*() {
      for (const mode of [0o644, 0o600]) {
        const path = file(`f2bc-${mode.toString(8)}.yml`, "servers: []\nbroker: {}\n", mode)
        const config = yield* loadConfig(path)
        expect(config.source).toBe(path)
      }
    }))

  it.effect("a config file owned by another user is refused as Unsafe", () =>
    Effect.gen(function*() {
      const path = file("f2bc.yml", "servers: []\nbroker: {}\n", 0o644)
      chownSync(path, 65534, 65534)
      const error = yield* Effect.flip(loadConfig(path))
      expect(error.reason).toBe("Unsafe")
      expect(error.message).toContain(`${path} is owned by uid 65534, not by root or this user`)
    }))

  it.effect("readGuarded returns the bytes of a safe file", () =>
    Effect.gen(function*() {
      const path = file("data", "hello\n", 0o600)
      const bytes = yield* readGuarded(path, "config", { source: path, field: "" })
      expect(bytes.toString("utf8")).toBe("hello\n")
    }))

  it.effect("readSecret: 0600 and 0640 are fine; the trailing newline is not part of the secret", () =>
    Effect.gen(function*() {
      for (const mode of [0o600, 0o640]) {
        const path = file(`key-${mode.toString(8)}`, `${KEY}\n`, mode)
        const secret = yield* readSecret(path, { source: "f2bc.yml", field: "servers[0].channels[0].secret_file" })
        expect(Buffer.from(secret).toString("utf8")).toBe(KEY)
      }
      const crlf = file("key-crlf", `${KEY} \r\n\n`, 0o600)
      expect(Buffer.from(yield* readSecret(crlf, { source: "f2bc.yml", field: "f" })).toString("utf8")).toBe(KEY)
    }))

  it.effect("readSecret keeps leading and inner bytes as they are (binary secrets work)", () =>
    Effect.gen(function*() {
      const bytes = Buffer.from([0x00, 0xff, 0x0a, 0x20, ...Array.from({ length: 20 }, (_, i) => i + 1)])
      const path = file("binary", bytes, 0o600)
      expect(Buffer.from(yield* readSecret(path, { source: "s", field: "f" }))).toEqual(bytes)
    }))

  it.effect("a secret readable by others (0644) is refused as Unsafe, naming where it was configured", () =>
    Effect.gen(function*() {
      const path = file("key", KEY, 0o644)
      const error = yield* Effect.flip(readSecret(path, { source: "f2bc.yml", field: "servers[0].channels[0].secret_file" }))
      expect(error.reason).toBe("Unsafe")
      expect(error.issues).toEqual([{
        path: "servers[0].channels[0].secret_file",
        message: `${path} is readable by others (mode 0644): run chmod o-rwx on it (chmod 600 or 640)`
      }])
    }))

  it.effect("a secret writable by group (0660) is refused as Unsafe", () =>
    Effect.gen(function*() {
      const path = file("key", KEY, 0o660)
      const error = yield* Effect.flip(readSecret(path, { source: "s", field: "f" }))
      expect(error.reason).toBe("Unsafe")
    }))

  it.effect(`a secret shorter than ${SECRET_MIN_BYTES} bytes (after the trailing newline) is refused with reason Secret`, () =>
    Effect.gen(function*() {
      const path = file("short", `${KEY.slice(0, SECRET_MIN_BYTES - 1)}\n`, 0o600)
      const error = yield* Effect.flip(readSecret(path, { source: "f2bc.yml", field: "servers[0].channels[0].secret_file" }))
      expect(error.reason).toBe("Secret")
      expect(error.message).toBe(
        "bad secret in config f2bc.yml:\n" +
          `  servers[0].channels[0].secret_file: ${path} holds 15 bytes: a secret needs at least 16 (make one with: openssl rand -base64 32 > FILE)`
      )
      const exact = file("exact", `${KEY.slice(0, SECRET_MIN_BYTES)}\n`, 0o600)
      expect((yield* readSecret(exact, { source: "s", field: "f" })).length).toBe(SECRET_MIN_BYTES)
      const blank = file("blank", "\n\n   \n", 0o600)
      expect((yield* Effect.flip(readSecret(blank, { source: "s", field: "f" }))).reason).toBe("Secret")
    }))

  it.effect(`a secret file over ${SECRET_MAX_BYTES} bytes is refused with reason Secret`, () =>
    Effect.gen(function*() {
      const path = file("huge", "k".repeat(SECRET_MAX_BYTES + 1), 0o600)
      const error = yield* Effect.flip(readSecret(path, { source: "s", field: "f" }))
      expect(error.reason).toBe("Secret")
      expect(error.message).toContain(`${path} is ${SECRET_MAX_BYTES + 1} bytes: a secret file holds at most ${SECRET_MAX_BYTES}`)
    }))

  it.effect("a missing secret file, or a directory, is refused with reason Secret, naming the path", () =>
    Effect.gen(function*() {
      const missing = join(fresh(), "nope.key")
      const error = yield* Effect.flip(readSecret(missing, { source: "f2bc.yml", field: "servers[0].channels[0].secret_file" }))
      expect(error.reason).toBe("Secret")
      expect(error.issues).toEqual([{
        path: "servers[0].channels[0].secret_file",
        message: `cannot read ${missing}: no such file or directory (ENOENT)`
      }])
      const directory = yield* Effect.flip(readSecret(dir, { source: "s", field: "f" }))
      expect(directory.reason).toBe("Secret")
      expect(directory.issues[0]?.message).toBe(`${dir} is a directory, not a regular file`)
    }))

  /** A FIFO nobody writes to: opening it for reading without O_NONBLOCK waits for a writer forever. */
  const fifo = (name: string): string => {
    const path = join(dir === "" ? fresh() : dir, name)
    execFileSync("mkfifo", ["-m", "600", path])
    fifos.push(path)
    return path
  }
  const fifos: Array<string> = []
  // Were the read to block, this releases the libuv thread stuck in open(), so the test run can end.
  afterEach(() => {
    for (const path of fifos.splice(0)) {
      try {
        closeSync(openSync(path, constants.O_WRONLY | constants.O_NONBLOCK))
      } catch {
        // No reader waits: nothing to release.
      }
    }
  })

  it.effect("a FIFO as config, secret_file or password_file is refused at once, naming the file", () =>
    Effect.gen(function*() {
      const config = yield* Effect.flip(loadConfig(fifo("f2bc.yml")))
      expect(config.reason).toBe("Read")
      expect(config.message).toBe(`cannot read config ${join(dir, "f2bc.yml")}: is a FIFO, not a regular file`)
      const key = fifo("a.key")
      const secret = yield* Effect.flip(loadConfig(file("secret.yml", CONFIG(key), 0o600)))
      expect(secret.reason).toBe("Secret")
      expect(secret.issues).toEqual([{ path: "servers[0].channels[0].secret_file", message: `${key} is a FIFO, not a regular file` }])
      const password = fifo("password")
      const nats = `servers:\n  - transport: nats\n    url: nats://127.0.0.1:4222\n    user: f2bc\n    password_file: ${password}\n    channels:\n      - name: bans\n        action: "true"\n`
      const refused = yield* Effect.flip(loadConfig(file("nats.yml", nats, 0o600)))
      expect(refused.issues).toEqual([{ path: "servers[0].password_file", message: `${password} is a FIFO, not a regular file` }])
    }), 10_000)

  it.effect("a character device as a secret is refused; a config over the size bound is refused before it is read", () =>
    Effect.gen(function*() {
      const device = yield* Effect.flip(readSecret("/dev/zero", { source: "s", field: "f" }))
      expect(device.issues[0]?.message).toBe("/dev/zero is a character device, not a regular file")
      const big = file("big.yml", Buffer.alloc(MAX_BYTES.config + 1, 0x20), 0o600)
      const error = yield* Effect.flip(loadConfig(big))
      expect(error.message).toBe(`cannot read config ${big}: is ${MAX_BYTES.config + 1} bytes: a config file holds at most ${MAX_BYTES.config}`)
    }))

  it.effect("a secret file owned by another user is refused as Unsafe", () =>
    Effect.gen(function*() {
      const path = file("key", KEY, 0o600)
      chownSync(path, 65534, 65534)
      const error = yield* Effect.flip(readSecret(path, { source: "s", field: "f" }))
      expect(error.reason).toBe("Unsafe")
      expect(error.issues[0]?.message).toMatch(/is owned by uid 65534/)
    }))

  it.effect("loadConfig reads secret_file into the channel's secrets, a relative path from the config's directory", () =>
    Effect.gen(function*() {
      const base = fresh()
      mkdirSync(join(base, "keys"))
      file("keys/a.key", `${KEY}\n`, 0o600)
      const path = file("f2bc.yml", CONFIG("keys/a.key"), 0o644)
      const config = yield* loadConfig(path)
      const [signed, open] = config.servers[0]!.channels
      expect(signed!.secret_files).toEqual([join(base, "keys/a.key")])
      expect(signed!.secrets.map((secret) => Buffer.from(secret).toString("utf8"))).toEqual([KEY])
      expect(open!.secret_files).toEqual([])
      expect(open!.secrets).toEqual([])
    }))

  it.effect("loadConfig reads a list of secret files in order (the first signs, any verifies)", () =>
    Effect.gen(function*() {
      const base = fresh()
      const absolute = file("new.key", `${"n".repeat(32)}\n`, 0o640)
      file("old.key", `${"o".repeat(32)}\n`, 0o600)
      const path = file("f2bc.yml", CONFIG(`[${absolute}, ./old.key]`), 0o600)
      const config = yield* loadConfig(path)
      const channel = config.servers[0]!.channels[0]!
      expect(channel.secret_files).toEqual([absolute, join(base, "old.key")])
      expect(channel.secrets.map((secret) => Buffer.from(secret).toString("utf8"))).toEqual(["n".repeat(32), "o".repeat(32)])
    }))

  it.effect("loadConfig refuses to load when a secret file is unsafe or missing, naming the channel's secret_file", () =>
    Effect.gen(function*() {
      fresh()
      file("open.key", `${KEY}\n`, 0o644)
      const unsafe = yield* Effect.flip(loadConfig(file("a.yml", CONFIG("open.key"), 0o644)))
      expect(unsafe.reason).toBe("Unsafe")
      expect(unsafe.issues[0]?.path).toBe("servers[0].channels[0].secret_file")
      const missing = yield* Effect.flip(loadConfig(file("b.yml", CONFIG("missing.key"), 0o644)))
      expect(missing.reason).toBe("Secret")
      expect(missing.message).toContain(`servers[0].channels[0].secret_file: cannot read ${join(dir, "missing.key")}: no such file or directory (ENOENT)`)
    }))

  it.effect("an error never shows the secret's content", () =>
    Effect.gen(function*() {
      const path = file("key", KEY, 0o644)
      const error = yield* Effect.flip(readSecret(path, { source: "s", field: "f" }))
      expect(error.message).not.toContain(KEY)
      const short = file("short", "tiny-secret", 0o600)
      expect((yield* Effect.flip(readSecret(short, { source: "s", field: "f" }))).message).not.toContain("tiny-secret")
    }))
})
