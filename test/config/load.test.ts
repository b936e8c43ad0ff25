/**
 * configuration.md/operations.md: where the config is read from (--config, F2BC_CONFIG, the
 * default) and what loading a file that cannot be read reports.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { DEFAULT_CONFIG_PATH, loadConfig, resolveConfigPath } from "../../src/config/index.js"

describe("resolveConfigPath: --config, else F2BC_CONFIG, else /etc/fail2ban-cluster.yml", () => {
  it("defaults to the seed's location", () => {
    expect(DEFAULT_CONFIG_PATH).toBe("/etc/fail2ban-cluster.yml")
    expect(resolveConfigPath(undefined, {})).toBe("/etc/fail2ban-cluster.yml")
  })

  it("uses F2BC_CONFIG when no flag is given", () => {
    expect(resolveConfigPath(undefined, { F2BC_CONFIG: "/srv/f2bc.yml" })).toBe("/srv/f2bc.yml")
  })

  it("prefers the flag over the environment", () => {
    expect(resolveConfigPath("./local.yml", { F2BC_CONFIG: "/srv/f2bc.yml" })).toBe("./local.yml")
  })

  it("treats an empty flag or variable as not given", () => {
    expect(resolveConfigPath("", { F2BC_CONFIG: "/srv/f2bc.yml" })).toBe("/srv/f2bc.yml")
    expect(resolveConfigPath(undefined, { F2BC_CONFIG: "" })).toBe("/etc/fail2ban-cluster.yml")
  })
})

describe("loadConfig", () => {
  it.effect("loads examples/seed.yml from disk and records its path as the source", () =>
    Effect.gen(function*() {
      const path = fileURLToPath(new URL("../../examples/seed.yml", import.meta.url))
      const config = yield* loadConfig(path)
      expect(config.source).toBe(path)
      expect(config.servers[0]?.channels[0]?.name).toBe("Fail2ban")
    }))

  it.effect("a missing file fails with reason Read, naming the path and the system's reason", () =>
    Effect.gen(function*() {
      const path = join(tmpdir(), "f2bc-config-test-does-not-exist.yml")
      const error = yield* Effect.flip(loadConfig(path))
      expect(error.reason).toBe("Read")
      expect(error.source).toBe(path)
      expect(error.message).toBe(`cannot read config ${path}: no such file or directory (ENOENT)`)
    }))

  it.effect("a directory fails with reason Read: it is not a regular file", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(loadConfig(tmpdir()))
      expect(error.reason).toBe("Read")
      expect(error.message).toBe(`cannot read config ${tmpdir()}: is a directory, not a regular file`)
    }))

  it.effect("an invalid file fails with reason Invalid, its path as the source", () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(join(tmpdir(), "f2bc-config-"))
      const path = join(dir, "bad.yml")
      writeFileSync(path, "servers: []\nlog_level: 7\n")
      const result = yield* Effect.either(loadConfig(path))
      rmSync(dir, { recursive: true, force: true })
      expect(Either.isLeft(result) && result.left.message).toBe(
        `invalid config ${path}:\n` +
          "  log_level: must be an integer from 0 to 3, got 7\n" +
          "  servers: must list at least one server (an empty list is allowed only with a broker: section)"
      )
    }))
})
